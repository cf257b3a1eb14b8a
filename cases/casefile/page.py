"""The case page, put together from the slices: the people, the timeline of notes, the team, what the reader may
do. Views of other slices re-render it (``render_case_page``) when a form on it is refused, and link back to it
(``case_page_url``); the sections' own data comes from their slice's services and template partials.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, url_for
from flask_login import current_user

from app.users.models import Role
from cases.core import policies
from cases.core.models import Case
from cases.lifecycle import services as lifecycle_service
from cases.notes import services as notes_service
from cases.notes.forms import NoteForm


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
    return {
        "case": case,
        "applicant": case.applicant,
        "children": case.children,
        "perpetrators": case.perpetrators,
        "safe_contact": case.safe_contact or {},
        "timeline": notes_service.timeline(case),
        "team": lifecycle_service.team_members(case),
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
