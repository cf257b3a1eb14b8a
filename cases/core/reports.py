"""What the slices' statistics tables share (``cases.<slice>.reports``): counts per key with a "not recorded" row,
and translated row labels. Unknown keys (old data) fall into the "not recorded" row, so no unexpected text can reach
a report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from cases.core.models import Case


def counted_cases() -> sa.ColumnElement[bool]:
    """The cases the statistics may count: not those whose notice she was given without (or after withdrawing) her
    consent to statistics (``Case.excluded_from_statistics``, kept by ``cases.privacy``). Every table about her
    applications, referrals, orders and outcomes filters with it; shelter, inquiry and anonymous feedback figures
    do not describe her case file and do not."""
    # SECURITY (KVKK art. 5-6): no processing for statistics without her explicit consent once she was asked.
    return Case.excluded_from_statistics.is_(False)


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
