"""``/cases/kpis``: a supervisor's figures for her centre and a year, suppressed like a statistics release."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access, audit
from app.dates import local_today
from app.reports.registry import Period, Table
from app.reports.releases import min_cell
from app.reports.suppression import display, suppress
from app.users.models import Role
from cases.casefile.panels import caseloads
from cases.core.blueprint import bp
from cases.feedback.reports import feedback_tables
from cases.kpis.forms import YearForm
from cases.kpis.reports import kpi_tables

YEARS_BACK = 5


@dataclass(frozen=True)
class ShownTable:
    key: str
    title: str
    row_header: str
    col_labels: list[str]
    rows: list[tuple[str, list[str]]]
    total: list[str] | None
    note: str = ""


def shown(table: Table, k: int) -> ShownTable:
    """The table as a reader sees it: counts below k hidden, and what would give them away (row totals, when the
    table has them, as a last column)."""
    grid = suppress(table.counts, k, row_totals=table.row_totals, col_totals=table.col_totals)
    rows = []
    for i, (label, values, marks) in enumerate(zip(table.row_labels, grid.values, grid.marks, strict=True)):
        cells = [display(v, m, k) for v, m in zip(values, marks, strict=True)]
        if grid.row_totals is not None and grid.row_total_marks is not None:
            cells.append(display(grid.row_totals[i], grid.row_total_marks[i], k))
        rows.append((label, cells))
    total = None
    if grid.col_totals is not None and grid.col_total_marks is not None:
        total = [display(v, m, k) for v, m in zip(grid.col_totals, grid.col_total_marks, strict=True)]
        if grid.grand_total is not None and grid.grand_total_mark is not None:
            total.append(display(grid.grand_total, grid.grand_total_mark, k))
    columns = [*table.col_labels, *([_("Total")] if table.row_totals else [])]
    return ShownTable(table.key, table.title, table.row_header, columns, rows, total, table.note)


@bp.get("/kpis")
@access.roles(Role.SUPERVISOR)
def view_kpis():  # type: ignore[no-untyped-def]
    this_year = local_today().year
    form = YearForm(request.args, meta={"csrf": False})
    form.year.choices = [SelectChoice(str(y), str(y)) for y in range(this_year, this_year - YEARS_BACK, -1)]
    status = 200
    year = this_year
    if request.args and not form.validate():
        status = 422
    elif form.year.data:
        year = int(form.year.data)
    form.year.data = str(year)
    k = min_cell()
    period = Period.year(year)
    # Her feedback is anonymous; a live table of the running year moves by one answer just after a woman gave it,
    # which ties the answer to the woman whose file the supervisor saw close. So it is shown for ended years only.
    feedback_withheld = year >= this_year
    feedback = [] if feedback_withheld else feedback_tables([current_user.centre_id], period)
    tables = [shown(t, k) for t in (*kpi_tables([current_user.centre_id], period), *feedback)]
    audit.record("statistics.kpis", object_type="centre", object_id=current_user.centre.public_id,
                 details={"year": year})
    access.commit_read()
    return render_template("cases/kpis/view.html", form=form, year=year, k=k, tables=tables,
                           feedback_withheld=feedback_withheld,
                           caseloads=caseloads(current_user)), status
