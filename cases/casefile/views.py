"""Case list, search, the case page and the per-case access report (the page itself is put together in
``cases.casefile.page``).

Every page that shows case data writes its audit event before the page is returned: the case page through
``case_access`` (plus a break-glass read event when the reader holds only a grant), the list and the search with
one ``case.list`` / ``case.search`` event naming the case numbers shown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from app import access, audit, throttle
from app.audit import AuditEvent
from app.db import db
from app.users.models import Role, User
from cases.casefile.page import case_page_context
from cases.core import labels, policies
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.forms import SearchForm
from cases.core.models import Case, CaseStatus, Person, PersonKind
from cases.notes.forms import NoteForm

PAGE_SIZE = 50
STATUS_FILTERS = ("current", "open", "active", "closed", "all")

@bp.app_context_processor
def _case_labels() -> dict[str, Any]:
    """``case_label("status", case.status)`` etc. in every template (dashboard panels included)."""
    return {"case_label": labels.label, "case_labels": labels}


def applicant_names(case_ids: list[int]) -> dict[int, str | None]:
    """case id → decrypted applicant name, for one page of cases."""
    if not case_ids:
        return {}
    people = db.session.scalars(
        sa.select(Person).where(Person.case_id.in_(case_ids), Person.kind == PersonKind.APPLICANT)
    )
    return {p.case_id: p.full_name for p in people}


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


def _rows(cases: list[Case]) -> list[dict[str, Any]]:
    names = applicant_names([c.id for c in cases])
    counsellors = counsellor_names({c.primary_counsellor_id for c in cases})
    return [{"case": c, "name": names.get(c.id),
             "counsellor": counsellors.get(c.primary_counsellor_id) if c.primary_counsellor_id else None}
            for c in cases]


@bp.get("/")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def list_cases():  # type: ignore[no-untyped-def]
    status = request.args.get("status", "current")
    if status not in STATUS_FILTERS:
        status = "current"
    stmt = _status_filter(policies.visible_cases_query(current_user), status)
    stmt = stmt.order_by(Case.opened_at.desc(), Case.id.desc())
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=PAGE_SIZE, error_out=False,
                       count=True)
    cases = list(page.items)
    _audit_listing("case.list", cases, status=status, page=page.page)
    return render_template("cases/list.html", rows=_rows(cases), page=page, status=status,
                           statuses=STATUS_FILTERS, search_form=SearchForm(), searched=False)


@bp.post("/search")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def search_cases():  # type: ignore[no-untyped-def]
    """Search the user's visible cases by TCKN, phone or name (a POST: identity numbers stay out of URLs)."""
    form = SearchForm()
    if not form.validate_on_submit():
        return render_template("cases/list.html", rows=[], page=None, status="all", statuses=STATUS_FILTERS,
                               search_form=form, searched=False), 422
    throttle.spend(throttle.CASE_SEARCHES)
    cases = search_visible_cases(current_user, form.q.data)
    _audit_listing("case.search", cases)
    return render_template("cases/list.html", rows=_rows(cases), page=None, status="all", statuses=STATUS_FILTERS,
                           search_form=form, searched=True)


def search_visible_cases(user: User, query: str, limit: int = PAGE_SIZE) -> list[Case]:
    """Cases the user may list whose applicant matches ``query`` as a TCKN, a phone number or a name."""
    import crypto

    visible_ids = policies.visible_cases_query(user).with_only_columns(Case.id)
    where = sa.and_(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(visible_ids))
    found: dict[int, None] = {}
    for attribute in (Person.tckn, Person.phone, Person.document_no, Person.full_name):
        try:
            people = crypto.search(db.session(), attribute, query, where=where, limit=limit)
        except (crypto.InvalidIdentifier, ValueError, TypeError):
            continue  # not that kind of value (a name is not a phone number)
        for person in people:
            found.setdefault(person.case_id)
    if not found:
        return []
    return list(db.session.scalars(
        sa.select(Case).where(Case.id.in_(list(found)[:limit])).order_by(Case.opened_at.desc(), Case.id.desc())
    ))


@bp.get("/<uuid:case_id>")
@case_access("view")
def view_case(case: Case):  # type: ignore[no-untyped-def]
    context = case_page_context(case)
    if context["grant"] is not None:
        # SECURITY: a read through break-glass is flagged in the log for the supervisor and the auditors.
        audit.record("case.view.break-glass", object_type="case", object_id=case.public_id,
                     case_number=case.number, details={"grant": context["grant"].id})
        db.session.commit()
    return render_template("cases/view.html", note_form=NoteForm(), **context)


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
