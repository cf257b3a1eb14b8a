"""What the slices' statistics tables share (``cases.<slice>.reports``): counts per key with a "not recorded" row,
and translated row labels. Unknown keys (old data) fall into the "not recorded" row, so no unexpected text can reach
a report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def column_counts(rows: Iterable[tuple[Any, int]], keys: Sequence[str], unknown: bool = True) -> list[list[int]]:
    """One count per key (in order) from (key, count) rows; other keys and NULL go to a last "not recorded" row."""
    index = {key: i for i, key in enumerate(keys)}
    counts = [0] * (len(keys) + (1 if unknown else 0))
    for key, n in rows:
        i = index.get(str(key) if key is not None else "")
        if i is None:
            if not unknown:
                continue
            i = len(keys)
        counts[i] += int(n)
    return [[n] for n in counts]


def labels_of(keys: Sequence[str], labels: Mapping[str, object], unknown: str | None = None) -> list[str]:
    out = [str(labels.get(key, key)) for key in keys]
    return [*out, unknown] if unknown is not None else out
