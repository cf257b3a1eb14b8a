"""Disclosure control for a statistics release: a pure module, no Flask, no database.

A release is many figures linked by relations ("lines": ``sum(cells) == total``): a table's rows and
columns add up to its totals, the same population total is printed in several tables, and a figure for all
centres is the sum of the same figure for each published group of centres. Suppression protects the figures of a
release **together**, against a reader who knows every shown number, the meaning of the markers and every line.

Rules:

* **Primary.** Every count below k (``0 <= n < k``) is shown as ``<k``. Zero and 1..k-1 look alike, so a small
  population's table does not show "<5" in exactly her row against zeros elsewhere (no zero-versus-small tell).
  A hidden count is *sensitive* when its true value is 1..k-1.
* **Attacker model.** ``attacker_bounds`` starts from what a reader knows — a shown number exactly, ``<k`` as
  0..k-1, ``x`` as k or more — and tightens every hidden value through every line, repeatedly, until nothing
  changes (interval constraint propagation over the whole release, not one line at a time).
* **Protection.** A sensitive count is *exposed* when the reader can pin it to within ±1 (its interval spans at most
  ``PROTECTION`` = 2 values apart). ``protect`` hides the cheapest *rectangle* through that count (``_rectangle``:
  a figure in each of two of its lines and the corner sharing a line with both, the fewest new hides, then the
  smallest counts, checked by the attacker on the lines around it) as ``x``; where no rectangle protects it (a
  one-column table, a count pinned from further away), one more figure of a line through it — the smallest shown
  count of the line, or the line's total when none is left. Then it checks the whole release again, until no
  sensitive count is exposed. Hiding only widens a reader's intervals, so the loop ends (at worst with everything
  hidden). One figure at a time, a single small count in a 4×4 table used to cascade to 9 hidden figures; its
  rectangle is 3.
* **Distinct totals.** A total of distinct people over rows that share them (people staying in each month, and in
  the year) is not their sum; the reader knows ``max(rows) <= total <= sum(rows)`` (a ``distinct`` line).

The same attacker model checks a revision against the releases before it (``app.reports.releases``).
"""

from __future__ import annotations

import enum
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROTECTION = 2  # a sensitive count whose reader's interval is at most this wide counts as derived (±1)
MAX_ROUNDS = 200


class Mark(enum.Enum):
    SHOWN = "shown"
    PRIMARY = "primary"      # 0..k-1, shown as "<k"
    SECONDARY = "secondary"  # k or more, hidden so that a small count cannot be worked out; shown as "x"


Key = Any  # any hashable name of a figure (a tuple, a string)
Bounds = tuple[float, float]


@dataclass(frozen=True)
class Line:
    """``sum(cells) == total``: a relation a reader of the release knows.

    ``distinct=True``: the total counts distinct people over rows that may share them (people staying in each month
    and in the year): the reader knows only ``max(cells) <= total <= sum(cells)``.
    """

    cells: tuple[Key, ...]
    total: Key
    distinct: bool = False


def display(value: int, mark: Mark, k: int) -> str:
    """The text of a count: the number, ``<k`` (0..k-1) or ``x`` (hidden to protect a small count)."""
    if mark is Mark.PRIMARY:
        return f"<{k}"
    if mark is Mark.SECONDARY:
        return "x"
    return str(value)


def reader_bounds(value: float, mark: Mark, k: int) -> Bounds:
    """What a reader knows of one figure from its text alone."""
    if mark is Mark.PRIMARY:
        return (0, k - 1)
    if mark is Mark.SECONDARY:
        return (k, math.inf)
    return (value, value)


