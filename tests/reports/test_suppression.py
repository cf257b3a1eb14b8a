"""Small-cell suppression (app/reports/suppression.py): a pure function, tested on its own.

The attacker's view: every shown number, the meaning of the markers (<k: 1..k-1, x: hidden to protect), and that
rows/columns add up to their shown totals. No hidden small count may be worked out exactly from that.
"""

from __future__ import annotations

import itertools
import random

import pytest

from app.reports.suppression import Mark, display, suppress

K = 5


def texts(grid):  # type: ignore[no-untyped-def]
    return [[display(v, m, grid.k) for v, m in zip(row, marks, strict=True)]
            for row, marks in zip(grid.values, grid.marks, strict=True)]


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_counts_below_k_are_shown_as_less_than_k(n: int) -> None:
    grid = suppress([[n], [0], [20], [30]], K)
    assert texts(grid)[0] == ["<5"]
    assert "<5" not in [t for row in texts(grid)[1:] for t in row]


def test_zero_and_k_and_above_are_shown() -> None:
    grid = suppress([[0], [5], [17]], K)
    assert texts(grid) == [["0"], ["5"], ["17"]]
    assert grid.col_totals == [22] and grid.col_total_marks == [Mark.SHOWN]


def test_a_single_hidden_cell_gets_a_complementary_cell_the_smallest_other_non_zero() -> None:
    # total 38 shown: 3 would be 38 - 20 - 0 - 15; so the smallest other non-zero (15) is hidden too
    grid = suppress([[3], [20], [0], [15]], K)
    assert texts(grid) == [["<5"], ["20"], ["0"], ["x"]]
    assert grid.col_total_marks == [Mark.SHOWN]


def test_the_total_is_hidden_when_no_other_cell_can_be() -> None:
    grid = suppress([[3], [0], [0]], K)
    assert texts(grid) == [["<5"], ["0"], ["0"]]
    assert grid.col_total_marks == [Mark.PRIMARY]  # the total is 3 itself
    grid = suppress([[1], [5], [0]], K)  # 1 + 5: hiding 5 is not enough (x >= 5 forces 1), the total goes too
    assert grid.marks == [[Mark.PRIMARY], [Mark.SECONDARY], [Mark.SHOWN]]
    assert grid.col_total_marks == [Mark.SECONDARY]


def test_two_small_cells_that_pin_each_other_are_protected() -> None:
    # 1 and 1 with total 12 and 10 shown: both hidden cells would have to be 1
    grid = suppress([[1], [1], [10]], K)
    assert texts(grid) == [["<5"], ["<5"], ["x"]]


def test_without_totals_only_primary_suppression() -> None:
    grid = suppress([[3], [20], [15]], K, col_totals=False)
    assert texts(grid) == [["<5"], ["20"], ["15"]]
    assert grid.col_totals is None


def test_cross_table_rows_and_columns_both_protected() -> None:
    counts = [[3, 10, 0], [6, 7, 8], [9, 9, 9]]
    grid = suppress(counts, K, row_totals=True, col_totals=True)
    assert grid.row_totals == [13, 21, 27] and grid.col_totals == [18, 26, 17] and grid.grand_total == 61
    hidden = grid.hidden_cells()
    assert (0, 0) in hidden
    for i in range(3):  # no row or column with exactly one hidden value
        assert sum((i, j) in hidden for j in range(3)) + (grid.row_total_marks[i] != Mark.SHOWN) != 1
        assert sum((j, i) in hidden for j in range(3)) + (grid.col_total_marks[i] != Mark.SHOWN) != 1


def test_small_totals_are_hidden() -> None:
    grid = suppress([[1, 2], [0, 0]], K, row_totals=True, col_totals=True)
    assert grid.row_total_marks[0] is Mark.PRIMARY
    assert grid.grand_total_mark is Mark.PRIMARY


def test_k_is_configurable() -> None:
    grid = suppress([[7], [20], [30]], 10)
    assert texts(grid)[0] == ["<10"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        suppress([[1, 2], [3]], K)
    with pytest.raises(ValueError):
        suppress([[-1]], K)
    with pytest.raises(ValueError):
        suppress([[1]], 0)


def _recoverable(grid, k: int) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Brute force the attacker: every assignment of the hidden cells consistent with what is shown; return the
    small (primary) cells whose value is the same in every consistent assignment."""
    n, m = len(grid.values), len(grid.values[0])
    hidden = sorted(grid.hidden_cells())
    primary = [p for p in hidden if grid.marks[p[0]][p[1]] is Mark.PRIMARY]
    ranges = []
    top = max((t for t in (grid.col_totals or [])), default=60) + 1
    for i, j in hidden:
        ranges.append(range(1, k) if grid.marks[i][j] is Mark.PRIMARY else range(k, top))
    seen: dict[tuple[int, int], set[int]] = {p: set() for p in primary}
    for combo in itertools.product(*ranges):
        values = [list(r) for r in grid.values]
        for (i, j), v in zip(hidden, combo, strict=True):
            values[i][j] = v
        ok = True
        if grid.col_totals is not None:
            for j in range(m):
                if grid.col_total_marks[j] is Mark.SHOWN and sum(values[i][j] for i in range(n)) != grid.col_totals[j]:
                    ok = False
        if ok:
            for p in primary:
                seen[p].add(values[p[0]][p[1]])
    return [p for p, vals in seen.items() if len(vals) == 1]


@pytest.mark.parametrize("seed", range(40))
def test_no_small_count_recoverable_in_random_columns(seed: int) -> None:
    rng = random.Random(seed)
    counts = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20])] for _ in range(rng.randint(2, 5))]
    grid = suppress(counts, K)
    assert _recoverable(grid, K) == []
    # every small non-zero count is hidden, every shown number is the true one
    for (row,), marks in zip(counts, grid.marks, strict=True):
        if 1 <= row < K:
            assert marks[0] is Mark.PRIMARY
