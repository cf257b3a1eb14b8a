"""Case list, search, the case page and the per-case access report (the page itself is put together in
``cases.casefile.page``).

Every page that shows case data writes its audit event before the page is returned: the case page through
``case_access`` (plus a break-glass read event when the reader holds only a grant), the list and the search with
one ``case.list`` / ``case.search`` event naming the case numbers shown.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, audit, throttle
from app.audit import AuditEvent
from app.dates import local_today
from app.db import db
from app.users.models import Role, User
from cases.casefile import services as search
from cases.casefile.page import SECTIONS, installed_sections, reader_grant, reader_perms, render_case_page
from cases.casefile.services import applicant_names
from cases.core import labels, policies
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.forms import SearchForm
from cases.core.models import Case, CaseStatus
from cases.tasks import services as tasks_service

PAGE_SIZE = 50
STATUS_FILTERS = ("current", "open", "active", "closed", "all")

@bp.app_context_processor
def _case_labels() -> dict[str, Any]:
    """``case_label("status", case.status)`` etc. in every template (dashboard panels included)."""
    return {"case_label": labels.label, "case_labels": labels}


def counsellor_names(user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).tuples().all())


def _status_filter(stmt: sa.Select[Any], status: str) -> sa.Select[Any]:
    if status == "current":
        return stmt.where(Case.status != CaseStatus.CLOSED)
    if status in ("open", "active", "closed"):
        return stmt.where(Case.status == CaseStatus(status))
    return stmt


def _audit_listing(action: str, cases: list[Case], **details: Any) -> None:
    # SECURITY: names are on the page, so the listing is on record (with the numbers shown) before it leaves.
    audit.record(action, details={"cases": [c.number for c in cases], **details})
    access.commit_read()  # keeps the listed cases loaded: no reload, one by one, as the page is built


def _rows(cases: list[Case], known: dict[int, str | None] | None = None) -> list[dict[str, Any]]:
    known = known or {}
    names = {**applicant_names([c.id for c in cases if c.id not in known]), **known}
    counsellors = counsellor_names({c.primary_counsellor_id for c in cases})
    return [{"case": c, "name": names.get(c.id),
             "counsellor": counsellors.get(c.primary_counsellor_id) if c.primary_counsellor_id else None}
            for c in cases]


RISK_FILTERS = ("any", "high", "medium", "standard", "none")
SORTS = ("opened", "due", "risk", "number", "counsellor")
# Highest risk first; cases not yet assessed after the assessed ones.
_RISK_ORDER = sa.case({"high": 0, "medium": 1, "standard": 2}, value=Case.risk_level, else_=3)


def _list_filters() -> dict[str, Any]:
    """The list's filters from the query string (categorical values only; anything unknown falls back)."""
    args = request.args
    status = args.get("status", "current")
    risk = args.get("risk", "any")
    sort = args.get("sort", "opened")
    counsellor = args.get("counsellor", "")
    if counsellor not in ("", "none") and not counsellor.isdigit():
        counsellor = ""
    return {"status": status if status in STATUS_FILTERS else "current",
            "risk": risk if risk in RISK_FILTERS else "any",
            "sort": sort if sort in SORTS else "opened",
            "counsellor": counsellor}


def next_due_dates(user: User) -> dict[uuid.UUID, date]:
    """Each visible case's earliest due date in the task list (an overdue task without a date counts as today)."""
    today = local_today()
    due: dict[uuid.UUID, date] = {}
    for task in tasks_service.tasks_for(user, today):
        if task.case_public_id is None or (task.due_on is None and not task.overdue):
            continue
        on = task.due_on or today
        due[task.case_public_id] = min(on, due.get(task.case_public_id, on))
    return due


def _filtered(stmt: sa.Select[Any], filters: dict[str, Any],
              due: dict[uuid.UUID, date] | None = None) -> sa.Select[Any]:
    stmt = _status_filter(stmt, filters["status"])
    if filters["risk"] == "none":
        stmt = stmt.where(Case.risk_level.is_(None))
    elif filters["risk"] != "any":
        stmt = stmt.where(Case.risk_level == filters["risk"])
    if filters["counsellor"] == "none":
        stmt = stmt.where(Case.primary_counsellor_id.is_(None))
    elif filters["counsellor"]:
        stmt = stmt.where(Case.primary_counsellor_id == int(filters["counsellor"]))
    newest = (Case.opened_at.desc(), Case.id.desc())
    if filters["sort"] == "due":  # soonest (overdue) first; cases with nothing due after them, newest first
        ranked = sorted(due or {}, key=lambda pid: ((due or {})[pid], str(pid)))
        if not ranked:
            return stmt.order_by(*newest)
        rank = sa.case({pid: i for i, pid in enumerate(ranked)}, value=Case.public_id, else_=len(ranked))
        return stmt.order_by(rank, *newest)
    if filters["sort"] == "risk":
        return stmt.order_by(_RISK_ORDER, *newest)
    if filters["sort"] == "number":
        return stmt.order_by(Case.year.desc(), Case.serial.desc())
    if filters["sort"] == "counsellor":
        name = sa.select(User.name).where(User.id == Case.primary_counsellor_id).scalar_subquery()
        return stmt.order_by(name.is_(None), name, *newest)
    return stmt.order_by(*newest)


def _centre_counsellors(user: User) -> list[tuple[int, str]]:
    if user.role != Role.SUPERVISOR:
        return []
    return list(db.session.execute(
        sa.select(User.id, User.name).where(User.centre_id == user.centre_id, User.role == Role.COUNSELLOR)
        .order_by(User.name)).tuples())


