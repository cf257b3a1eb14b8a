"""From raw tables to what leaves the server: suppression applied, cells as text. HTML, CSV and charts all read
``RenderedTable``, so none of them can show a count the others hide."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.reports.registry import Table
from app.reports.suppression import Mark, SuppressedGrid, display, suppress


@dataclass(frozen=True)
class Cell:
    text: str
    mark: Mark = Mark.SHOWN
    value: float | None = None  # the number behind a shown cell (charts); None when hidden or not a number

    @property
    def hidden(self) -> bool:
        return self.mark is not Mark.SHOWN


@dataclass(frozen=True)
class RenderedTable:
    key: str
    title: str
    section: str
    note: str
    header: list[str]
    rows: list[tuple[str, list[Cell]]]
    total_row: tuple[str, list[Cell]] | None
    chart: tuple[str, int] | None
    chart_unit: str
    count_columns: int

    @property
    def has_hidden(self) -> bool:
        cells = [c for _label, row in self.rows for c in row]
        if self.total_row:
            cells += self.total_row[1]
        return any(c.hidden for c in cells)

    def chart_points(self) -> list[tuple[str, Cell]]:
        """(row label, cell) of the charted column."""
        if self.chart is None:
            return []
        kind, index = self.chart
        column = index if kind == "count" else self.count_columns + index
        return [(label, row[column]) for label, row in self.rows]


def _count_cell(value: int, mark: Mark, k: int) -> Cell:
    return Cell(display(value, mark, k), mark, float(value) if mark is Mark.SHOWN else None)


def _derived_cell(value: float | None, fmt: str, basis_mark: Mark | None) -> Cell:
    if basis_mark is not None and basis_mark is not Mark.SHOWN:
        return Cell("x", Mark.SECONDARY)
    if value is None:
        return Cell("–")
    return Cell(fmt.format(value), Mark.SHOWN, value)


def render_table(table: Table, k: int) -> RenderedTable:
    grid: SuppressedGrid = suppress(table.counts, k, row_totals=table.row_totals, col_totals=table.col_totals)
    header = [table.row_header, *table.col_labels]
    if table.row_totals:
        header.append(_("Total"))
    header += [d.label for d in table.derived]

    rows: list[tuple[str, list[Cell]]] = []
    for i, label in enumerate(table.row_labels):
        cells = [_count_cell(v, mk, k) for v, mk in zip(grid.values[i], grid.marks[i], strict=True)]
        if grid.row_totals is not None and grid.row_total_marks is not None:
            cells.append(_count_cell(grid.row_totals[i], grid.row_total_marks[i], k))
        for d in table.derived:
            basis = grid.marks[i][d.basis] if d.basis is not None else None
            cells.append(_derived_cell(d.values[i], d.fmt, basis))
        rows.append((label, cells))

    total_row = None
    if grid.col_totals is not None and grid.col_total_marks is not None:
        cells = [_count_cell(v, mk, k) for v, mk in zip(grid.col_totals, grid.col_total_marks, strict=True)]
        if grid.grand_total is not None and grid.grand_total_mark is not None:
            cells.append(_count_cell(grid.grand_total, grid.grand_total_mark, k))
        for d in table.derived:
            basis = grid.col_total_marks[d.basis] if d.basis is not None else None
            cells.append(_derived_cell(d.total, d.fmt, basis))
        total_row = (_("Total"), cells)

    return RenderedTable(
        key=table.key, title=table.title, section=table.section, note=table.note, header=header, rows=rows,
        total_row=total_row, chart=table.chart, chart_unit=table.chart_unit,
        count_columns=len(table.col_labels) + (1 if table.row_totals else 0),
    )
