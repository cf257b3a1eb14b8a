"""The case page, put together from the slices: the people, the timeline of notes, the team, what the reader may
do. Views of other slices re-render it (``render_case_page``) when a form on it is refused, and link back to it
(``case_page_url``); the sections' own data comes from their slice's services and template partials.

The page shows first what a counsellor needs first (the header, the people, intake, risk, the safety plan, closure,
the notes); the other sections (``SECTIONS``) are collapsed and their content is read on demand, each read its own
audited request (``cases.view_case_section``, issue 20). The note form is shown when she asks for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
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


# The sections shown collapsed on the case page, read on demand: name (in the section URL) → (the slice's partial,
# its title, the anchor other pages link to). A section whose partial is not installed is not offered.
SECTIONS: dict[str, tuple[str, Any, str]] = {
    "privacy": ("cases/partials/_privacy.html", _l("Her privacy (KVKK)"), "privacy"),
    "incidents": ("cases/partials/_incidents.html", _l("Incidents"), "incidents"),
    "support-plan": ("cases/partials/_support_plan.html", _l("Support plan"), "support-plan"),
    "referrals": ("cases/partials/_referrals.html", _l("Referrals"), "referrals"),
    "orders": ("cases/partials/_orders.html", _l("Protective orders (6284)"), "orders"),
    "legal": ("cases/partials/_legal.html", _l("Legal process"), "legal"),
    "shelter": ("cases/partials/_shelter.html", _l("Shelter"), "shelter"),
    "documents": ("cases/partials/_documents.html", _l("Documents"), "documents-card"),
}
# The template globals of the collapsed sections: the case page does not probe their tables.
_COLLAPSED_GLOBALS = frozenset({"case_privacy", "case_incidents", "support_plan_summary", "referrals_summary",
                                "orders_summary", "case_legal", "shelter_status", "documents_summary"})


def installed_sections() -> list[str]:
    """The collapsed sections whose partial is installed (asked of the template loader once per app)."""
    found = current_app.extensions.get("dayanisma.case_sections")
    if found is None:
        templates = set(current_app.jinja_env.list_templates())
        found = [name for name, (template, _title, _anchor) in SECTIONS.items() if template in templates]
        current_app.extensions["dayanisma.case_sections"] = found
    return cast(list[str], found)


@functools.cache
def _probe(names: tuple[str, ...]) -> tuple[tuple[str, ...], sa.Select[Any]]:
    """The EXISTS probe of these (installed) tables, built once: (its tables' names, the statement)."""
    tables = [db.metadata.tables[name] for name in names]
    case_id = sa.bindparam("case_id", type_=sa.Integer)
    return (tuple(table.name for table in tables),
            sa.select(*(sa.exists().where(table.c.case_id == case_id).label(table.name) for table in tables)))


def _tables_with_rows(case: Case, names: list[str]) -> set[str]:
    """Which of these tables (those installed) have at least one row of the case: one SELECT of EXISTS."""
    tables, statement = _probe(tuple(name for name in names if name in db.metadata.tables))
    row = db.session.execute(statement, {"case_id": case.id}).one()
    return {name for name, present in zip(tables, row, strict=True) if present}


def reader_grant(case: Case) -> Any:
    """The break-glass grant she reads the case through (None when she reads it by her role or assignment)."""
    user = current_user._get_current_object()  # the user, not the proxy: one look-up, not one per attribute
    if user.role == Role.COUNSELLOR and not policies.is_assigned(user, case):
        return policies.active_break_glass(user, case)
    return None


def reader_perms(case: Case) -> dict[str, bool]:
    user = current_user._get_current_object()  # the user, not the proxy: one look-up, not one per attribute
    perms = {action: policies.can(user, action, case)
             for action in ("edit", "close", "manage", "reopen", "access-report")}
    if user.role == Role.COUNSELLOR and case.primary_counsellor_id != user.id:
        perms["close"] = False  # the primary counsellor or a supervisor closes a case
    return perms


def case_page_context(case: Case, *, collapsed: bool = False) -> dict[str, Any]:
    """What the case page shows, for a reader already allowed to ``view`` the case. ``collapsed``: the page as the
    case page shows it, the ``SECTIONS`` collapsed (their tables not probed); otherwise every section's data (the
    printed summary)."""
    user = current_user._get_current_object()  # the user, not the proxy: one look-up, not one per attribute
    grant = reader_grant(case)
    perms = reader_perms(case)
    skippable = {name: entry for name, entry in _SKIPPABLE.items()
                 if not (collapsed and name in _COLLAPSED_GLOBALS)}
    partial_lists = {name: tables for name, tables in _PARTIAL.items()
                     if not (collapsed and name in _COLLAPSED_GLOBALS)}
    names = [*_OWN_TABLES, *(t for tables, _ in skippable.values() for t in tables),
             *(t for tables in partial_lists.values() for t in tables)]
    present = _tables_with_rows(case, names)
    # A missing table (slice not installed) counts as present: its global, if any, decides.
    present |= {name for name in names if name not in db.metadata.tables}
    empty = {name: stub for name, (tables, stub) in skippable.items() if not present.intersection(tables)}
    template_globals = current_app.jinja_env.globals
    partial: dict[str, Callable[..., Any]] = {
        name: functools.partial(cast(Callable[..., Any], template_globals[name]), with_rows=frozenset(present))
        for name in partial_lists if name in template_globals}
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
        "sections": [(name, *SECTIONS[name]) for name in installed_sections()] if collapsed else [],
    }


def render_case_page(case: Case, *, note_form: NoteForm | None = None, status: int = 200,
                     on_record: Callable[[Case, Any], None] | None = None) -> Any:
    """The case page. The note form is on it when she asked for it (``?note=1``) or when it comes back refused.
    ``on_record(case, grant)`` runs before the page is rendered (the view's own audit events)."""
    context = case_page_context(case, collapsed=True)
    if on_record is not None:
        on_record(case, context["grant"])
    if note_form is None and request.args.get("note") == "1":
        note_form = NoteForm()
    return render_template("cases/view.html", note_form=note_form, **context), status


def section_url(case: Case, name: str, **args: Any) -> str:
    return url_for("cases.view_case_section", case_id=case.public_id, section=name, **args)


def case_page_url(case: Case) -> str | None:
    """The case page, when the case-page module is installed (it is built alongside this one)."""
    if "cases.view_case" in current_app.view_functions:
        return url_for("cases.view_case", case_id=case.public_id)
    return None
