"""Statistics for the municipality's yearly "Equality in Service" report: pages, CSV export, printable report.

Who: supervisors (their own centre only; asking for another centre is an audited 404) and admins (municipality
level: any centre or all centres). What: aggregates only, from the sections feature packages register
(``app.reports.registry``), with small cells suppressed (``app.reports.suppression``) before anything is rendered.
No identifiers, no free text, nothing finer than a month. Every view and export is on record (``reports.view``,
``reports.export``) before the figures leave, so repeated overlapping queries (differencing) can be reviewed.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app import access, audit
from app.audit_views import neutralise_cell
from app.auth import stepup
from app.db import db
from app.reports.charts import bar_chart
from app.reports.forms import PeriodForm
from app.reports.registry import Period, collect_tables
from app.reports.render import RenderedTable, render_table
from app.users.models import Centre, Role

bp = Blueprint("reports", __name__, url_prefix="/reports")

ALL = "all"


@dataclass(frozen=True)
class Scope:
    period: Period
    centres: list[Centre]  # the centres counted
    all_centres: bool
    choices: list[tuple[str, str]]  # centre options the user may pick (value, label)
    selected: str

    @property
    def centre_label(self) -> str:
        return _("All centres") if self.all_centres else ", ".join(c.name for c in self.centres)

    @property
    def audit_details(self) -> dict[str, Any]:
        return {"period": self.period.slug, "centre": ALL if self.all_centres else self.centres[0].code}

    def args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"centre": self.selected}
        if self.period.is_calendar_year:
            out["year"] = str(self.period.start.year)
        else:
            out["start"] = f"{self.period.start:%Y-%m}"
            out["end"] = f"{self.period.months[-1]:%Y-%m}"
        return out


def period_label(period: Period) -> str:
    if period.is_calendar_year:
        return str(period.start.year)
    first, last = period.months[0], period.months[-1]
    if first == last:
        return format_date(first, "LLLL y")
    return f"{format_date(first, 'LLLL y')} – {format_date(last, 'LLLL y')}"


def _min_cell() -> int:
    return int(current_app.config.get("STATS_MIN_CELL", 5))


def _today_year() -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))).year


def _resolve(form: PeriodForm) -> Scope | None:
    """The period and centres asked for, or None when the centre value is malformed (a form error).

    SECURITY: a supervisor counts only her own centre; asking for another (or for all) is an audited 404, the same
    answer as for a centre that does not exist.
    """
    period = form.period(_today_year())
    raw = form.centre.data or ""
    if current_user.role == Role.SUPERVISOR:
        own = db.session.get(Centre, current_user.centre_id)
        assert own is not None
        choices = [(str(own.public_id), own.name)]
        if raw and raw != ALL:
            try:
                wanted = uuid.UUID(raw)
            except ValueError:
                form.centre.errors = [_("Choose a centre from the list.")]
                return None
            if wanted != own.public_id:
                access.deny("reports.view", object_type="centre", object_id=wanted, reason="other-centre")
        elif raw == ALL:
            access.deny("reports.view", object_type="centre", object_id=ALL, reason="other-centre")
        return Scope(period, [own], False, choices, str(own.public_id))

    centres = list(db.session.scalars(sa.select(Centre).order_by(Centre.name)))
    choices = [(ALL, _("All centres")), *((str(c.public_id), c.name) for c in centres)]
    if not raw or raw == ALL:
        return Scope(period, centres, True, choices, ALL)
    try:
        wanted = uuid.UUID(raw)
    except ValueError:
        form.centre.errors = [_("Choose a centre from the list.")]
        return None
    chosen = next((c for c in centres if c.public_id == wanted), None)
    if chosen is None:
        access.deny("reports.view", object_type="centre", object_id=wanted)
    assert chosen is not None
    return Scope(period, [chosen], False, choices, str(chosen.public_id))


def _tables(scope: Scope) -> list[RenderedTable]:
    k = _min_cell()
    return [render_table(t, k) for t in collect_tables([c.id for c in scope.centres], scope.period)]


def _by_section(tables: list[RenderedTable]) -> OrderedDict[str, list[RenderedTable]]:
    sections: OrderedDict[str, list[RenderedTable]] = OrderedDict()
    for table in tables:
        sections.setdefault(table.section, []).append(table)
    return sections


def _charts(tables: list[RenderedTable]) -> dict[str, Markup]:
    return {t.key: bar_chart(t, f"chart-{t.key}") for t in tables if t.chart is not None}


def _centre_choices() -> list[tuple[str, str]]:
    if current_user.role == Role.SUPERVISOR:
        own = db.session.get(Centre, current_user.centre_id)
        return [(str(own.public_id), own.name)] if own else []
    centres = db.session.scalars(sa.select(Centre).order_by(Centre.name))
    return [(ALL, _("All centres")), *((str(c.public_id), c.name) for c in centres)]


def _invalid(form: PeriodForm) -> tuple[str, int]:
    return render_template("reports/index.html", form=form, scope=None, sections={}, charts={},
                           k=_min_cell(), period_label="", centre_choices=_centre_choices()), 422


def _form() -> PeriodForm:
    return PeriodForm(request.args, meta={"csrf": False})


def _load_audited(form: PeriodForm, action: str):  # type: ignore[no-untyped-def]
    """(scope, tables) for a valid request, after recording who looked at which period; None for invalid input."""
    if not form.validate():
        return None
    scope = _resolve(form)
    if scope is None:
        return None
    tables = _tables(scope)
    audit.record(action, details=scope.audit_details)
    db.session.commit()
    return scope, tables


@bp.get("/")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
def view_statistics():  # type: ignore[no-untyped-def]
    form = _form()
    loaded = _load_audited(form, "reports.view")
    if loaded is None:
        return _invalid(form)
    scope, tables = loaded
    return render_template("reports/index.html", form=form, scope=scope, sections=_by_section(tables),
                           charts=_charts(tables), k=_min_cell(), period_label=period_label(scope.period),
                           centre_choices=scope.choices,
                           export_url=url_for("reports.export_statistics", **scope.args()),
                           print_url=url_for("reports.print_report", **scope.args()))


@bp.get("/print")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
@stepup.required
def print_report():  # type: ignore[no-untyped-def]
    form = _form()
    loaded = _load_audited(form, "reports.print")
    if loaded is None:
        return _invalid(form)
    scope, tables = loaded
    return render_template("reports/print.html", scope=scope, sections=_by_section(tables),
                           charts=_charts(tables), k=_min_cell(), period_label=period_label(scope.period),
                           back_url=url_for("reports.view_statistics", **scope.args()))


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(c) for c in cells])
    return buffer.getvalue()


def _csv(scope: Scope, tables: list[RenderedTable], k: int) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # BOM: Excel reads UTF-8 (Turkish letters) only with it
    out.write(_csv_line([_("Equality in Service statistics")]))
    out.write(_csv_line([_("Period"), period_label(scope.period)]))
    out.write(_csv_line([_("Centre"), scope.centre_label]))
    out.write(_csv_line([_("Counts from 1 to %(n)d are shown as <%(k)d; x marks a value hidden so that a small "
                           "count cannot be worked out from the totals.", n=k - 1, k=k)]))
    for table in tables:
        out.write("\r\n")
        out.write(_csv_line([table.section, table.title]))
        out.write(_csv_line(table.header))
        for label, cells in table.rows:
            out.write(_csv_line([label, *(c.text for c in cells)]))
        if table.total_row:
            out.write(_csv_line([table.total_row[0], *(c.text for c in table.total_row[1])]))
        if table.note:
            out.write(_csv_line([table.note]))
    return out.getvalue()


@bp.get("/export.csv")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
@stepup.required
def export_statistics():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _invalid(form)
    scope = _resolve(form)
    if scope is None:
        return _invalid(form)
    k = _min_cell()
    tables = _tables(scope)
    body = _csv(scope, tables, k)
    # SECURITY: the export is on record (committed) before any of it leaves.
    audit.record("reports.export", object_type="statistics",
                 details={**scope.audit_details, "tables": len(tables), "k": k})
    db.session.commit()
    return Response(
        body.encode(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=statistics-{scope.period.slug}.csv"},
    )