def attacker_bounds(known: Mapping[Key, Bounds], lines: Sequence[Line]) -> dict[Key, Bounds]:
    """Tighten every figure's interval through every line until nothing changes (values are integers >= 0)."""
    bounds = {key: (max(0.0, float(lo)), float(hi)) for key, (lo, hi) in known.items()}
    for _ in range(MAX_ROUNDS):
        changed = False
        for line in lines:
            if line.distinct:
                changed = _tighten_distinct(bounds, line) or changed
                continue
            terms = [(c, 1) for c in line.cells] + [(line.total, -1)]
            # sign * x: lower bounds are finite or -inf, upper bounds finite or +inf, so sums never mix infinities
            lows = [bounds[c][0] if s > 0 else -bounds[c][1] for c, s in terms]
            highs = [bounds[c][1] if s > 0 else -bounds[c][0] for c, s in terms]
            # the sum of the other terms, for each term: the line's sum less the term (P6: once per line, not once
            # per term; counts are whole numbers far below 2**53, so the float sums are exact and the same)
            low_sum, low_infinite = _finite_sum(lows)
            high_sum, high_infinite = _finite_sum(highs)
            for i, (cell, sign) in enumerate(terms):
                # sign * x_cell = -(sum of the other terms)
                rest_lo = _rest(low_sum, low_infinite, lows[i], -math.inf)
                rest_hi = _rest(high_sum, high_infinite, highs[i], math.inf)
                lo_t, hi_t = -rest_hi, -rest_lo
                new_lo, new_hi = (lo_t, hi_t) if sign > 0 else (-hi_t, -lo_t)
                old_lo, old_hi = bounds[cell]
                new_lo = max(old_lo, math.ceil(new_lo) if new_lo != -math.inf else old_lo)
                new_hi = min(old_hi, math.floor(new_hi) if new_hi != math.inf else old_hi)
                if (new_lo, new_hi) != (old_lo, old_hi):
                    bounds[cell] = (new_lo, new_hi)
                    changed = True
        if not changed:
            break
    return bounds


def _finite_sum(values: Sequence[float]) -> tuple[float, int]:
    """The sum of the finite values, and how many are infinite (all of one sign in a list of ``attacker_bounds``)."""
    total, infinite = 0.0, 0
    for v in values:
        if math.isinf(v):
            infinite += 1
        else:
            total += v
    return total, infinite


def _rest(total: float, infinite: int, value: float, inf: float) -> float:
    """The sum of all values but ``value``, from ``_finite_sum``: ``inf`` while another value is infinite."""
    if math.isinf(value):
        return inf if infinite > 1 else total
    return inf if infinite else total - value


def _tighten_distinct(bounds: dict[Key, Bounds], line: Line) -> bool:
    """``max(cells) <= total <= sum(cells)``: tighten every interval once; whether any changed."""
    changed = False

    def narrow(key: Key, lo: float, hi: float) -> None:
        nonlocal changed
        old_lo, old_hi = bounds[key]
        new = (max(old_lo, math.ceil(lo)) if lo != -math.inf else old_lo,
               min(old_hi, math.floor(hi)) if hi != math.inf else old_hi)
        if new != (old_lo, old_hi):
            bounds[key] = new
            changed = True

    cells = line.cells
    narrow(line.total, max(bounds[c][0] for c in cells), sum(bounds[c][1] for c in cells))
    total_lo, total_hi = bounds[line.total]
    highs = [bounds[c][1] for c in cells]
    high_sum = sum(highs)
    for i, cell in enumerate(cells):
        rest = high_sum - highs[i] if highs[i] != math.inf else sum(h for j, h in enumerate(highs) if j != i)
        narrow(cell, total_lo - rest, total_hi)
    return changed


def is_exposed(bounds: Bounds) -> bool:
    return bounds[1] - bounds[0] <= PROTECTION


