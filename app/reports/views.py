"""Statistics for the municipality's yearly "Equality in Service" report: published releases (page, CSV export,
printable report), issuing a release or revision, and the list of releases for admins and auditors.

Who reads figures: supervisors (the centre or group of centres her centre is published in; asking for another is an
audited 404) and admins (all centres, or any published centre or group). Who issues: admins, by a deliberate POST.
Who sees the register of releases: admins and auditors (who issued what, when, from which data cut).
Every figure leaves from a stored release (``app.reports.releases``): nothing here reads case data, and every read
is on record (``reports.view``, ``reports.print``, ``reports.export``) before the figures leave.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app import access, audit
from app.audit_views import neutralise_cell
from app.auth import stepup
from app.dates import long_datetime
from app.db import db
from app.numbers import number
from app.reports.charts import bar_chart
from app.reports.forms import IssueReleaseForm, ReleaseChoiceForm
from app.reports.models import StatisticsRelease
from app.reports.releases import (
    ALL,
    ReleaseRefused,
    current_year,
    publish_year,
    published_years,
    releases_of,
)
from app.reports.render import RenderedTable, release_tables
from app.users.models import Centre, Role, User

bp = Blueprint("reports", __name__, url_prefix="/reports")


@dataclass(frozen=True)
class Scope:
    release: StatisticsRelease
    unit: dict[str, Any]
    choices: list[tuple[str, str]]  # units the user may pick (value, label)

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)

    @property
    def audit_details(self) -> dict[str, Any]:
        return {"year": self.release.year, "revision": self.release.revision, "unit": self.unit["key"]}

    def args(self) -> dict[str, Any]:
        return {"year": self.release.year, "revision": self.release.revision, "centre": self.unit["key"]}


def unit_label(unit: dict[str, Any]) -> str:
    if unit["key"] == ALL:
        return _("All centres")
    if len(unit["names"]) == 1:
        return str(unit["names"][0])
    if current_user.role == Role.ADMIN:
        return _("Smaller centres, grouped: %(names)s", names=", ".join(unit["names"]))
    return _("Smaller centres, grouped")


def _locale() -> str:
    return str(get_locale() or "tr")


def _release(form: ReleaseChoiceForm) -> StatisticsRelease | None:
    year = form.year.data
    if year is None:
        years = published_years()
        if not years:
            return None
        year = years[0]
    releases = releases_of(year)
    if not releases:
        return None
    if form.revision.data is None:
        return releases[-1]
    chosen = next((r for r in releases if r.revision == form.revision.data), None)
    if chosen is None:
        access.deny("reports.view", object_type="statistics-release", object_id=f"{year}/{form.revision.data}")
    return chosen


def _scope(form: ReleaseChoiceForm, release: StatisticsRelease) -> Scope:
    """The unit of ``release`` asked for. SECURITY: a supervisor reads only the unit her centre is published in;
    asking for another (or for all centres) is an audited 404, the same answer as for a unit that does not exist."""
    units = release.content["units"]
    raw = form.centre.data or ""
    if current_user.role == Role.SUPERVISOR:
        own = db.session.get(Centre, current_user.centre_id)
        assert own is not None
        mine = next((u for u in units if u["key"] != ALL and str(own.public_id) in u["centres"]), None)
        if mine is None:  # her centre was created after the release: nothing published for it
            access.deny("reports.view", object_type="centre", object_id=own.public_id, reason="not-published")
        assert mine is not None
        if raw and raw != mine["key"] and raw != str(own.public_id):
            access.deny("reports.view", object_type="centre", object_id=raw[:36], reason="other-centre")
        return Scope(release, mine, [(mine["key"], unit_label(mine))])
    choices = [(u["key"], unit_label(u)) for u in units]
    if not raw:
        return Scope(release, units[0], choices)
    unit = next((u for u in units if u["key"] == raw or (u["key"] != ALL and raw in u["centres"])), None)
    if unit is None:
        access.deny("reports.view", object_type="centre", object_id=raw[:36])
    assert unit is not None
    return Scope(release, unit, choices)


def _by_section(tables: list[RenderedTable]) -> OrderedDict[str, list[RenderedTable]]:
    sections: OrderedDict[str, list[RenderedTable]] = OrderedDict()
    for table in tables:
        sections.setdefault(table.section, []).append(table)
    return sections


def _charts(tables: list[RenderedTable]) -> dict[str, Markup]:
    return {t.key: bar_chart(t, f"chart-{t.key}") for t in tables if t.chart is not None}


def _form() -> ReleaseChoiceForm:
    return ReleaseChoiceForm(request.args, meta={"csrf": False})


def _page(form: ReleaseChoiceForm, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("scope", None)
    context.setdefault("sections", {})
    context.setdefault("charts", {})
    return render_template("reports/index.html", form=form, years=published_years(),
                           issue_form=IssueReleaseForm() if current_user.role == Role.ADMIN else None,
                           closed_year=current_year() - 1, **context), status


def _load_audited(form: ReleaseChoiceForm, action: str) -> tuple[Scope, list[RenderedTable]] | None:
    """(scope, tables) of a published release, after recording who read which; None when nothing is published."""
    release = _release(form)
    if release is None:
        return None
    scope = _scope(form, release)
    tables = release_tables(release.content, scope.unit["key"], _locale())
    audit.record(action, object_type="statistics-release", object_id=release.public_id, details=scope.audit_details)
    db.session.commit()
    return scope, tables


def _withheld_titles(scope: Scope) -> list[str]:
    labels = scope.release.content["labels"]
    chosen = labels.get(_locale()) or next(iter(labels.values()))
    return [chosen[key]["title"] for key in scope.release.withheld if key in chosen]


@bp.get("/")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
def view_statistics():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _page(form, 422)
    loaded = _load_audited(form, "reports.view")
    if loaded is None:
        return _page(form, 200 if form.year.data is None else 404, not_published=True)
    scope, tables = loaded
    return _page(form, scope=scope, sections=_by_section(tables), charts=_charts(tables),
                 k=scope.release.min_cell, withheld=_withheld_titles(scope),
                 issued_label=long_datetime(scope.release.issued_at),
                 export_url=url_for("reports.export_statistics", **scope.args()),
                 print_url=url_for("reports.print_report", **scope.args()))


@bp.get("/print")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
@stepup.required
def print_report():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _page(form, 422)
    loaded = _load_audited(form, "reports.print")
    if loaded is None:
        return _page(form, 200 if form.year.data is None else 404, not_published=True)
    scope, tables = loaded
    return render_template("reports/print.html", scope=scope, sections=_by_section(tables),
                           charts=_charts(tables), k=scope.release.min_cell, withheld=_withheld_titles(scope),
                           back_url=url_for("reports.view_statistics", **scope.args()))


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(c) for c in cells])
    return buffer.getvalue()


def _csv(scope: Scope, tables: list[RenderedTable]) -> str:
    k = scope.release.min_cell
    out = io.StringIO()
    out.write("\ufeff")  # BOM: Excel reads UTF-8 (Turkish letters) only with it
    out.write(_csv_line([_("Equality in Service statistics")]))
    out.write(_csv_line([_("Period"), str(scope.release.year)]))
    out.write(_csv_line([_("Release"), _("revision %(n)d", n=scope.release.revision)]))
    out.write(_csv_line([_("Centre"), scope.unit_label]))
    out.write(_csv_line([_("Counts from 0 to %(n)s are shown as <%(k)s; x marks a value hidden so that a small "
                           "count cannot be worked out from the other figures.", n=number(k - 1), k=number(k))]))
    out.write(_csv_line([_("The figures on applications, referrals, protective orders, equality and casework "
                           "leave out the cases of women who were given the privacy notice and have no current "
                           "consent to statistics (she declined or withdrew it). How many cases are left out is not "
                           "published: compared between releases or centres, that number could single someone "
                           "out.")]))
    for title in _withheld_titles(scope):
        out.write(_csv_line([_("Not revised (the earlier release stands): %(title)s", title=title)]))
    for table in tables:
        out.write("\r\n")
        out.write(_csv_line([table.section, table.title]))
        out.write(_csv_line(table.header))
        for label, cells in table.rows:
            out.write(_csv_line([label, *(c.raw for c in cells)]))
        if table.total_row:
            out.write(_csv_line([table.total_row[0], *(c.raw for c in table.total_row[1])]))
        if table.note:
            out.write(_csv_line([table.note]))
    return out.getvalue()


@bp.get("/export.csv")
@access.roles(Role.SUPERVISOR, Role.ADMIN)
@stepup.required
def export_statistics():  # type: ignore[no-untyped-def]
    form = _form()
    if not form.validate():
        return _page(form, 422)
    release = _release(form)
    if release is None:
        return _page(form, 404, not_published=True)
    scope = _scope(form, release)
    tables = release_tables(release.content, scope.unit["key"], _locale())
    body = _csv(scope, tables)
    # SECURITY: the export is on record (committed) before any of it leaves.
    audit.record("reports.export", object_type="statistics-release", object_id=release.public_id,
                 details={**scope.audit_details, "tables": len(tables), "k": release.min_cell})
    db.session.commit()
    return Response(
        body.encode(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=statistics-{release.year}-r{release.revision}.csv"},
    )


@bp.post("/releases")
@access.roles(Role.ADMIN)
def issue_statistics_release():  # type: ignore[no-untyped-def]
    form = IssueReleaseForm()
    if not form.validate_on_submit():
        return _page(ReleaseChoiceForm(meta={"csrf": False}), 422, issue_errors=form.year.errors)
    try:
        release = publish_year(form.year.data, actor=current_user)
    except ReleaseRefused as exc:
        db.session.rollback()
        return _page(ReleaseChoiceForm(meta={"csrf": False}), 422, issue_errors=[str(exc)])
    db.session.commit()
    flash(_("The statistics for %(year)d were published (revision %(n)d).", year=release.year, n=release.revision))
    return redirect(url_for("reports.view_statistics", year=release.year))


@dataclass(frozen=True)
class ReleaseRow:
    year: int
    revision: int
    issued_at: str
    data_cut_at: str
    issued_by: str
    units: int
    withheld: list[str]


@bp.get("/releases")
@access.roles(Role.ADMIN, Role.AUDITOR)
def list_releases():  # type: ignore[no-untyped-def]
    rows = db.session.execute(
        sa.select(StatisticsRelease, User.email).join(User, User.id == StatisticsRelease.issued_by_id)
        .order_by(StatisticsRelease.year.desc(), StatisticsRelease.revision.desc())).all()
    audit.record("reports.releases", object_type="statistics-release")
    access.commit_read()
    listing = [ReleaseRow(r.year, r.revision, long_datetime(r.issued_at),
                          long_datetime(r.data_cut_at), email, len(r.content["units"]) - 1,
                          list(r.withheld)) for r, email in rows]
    return render_template("reports/releases.html", releases=listing)


from app.reports import cli as _cli  # noqa: E402,F401  (registers ``flask reports publish`` on this blueprint)