@bp.get("/")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def list_cases():  # type: ignore[no-untyped-def]
    filters = _list_filters()
    due = next_due_dates(current_user) if filters["sort"] == "due" else None
    stmt = _filtered(policies.visible_cases_query(current_user), filters, due)
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE, error_out=False,
                       count=True)
    cases = list(page.items)
    _audit_listing("case.list", cases, page=page.page, **filters)
    return render_template("cases/list.html", rows=_rows(cases), page=page, due=due, status=filters["status"],
                           statuses=STATUS_FILTERS, search_form=SearchForm(), searched=False, filters=filters,
                           risks=RISK_FILTERS, sorts=SORTS, counsellors=_centre_counsellors(current_user))


@bp.post("/search")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def search_cases():  # type: ignore[no-untyped-def]
    """Run a search: the query is kept server-side and the browser is sent to ``/cases/search?r=<opaque id>``
    (post/redirect/get), so Back and reload show the results again and no identity value lands in a URL."""
    form = SearchForm()
    if not form.validate_on_submit():
        return _search_page(form, None), 422
    throttle.spend(throttle.CASE_SEARCHES)
    try:
        search_id = search.save_search(current_user, form.q.data)
    except LookupError:
        abort(400)
    db.session.commit()
    return redirect(url_for("cases.search_results", r=search_id), code=303)


@bp.get("/search")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def search_results():  # type: ignore[no-untyped-def]
    search_id = request.args.get("r", type=uuid.UUID)
    query = search.load_search(current_user, search_id) if search_id else None
    form = SearchForm(formdata=None)
    if query is None:
        # Expired, from another session, or made up: search again (never an error page for a stale Back).
        flash(_("That search has expired. Search again."), "info")
        return redirect(url_for("cases.list_cases"))
    form.q.data = query
    return _search_page(form, search.find_cases(current_user, query))


def _search_page(form: SearchForm, found: search.SearchResult | None):  # type: ignore[no-untyped-def]
    if found is None:
        rows: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
    else:
        _audit_listing("case.search", found.cases, others=[c.number for c in found.others],
                       scanned=found.scanned)
        rows = _rows(found.cases, found.names)
        counsellors = counsellor_names({c.primary_counsellor_id for c in found.others})
        others = [{"number": c.number, "counsellor": counsellors.get(c.primary_counsellor_id or 0)}
                  for c in found.others]
    return render_template("cases/list.html", rows=rows, page=None, status="all", statuses=STATUS_FILTERS,
                           search_form=form, searched=found is not None, others=others, found=found,
                           filters=None)


@bp.get("/<uuid:case_id>")
@case_access("view")
def view_case(case: Case):  # type: ignore[no-untyped-def]
    """The case page: the header, the people and what she needs first; the other sections collapsed, each read on
    demand (``view_case_section``); the note form when she asks for it (``?note=1``)."""
    return render_case_page(case, on_record=_flag_break_glass)


def _flag_break_glass(case: Case, grant: Any, **details: Any) -> None:
    if grant is not None:
        # SECURITY: a read through break-glass is flagged in the log for the supervisor and the auditors.
        audit.record("case.view.break-glass", object_type="case", object_id=case.public_id,
                     case_number=case.number, details={"grant": grant.id, **details})
        access.commit_read()


def _section_read(kwargs: dict[str, Any]) -> dict[str, Any]:
    # Names only: a section name that is not one of ours is not copied into the log.
    return {"section": kwargs["section"] if kwargs.get("section") in SECTIONS else "?"}


@bp.get("/<uuid:case_id>/sections/<section>")
@case_access("view", audit_details=_section_read)
def view_case_section(case: Case, section: str):  # type: ignore[no-untyped-def]
    """One collapsed section of the case page, read on demand: ``case_access`` puts the read on record, with the
    section's name, and commits it before the view runs (flagged too when read through break-glass).
    ``?fragment=1``: the section alone, fetched into the case page by app.js; otherwise a page of its own (without
    the script)."""
    if section not in installed_sections():
        access.deny("case.section", object_type="case", object_id=case.public_id, reason="section")
    grant = reader_grant(case)
    _flag_break_glass(case, grant, section=section)
    template, title, _anchor = SECTIONS[section]
    context = {"case": case, "perms": reader_perms(case), "grant": grant, "section_template": template,
               "section_title": title}
    if request.args.get("fragment") == "1":
        return render_template("cases/section_fragment.html", **context)
    return render_template("cases/section.html", **context)


@bp.get("/access-report")
@access.roles(Role.AUDITOR, Role.SUPERVISOR)
def find_access_report():  # type: ignore[no-untyped-def]
    """The auditor works by case number (she never sees the case): the report of that number in her centre."""
    number = (request.args.get("number") or "").strip()[:40]
    # SECURITY: the centre filter is in the query; another centre's number is the same audited 404 as none.
    case_id = db.session.scalar(sa.select(Case.public_id).where(Case.number == number,
                                                                Case.centre_id == current_user.centre_id))
    if case_id is None:
        access.deny("case.access-report", object_type="case", reason="number")
    return redirect(url_for("cases.access_report", case_id=case_id))


@bp.get("/<uuid:case_id>/access-report")
@case_access("access-report")
def access_report(case: Case):  # type: ignore[no-untyped-def]
    """Every audit event about this case (KVKK art. 11: who saw her file)."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(sa.or_(AuditEvent.case_number == case.number,
                      sa.and_(AuditEvent.object_type == "case", AuditEvent.object_id == str(case.public_id))))
        .order_by(AuditEvent.seq.desc())
        .limit(5000)
    ).all()
    return render_template("cases/access_report.html", case=case, events=events, limit=5000)
