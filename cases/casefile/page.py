"""The case page, put together from the slices: the people, the timeline of notes, the team, what the reader may
do. Views of other slices re-render it (``render_case_page``) when a form on it is refused, and link back to it
(``case_page_url``); the sections' own data comes from their slice's services and template partials.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_login import current_user

from app.dates import local_today
from app.db import db, utcnow
from app.users.models import Role
from cases.core import policies
from cases.core.models import Case, RiskLevel
from cases.documents import services as documents_service
from cases.inquiries import services as inquiries_service
from cases.lifecycle import services as lifecycle_service
from cases.notes import services as notes_service
from cases.notes.forms import NoteForm
from cases.plans import services as plans_service

# The page's sections are filled by the slices' template globals, each with its own queries. Most cases have nothing
# in several of them (no order, no incident, no closure request yet), so the page first asks, in one statement,
# which of these tables hold a row of the case, and gives an empty section its empty value without querying it.
# Each entry: the template global, the tables whose rows it shows, and what it returns when they hold none.
_SKIPPABLE: dict[str, tuple[tuple[str, ...], Callable[[Case], Any]]] = {
    "case_incidents": (("incidents",), lambda case: []),
    "risk_summary": (("risk_assessments", "risk_reassessment_prompts"),
                     lambda case: {"latest": None, "prompts": [], "overdue": False}),
    "support_plan_summary": (("support_goals", "support_actions"), lambda case: {"open_actions": [], "goals": 0}),
    "referrals_summary": (("referrals", "consent_records"),
                          lambda case: {"active": [], "closed_count": 0, "usable_consents": 0,
                                        "today": local_today()}),
    "orders_summary": (("protective_orders",),
                       lambda case: {"current": [], "ended_count": 0, "today": local_today(), "now": utcnow()}),
    "closure_history": (("closure_requests",), lambda case: []),
    "documents_summary": (("case_documents",), lambda case: {
        "documents": [], "kind_label": documents_service.kind_label, "kinds": documents_service.KIND_LABELS}),
    "inquiries_summary": (("location_inquiries",), lambda case: {
        "count": 0, "latest": None, "channel_label": inquiries_service.channel_label}),
    # As plans_service.safety_plan_status with no version: a plan is needed when the risk is high and it is open.
    "safety_plan_summary": (("safety_plan_versions",), lambda case: plans_service.SafetyPlanStatus(
        None, None, case.risk_level == RiskLevel.HIGH and not case.is_closed)),
    # As shelters' shelter_status with no request: staff who may edit the case may ask for a place.
    "shelter_status": (("shelter_admission_requests",), lambda case: {"rows": [], "can_request": (
        current_user.role in (Role.COUNSELLOR, Role.SUPERVISOR) and policies.can(current_user, "edit", case))}),
}
_OWN_TABLES = ("contact_notes", "case_members")
# Sections showing several lists: their global takes the tables the probe found rows in (``with_rows``) and queries
# only those lists. Each entry: the template global and the tables of its lists.
_PARTIAL: dict[str, tuple[str, ...]] = {
    "case_legal": ("legal_proceedings", "confidentiality_measures", "custody_records", "report_decisions"),
    "case_privacy": ("privacy_notices", "explicit_consents"),
}


def _tables_with_rows(case: Case, names: list[str]) -> set[str]:
    """Which of these tables (those installed) have at least one row of the case: one SELECT of EXISTS."""
    tables = [db.metadata.tables[name] for name in names if name in db.metadata.tables]
    row = db.session.execute(sa.select(*(
        sa.exists().where(table.c.case_id == case.id).label(table.name) for table in tables))).one()
    return {table.name for table, present in zip(tables, row, strict=True) if present}


def case_page_context(case: Case) -> dict[str, Any]:
    """What the case page shows, for a reader already allowed to ``view`` the case."""
    user = current_user
    grant = None
    if user.role == Role.COUNSELLOR and not policies.is_assigned(user, case):
        grant = policies.active_break_glass(user, case)
    perms = {action: policies.can(user, action, case)
             for action in ("edit", "close", "manage", "reopen", "access-report")}
    if user.role == Role.COUNSELLOR and case.primary_counsellor_id != user.id:
        perms["close"] = False  # the primary counsellor or a supervisor closes a case
    names = [*_OWN_TABLES, *(t for tables, _ in _SKIPPABLE.values() for t in tables),
             *(t for tables in _PARTIAL.values() for t in tables)]
    present = _tables_with_rows(case, names)
    # A missing table (slice not installed) counts as present: its global, if any, decides.
    present |= {name for name in names if name not in db.metadata.tables}
    empty = {name: stub for name, (tables, stub) in _SKIPPABLE.items() if not present.intersection(tables)}
    template_globals = current_app.jinja_env.globals
    partial: dict[str, Callable[..., Any]] = {
        name: functools.partial(cast(Callable[..., Any], template_globals[name]), with_rows=frozenset(present))
        for name in _PARTIAL if name in template_globals}
    return {
        **empty,
        **partial,
        "case": case,
        "applicant": case.applicant,
        "children": case.children,
        "perpetrators": case.perpetrators,
        "safe_contact": case.safe_contact or {},
        "timeline": notes_service.timeline(case) if "contact_notes" in present else [],
        "team": lifecycle_service.team_members(case) if "case_members" in present else [],
        "perms": perms,
        "grant": grant,
        "can_edit_note": lambda note: notes_service.can_edit_note(user, note),
        "editable_until": notes_service.editable_until,
    }


def render_case_page(case: Case, *, note_form: NoteForm | None = None, status: int = 200) -> Any:
    context = case_page_context(case)
    return render_template("cases/view.html", note_form=note_form or NoteForm(), **context), status


def case_page_url(case: Case) -> str | None:
    """The case page, when the case-page module is installed (it is built alongside this one)."""
    if "cases.view_case" in current_app.view_functions:
        return url_for("cases.view_case", case_id=case.public_id)
    return None