def protect(values: Mapping[Key, int], lines: Sequence[Line], k: int,
            fixed: Iterable[Key] = ()) -> dict[Key, Mark]:
    """The mark of every figure so that no sensitive count (1..k-1) can be worked out to within ±1.

    ``fixed``: figures the reader knows although they are not printed (e.g. a centre without a shelter has no
    shelter figures: they are zero and everyone knows it); they are never hidden and never sensitive.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if any(v < 0 for v in values.values()):
        raise ValueError("counts must be non-negative")
    fixed_set = set(fixed)
    marks = {key: Mark.PRIMARY if v < k and key not in fixed_set and k > 1 else Mark.SHOWN
             for key, v in values.items()}
    sensitive = [key for key, v in values.items() if 1 <= v < k and key not in fixed_set and k > 1]
    lines_of: dict[Key, list[Line]] = defaultdict(list)
    for line in lines:
        for key in (*line.cells, line.total):
            lines_of[key].append(line)

    for _ in range(len(values) + 1):
        known = {key: reader_bounds(values[key], marks[key], k) for key in values}
        bounds = attacker_bounds(known, lines)
        exposed = [key for key in sensitive if is_exposed(bounds[key])]
        if not exposed:
            return marks
        progressed = False
        touched: set[Line] = set()
        for key in exposed:
            if touched.intersection(lines_of[key]):
                continue  # one hide per line and round: the next round sees whether it was enough
            rectangle = _rectangle(key, lines_of, values, marks, fixed_set, k)
            choices = rectangle if rectangle is not None else [_complement(key, lines_of, values, marks, fixed_set)]
            for choice in choices:
                if choice is not None:
                    marks[choice] = Mark.SECONDARY
                    touched.update(lines_of[choice])
                    progressed = True
        if not progressed:
            break
    raise RuntimeError("could not protect every small count")  # pragma: no cover - every line ends hidden


MAX_RECTANGLES_TRIED = 12


def _members(line: Line) -> tuple[Key, ...]:
    return (*line.cells, line.total)


def _rectangle(key: Key, lines_of: Mapping[Key, list[Line]], values: Mapping[Key, int], marks: dict[Key, Mark],
               fixed: set[Key], k: int) -> list[Key] | None:
    """The cheapest *rectangle* through an exposed ``key`` that protects it: ``key`` = (i, j) and three more
    figures (i, j'), (i', j), (i', j') — one in each of two lines through ``key`` and one sharing a line with
    each of those. A reader adding one to ``key`` can then take one from (i, j'), add one to (i', j') and take one
    from (i', j): every line still adds up, so no line alone pins ``key``. Figures already hidden cost nothing;
    the cheapest rectangle hides the fewest figures, then the smallest counts. "Lines" are any relations (a
    table's rows and columns, a population total printed twice, all centres = sum of the units), so a rectangle
    may run across tables or units. Each candidate is checked by the attacker on the lines around it; the whole
    release is checked again by the caller. ``None``: no rectangle found or none protects ``key`` (the caller
    then hides one figure at a time, ``_complement``)."""
    own = lines_of.get(key, [])
    if len(own) < 2:
        return None
    candidates: dict[tuple[Key, ...], tuple[int, int]] = {}
    for l1, l2 in itertools.combinations(own, 2):
        m1, m2 = set(_members(l1)), set(_members(l2))
        for a in _members(l1):
            if a == key or a in fixed or a in m2:
                continue
            for b in _members(l2):
                if b == key or b in fixed or b in m1:
                    continue
                b_side = {c for line in lines_of[b] if line is not l2 for c in _members(line)}
                for l3 in lines_of[a]:
                    if l3 is l1:
                        continue
                    for c in _members(l3):
                        if c in (key, a, b) or c in fixed or c not in b_side:
                            continue
                        new = tuple(sorted({a, b, c} - {x for x in (a, b, c) if marks[x] is not Mark.SHOWN},
                                           key=repr))
                        cost = (len(new), sum(values[x] for x in new))
                        if new not in candidates or cost < candidates[new]:
                            candidates[new] = cost
    ranked = sorted(candidates, key=lambda new: (candidates[new], repr(new)))
    for new in ranked[:MAX_RECTANGLES_TRIED]:
        if not new:
            continue  # a rectangle of hidden figures did not protect it: hiding more is needed elsewhere
        trial = dict(marks)
        for x in new:
            trial[x] = Mark.SECONDARY
        local = {line for x in (key, *new) for line in lines_of[x]}
        known = {x: reader_bounds(values[x], trial[x], k) for line in local for x in _members(line)}
        if not is_exposed(attacker_bounds(known, list(local))[key]):
            return list(new)
    return None


def _complement(key: Key, lines_of: Mapping[Key, list[Line]], values: Mapping[Key, int],
                marks: dict[Key, Mark], fixed: set[Key]) -> Key | None:
    """The figure to hide next for an exposed ``key``: the smallest shown count in its lines, else a shown total;
    when its lines are all hidden already, the same search in the lines of the hidden figures next to it (the
    reader pinned ``key`` through them), and so on outwards."""
    seen, frontier = {key}, [key]
    while frontier:
        lines = [line for k in frontier for line in lines_of.get(k, [])]
        cells = [c for line in lines for c in line.cells
                 if marks[c] is Mark.SHOWN and values[c] > 0 and c not in fixed]
        if cells:
            return min(cells, key=lambda c: (values[c], repr(c)))
        totals = [line.total for line in lines if marks[line.total] is Mark.SHOWN and line.total not in fixed]
        if totals:
            return min(totals, key=lambda c: (values[c], repr(c)))
        nxt = []
        for line in lines:
            for c in (*line.cells, line.total):
                if c not in seen and marks[c] is not Mark.SHOWN:
                    seen.add(c)
                    nxt.append(c)
        frontier = nxt
    return None


# -- one table on its own (rows, columns and their totals) ----------------------------------------------------


@dataclass(frozen=True)
class SuppressedGrid:
    """One table's counts with their marks. ``row_totals`` / ``col_totals`` / ``grand_total`` are None when not
    shown."""

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


TOTAL = "T"


def table_figures(counts: Sequence[Sequence[int]], *, row_totals: bool, col_totals: bool,
                  totals_add_up: bool = True, totals: Sequence[int] | None = None
                  ) -> tuple[dict[tuple[object, object], int], list[Line]]:
    """The figures of one table keyed ``(row, col)`` (``"T"`` for a total) and the lines its totals make.

    ``totals_add_up=False``: the total row is printed but is not the sum of the rows: ``totals`` are its counts
    (e.g. distinct people over a year of months, each counted once), known to lie between the largest row and the
    sum of the rows (a ``distinct`` line).
    """
    n = len(counts)
    m = len(counts[0]) if n else 0
    if any(len(row) != m for row in counts):
        raise ValueError("ragged table")
    values: dict[tuple[object, object], int] = {(i, j): int(counts[i][j]) for i in range(n) for j in range(m)}
    lines: list[Line] = []
    if row_totals:
        for i in range(n):
            values[(i, TOTAL)] = sum(counts[i])
            lines.append(Line(tuple((i, j) for j in range(m)), (i, TOTAL)))
    if col_totals:
        if not totals_add_up and (totals is None or len(totals) != m):
            raise ValueError("a total row that is not the sum of the rows needs its own counts")
        for j in range(m):
            column = tuple((i, j) for i in range(n))
            if totals_add_up:
                values[(TOTAL, j)] = sum(counts[i][j] for i in range(n))
                lines.append(Line(column, (TOTAL, j)))
            else:
                assert totals is not None
                values[(TOTAL, j)] = int(totals[j])
                if n:
                    lines.append(Line(column, (TOTAL, j), distinct=True))
        if row_totals:
            values[(TOTAL, TOTAL)] = sum(values[(TOTAL, j)] for j in range(m))
            lines.append(Line(tuple((TOTAL, j) for j in range(m)), (TOTAL, TOTAL)))
            if totals_add_up:
                lines.append(Line(tuple((i, TOTAL) for i in range(n)), (TOTAL, TOTAL)))
    return values, lines


def suppress(counts: Sequence[Sequence[int]], k: int, *, row_totals: bool = False,
             col_totals: bool = True) -> SuppressedGrid:
    """One table protected on its own (the release protects all its tables together: ``app.reports.releases``)."""
    if any(v < 0 for row in counts for v in row):
        raise ValueError("counts must be non-negative")
    values, lines = table_figures(counts, row_totals=row_totals, col_totals=col_totals)
    marks = protect(values, lines, k)
    n = len(counts)
    m = len(counts[0]) if n else 0
    return SuppressedGrid(
        k=k,
        values=[[values[(i, j)] for j in range(m)] for i in range(n)],
        marks=[[marks[(i, j)] for j in range(m)] for i in range(n)],
        row_totals=[values[(i, TOTAL)] for i in range(n)] if row_totals else None,
        row_total_marks=[marks[(i, TOTAL)] for i in range(n)] if row_totals else None,
        col_totals=[values[(TOTAL, j)] for j in range(m)] if col_totals else None,
        col_total_marks=[marks[(TOTAL, j)] for j in range(m)] if col_totals else None,
        grand_total=values[(TOTAL, TOTAL)] if row_totals and col_totals else None,
        grand_total_mark=marks[(TOTAL, TOTAL)] if row_totals and col_totals else None,
    )
