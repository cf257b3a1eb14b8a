"""Disclosure control (app/reports/suppression.py): a pure module, tested on its own.

The attacker's view: every shown number, the meaning of the markers (<k: 0..k-1, x: k or more) and every relation
between the figures. No count of 1..k-1 may be worked out to within ±1 from that.
"""

from __future__ import annotations

import itertools
import random

import pytest

from app.reports.suppression import Line, Mark, display, protect, suppress

K = 5


def texts(grid):  # type: ignore[no-untyped-def]
    return [[display(v, m, grid.k) for v, m in zip(row, marks, strict=True)]
            for row, marks in zip(grid.values, grid.marks, strict=True)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_zero_and_small_counts_look_alike(n: int) -> None:
    grid = suppress([[n], [20], [30]], K)
    assert texts(grid)[0] == ["<5"]


def test_k_and_above_are_shown() -> None:
    grid = suppress([[5], [17], [9]], K)
    assert texts(grid) == [["5"], ["17"], ["9"]] and grid.col_totals == [31]


def test_a_lone_small_count_against_a_total_gets_a_complement() -> None:
    grid = suppress([[1], [20], [0], [0]], K)  # the smalls sum to 1: each would be 0 or 1
    assert texts(grid) == [["<5"], ["x"], ["<5"], ["<5"]]


def test_linked_tables_share_a_total() -> None:
    # two one-column tables printing the same population total (30): protected together
    values = {("a", 0): 1, ("a", 1): 29, ("a", "T"): 30, ("b", 0): 10, ("b", 1): 20, ("b", "T"): 30}
    lines = [Line((("a", 0), ("a", 1)), ("a", "T")), Line((("b", 0), ("b", 1)), ("b", "T")),
             Line((("b", "T"),), ("a", "T"))]
    marks = protect(values, lines, K)
    assert marks[("a", 0)] is Mark.PRIMARY and marks[("a", 1)] is not Mark.SHOWN


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]], K)
    with pytest.raises(ValueError):
        suppress([[-1]], K)
    with pytest.raises(ValueError):
        suppress([[1]], 0)


def _exposed_by_brute_force(counts, grid) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Every assignment of the hidden cells consistent with the shown column totals; the small (1..k-1) cells
    whose possible values all lie within ±1 of one number."""
    n = len(counts)
    hidden = sorted(grid.hidden_cells())
    total_shown = grid.col_total_marks[0] is Mark.SHOWN
    top = sum(r[0] for r in counts) + 1
    ranges = [range(0, K) if grid.marks[i][j] is Mark.PRIMARY else range(K, top) for i, j in hidden]
    seen: dict[tuple[int, int], set[int]] = {p: set() for p in hidden if 1 <= counts[p[0]][p[1]] < K}
    for combo in itertools.product(*ranges):
        values = [r[0] for r in counts]
        for (i, _j), v in zip(hidden, combo, strict=True):
            values[i] = v
        if total_shown and sum(values[i] for i in range(n)) != grid.col_totals[0]:
            continue
        for p in seen:
            seen[p].add(values[p[0]])
    return [p for p, vals in seen.items() if vals and max(vals) - min(vals) <= 2]


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_recoverable_in_random_columns(seed: int) -> None:
    rng = random.Random(seed)
    counts = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20])] for _ in range(rng.randint(2, 4))]
    grid = suppress(counts, K)
    assert _exposed_by_brute_force(counts, grid) == []
