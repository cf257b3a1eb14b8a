"""Small-cell suppression for statistics tables: a pure function, no Flask, no database.

Rules (GBVIMS information-sharing practice, research/domain.md b6):

* **Primary suppression.** A count ``1 <= n < k`` (a cell or a total) is hidden and shown as ``<k``.
  **Zero is shown as 0**: "nobody" identifies nobody, the reader needs to tell an empty category from a small one,
  and GBVIMS practice suppresses 1..k-1 only. A hidden cell therefore means 1..k-1 (primary) or >= k (secondary).
* **Complementary (secondary) suppression.** Every row with its total shown, and every column with its total shown,
  is an equation ``cells = total``. A line with exactly one hidden value lets a reader subtract it back, so one more
  value of that line is hidden: the smallest other non-zero cell, or the total when no such cell is left. Hiding a
  value can open another line, so this repeats until nothing changes. Secondary values are shown as ``x``.
* **No exact recovery by bounds.** Even with two hidden values a line can pin them down (``[1, 1, 10]`` with total 12:
  both hidden cells must be 1). For each line the interval of each hidden value is worked out from what a reader
  knows (primary 1..k-1, secondary >= k, the line's equation); if any hidden value is pinned to a single number,
  one more value of that line is hidden.

Limits (documented, not solved here): the bounds check reasons about one line at a time (not the whole system of
equations as a linear programme would), and differencing two overlapping periods is outside one table's reach; the
report pages audit every query so such use is on record.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass


class Mark(enum.Enum):
    SHOWN = "shown"
    PRIMARY = "primary"      # 1..k-1
    SECONDARY = "secondary"  # hidden so that a primary cannot be worked out


@dataclass(frozen=True)
class SuppressedGrid:
    """The counts with their marks. ``row_totals`` / ``col_totals`` / ``grand_total`` are None when not shown."""

    k: int
    values: list[list[int]]
    marks: list[list[Mark]]
    row_totals: list[int] | None
    row_total_marks: list[Mark] | None
    col_totals: list[int] | None
    col_total_marks: list[Mark] | None
    grand_total: int | None
    grand_total_mark: Mark | None

    def hidden_cells(self) -> set[tuple[int, int]]:
        return {(i, j) for i, row in enumerate(self.marks) for j, m in enumerate(row) if m is not Mark.SHOWN}


Pos = tuple[int, int]


def suppress(counts: Sequence[Sequence[int]], k: int, *, row_totals: bool = False,
             col_totals: bool = True) -> SuppressedGrid:
    """Mark the cells (and totals) of ``counts`` to hide so that no count in 1..k-1 can be read or worked out.

    ``row_totals``: a total is shown at the end of each row; ``col_totals``: a total row is shown under the table
    (with a grand total when both are shown). Counts must be non-negative integers.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    n = len(counts)
    m = len(counts[0]) if n else 0
    if any(len(row) != m for row in counts):
        raise ValueError("ragged table")
    if any(v < 0 for row in counts for v in row):
        raise ValueError("counts must be non-negative")

    # The augmented grid: cells, then a totals column (index m) and a totals row (index n) when shown.
    values: dict[Pos, int] = {(i, j): int(counts[i][j]) for i in range(n) for j in range(m)}
    if row_totals:
        for i in range(n):
            values[(i, m)] = sum(counts[i])
    if col_totals:
        for j in range(m):
            values[(n, j)] = sum(counts[i][j] for i in range(n))
    if row_totals and col_totals:
        values[(n, m)] = sum(sum(row) for row in counts)

    # Each line: (its cells, its total). A line exists only when its total is shown.
    lines: list[tuple[list[Pos], Pos]] = []
    if row_totals:
        for i in range(n + (1 if col_totals else 0)):
            lines.append(([(i, j) for j in range(m)], (i, m)))
    if col_totals:
        for j in range(m + (1 if row_totals else 0)):
            lines.append(([(i, j) for i in range(n)], (n, j)))

    marks: dict[Pos, Mark] = {
        pos: Mark.PRIMARY if 1 <= v < k else Mark.SHOWN for pos, v in values.items()
    }

    def hide_another(cells: list[Pos], total: Pos) -> bool:
        candidates = [p for p in cells if marks[p] is Mark.SHOWN and values[p] > 0]
        if candidates:
            marks[min(candidates, key=lambda p: (values[p], p))] = Mark.SECONDARY
            return True
        if marks[total] is Mark.SHOWN:
            marks[total] = Mark.SECONDARY
            return True
        return False

    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            hidden = [p for p in [*cells, total] if marks[p] is not Mark.SHOWN]
            if len(hidden) == 1 or (hidden and _pinned(cells, total, values, marks, k)):
                if hide_another(cells, total):
                    changed = True

    def mark_rows() -> list[list[Mark]]:
        return [[marks[(i, j)] for j in range(m)] for i in range(n)]

    return SuppressedGrid(
        k=k,
        values=[[values[(i, j)] for j in range(m)] for i in range(n)],
        marks=mark_rows(),
        row_totals=[values[(i, m)] for i in range(n)] if row_totals else None,
        row_total_marks=[marks[(i, m)] for i in range(n)] if row_totals else None,
        col_totals=[values[(n, j)] for j in range(m)] if col_totals else None,
        col_total_marks=[marks[(n, j)] for j in range(m)] if col_totals else None,
        grand_total=values[(n, m)] if row_totals and col_totals else None,
        grand_total_mark=marks[(n, m)] if row_totals and col_totals else None,
    )


def _pinned(cells: list[Pos], total: Pos, values: dict[Pos, int], marks: dict[Pos, Mark], k: int) -> bool:
    """Whether a reader who knows the shown values, the meaning of the marks and ``sum(cells) == total`` can pin a
    hidden value of this line to one number (interval reasoning on the one equation)."""

    def bounds(p: Pos) -> tuple[float, float]:
        return (1, k - 1) if marks[p] is Mark.PRIMARY else (k, math.inf)

    # sum(hidden cells) - hidden total = rhs
    rhs = (values[total] if marks[total] is Mark.SHOWN else 0) - sum(
        values[p] for p in cells if marks[p] is Mark.SHOWN)
    terms = [(p, 1) for p in cells if marks[p] is not Mark.SHOWN]
    if marks[total] is not Mark.SHOWN:
        terms.append((total, -1))
    for p, coeff in terms:
        low_rest = high_rest = 0.0
        for q, c in terms:
            if q == p:
                continue
            lo, hi = bounds(q)
            low_rest += c * (lo if c > 0 else hi)
            high_rest += c * (hi if c > 0 else lo)
        # coeff * x_p = rhs - rest
        lo_p, hi_p = bounds(p)
        if coeff > 0:
            lo_x, hi_x = rhs - high_rest, rhs - low_rest
        else:
            lo_x, hi_x = low_rest - rhs, high_rest - rhs
        lo_x, hi_x = max(lo_p, lo_x), min(hi_p, hi_x)
        if lo_x == hi_x:
            return True
    return False


def display(value: int, mark: Mark, k: int) -> str:
    """The text of a cell: the number, ``<k`` (a small count) or ``x`` (hidden to protect a small count)."""
    if mark is Mark.PRIMARY:
        return f"<{k}"
    if mark is Mark.SECONDARY:
        return "x"
    return str(value)
