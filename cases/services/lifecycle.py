"""A case's life after intake: team and primary counsellor, transfer to another centre, closure with a checklist,
reopening, and break-glass grants with their supervisor review.

Each change writes a semantic audit event (categories and names only) besides the automatic change events; closure,
reopening and transfer also leave an encrypted entry in the case's timeline with the reason given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import db, utcnow
from app.users.models import Centre, Role, User
from cases.errors import CaseError
from cases.labels import CLOSE_REASON_LABELS, CLOSE_REASONS, CLOSURE_CHECKLIST, CLOSURE_CHECKLIST_LABELS
from cases.models import BreakGlassGrant, Case, CaseMember, CaseStatus
from cases.models.core import BREAK_GLASS_CATEGORIES
from cases.policies import is_assigned
from cases.services.core import next_case_number
from cases.services.notes import add_system_note


class InvalidAssignment(CaseError):
    """A chosen counsellor is not an active counsellor of the case's centre."""


class ClosureIncomplete(CaseError):
    """The closure checklist is not complete and no explanation was given."""


class BreakGlassRefused(CaseError):
    """No case with that number that the counsellor can open through break-glass (deliberately vague)."""


def centre_counsellors(centre_id: int) -> list[User]:
    """Active counsellors of a centre, by name: the only people a case can be assigned to."""
    return list(db.session.scalars(
        sa.select(User).where(User.centre_id == centre_id, User.role == Role.COUNSELLOR, User.is_active.is_(True))
        .order_by(User.name, User.id)
    ))


def team_members(case: Case) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(CaseMember, CaseMember.user_id == User.id).where(CaseMember.case_id == case.id)
        .order_by(User.name, User.id)
    ))


def update_team(case: Case, *, actor: User, primary: User, members: Iterable[User]) -> None:
    """Set the primary counsellor and the team; only active counsellors of the case's centre."""
    members = list(members)
    for user in (primary, *members):
        # SECURITY: a case is never assigned outside its centre (that would leak it across centres).
        if user.centre_id != case.centre_id or user.role != Role.COUNSELLOR or not user.is_active:
            raise InvalidAssignment(str(_l("Choose active counsellors of this centre.")))
    wanted = {u.id for u in members if u.id != primary.id}
    before_primary = case.primary_counsellor_id
    case.primary_counsellor_id = primary.id
    existing = {m.user_id: m for m in case.members}
    for user_id, member in existing.items():
        if user_id not in wanted:
            case.members.remove(member)
    for user_id in wanted - existing.keys():
        case.members.append(CaseMember(case_id=case.id, user_id=user_id))
    db.session.flush()
    audit.record("case.team", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"primary_changed": before_primary != primary.id, "team_size": len(wanted)})


def transfer_case(case: Case, *, actor: User, to_centre: Centre, reason: str) -> None:
    """Move the case to another centre. The number stays; the old team and any break-glass grants lose access;
    the receiving centre's supervisors see it and assign a counsellor."""
    if to_centre.id == case.centre_id:
        raise CaseError(str(_l("Choose another centre.")))
    from_centre = case.centre
    now = utcnow()
    # Record the transfer in the timeline first, while the case still belongs to the sending centre.
    add_system_note(case, actor=actor, kind="transfer",
                    text=str(_l("Transferred from %(from_)s to %(to)s. Reason: %(reason)s",
                                from_=from_centre.name, to=to_centre.name, reason=reason)))
    for member in list(case.members):
        case.members.remove(member)
    for grant in db.session.scalars(sa.select(BreakGlassGrant).where(BreakGlassGrant.case_id == case.id,
                                                                     BreakGlassGrant.expires_at > now)):
        grant.expires_at = now
    # A serial in the receiving centre keeps (centre, year, serial) unique; the human number is unchanged.
    serial, _number = next_case_number(to_centre, case.year)
    case.centre_id = to_centre.id
    case.centre = to_centre
    case.serial = serial
    case.primary_counsellor_id = None
    db.session.flush()
    audit.record("case.transfer", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"from_centre": from_centre.code, "to_centre": to_centre.code})


def close_case(case: Case, *, actor: User, reason: str, checklist: Iterable[str], explanation: str | None) -> None:
    """Close the case: every checklist item ticked, or an explanation of what is missing."""
    if case.is_closed:
        raise CaseError(str(_l("The case is already closed.")))
    if actor.role == Role.COUNSELLOR and case.primary_counsellor_id != actor.id:
        raise CaseError(str(_l("Only the primary counsellor or a supervisor can close the case.")))
    if reason not in CLOSE_REASONS:
        raise CaseError(str(_l("Choose why the case is being closed.")))
    ticked = [item for item in CLOSURE_CHECKLIST if item in set(checklist)]
    missing = [item for item in CLOSURE_CHECKLIST if item not in ticked]
    if missing and not (explanation and explanation.strip()):
        raise ClosureIncomplete(str(_l("Tick every item of the checklist, or explain what is missing and why.")))
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    case.close_reason = reason
    lines = [str(_l("Reason: %(reason)s", reason=CLOSE_REASON_LABELS[reason]))]
    lines += ["✓ " + str(CLOSURE_CHECKLIST_LABELS[item]) for item in ticked]
    lines += ["✗ " + str(CLOSURE_CHECKLIST_LABELS[item]) for item in missing]
    if explanation:
        lines.append(explanation.strip())
    add_system_note(case, actor=actor, kind="closure", text="\n".join(lines))
    audit.record("case.close", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"reason": reason, "checklist_missing": missing})


def reopen_case(case: Case, *, actor: User, reason: str) -> None:
    if not case.is_closed:
        raise CaseError(str(_l("The case is not closed.")))
    case.status = CaseStatus.ACTIVE
    case.closed_at = None
    case.close_reason = None
    add_system_note(case, actor=actor, kind="reopening", text=reason.strip())
    audit.record("case.reopen", object_type="case", object_id=case.public_id, case_number=case.number)


# --- break-glass -----------------------------------------------------------------------------------------------

def break_glass_hours() -> float:
    return float(current_app.config.get("CASE_BREAK_GLASS_HOURS", 4))


def normalise_case_number(text: str) -> str:
    return "".join(text.split()).upper()


def grant_break_glass(*, actor: User, number: str, reason: str, category: str = "other",
                      now: datetime | None = None) -> BreakGlassGrant:
    """Time-limited read access to an unassigned case of the actor's centre, found by its number.

    Raises BreakGlassRefused alike for a number that does not exist, belongs to another centre or cannot be opened
    this way, so the answer is no oracle for other centres' case numbers."""
    now = now or utcnow()
    if actor.role != Role.COUNSELLOR:
        raise BreakGlassRefused()
    # SECURITY: the centre filter is in the query; another centre's number is the same "not found".
    case = db.session.scalar(sa.select(Case).where(Case.number == normalise_case_number(number),
                                                   Case.centre_id == actor.centre_id))
    if case is None or is_assigned(actor, case):
        raise BreakGlassRefused()
    if category not in BREAK_GLASS_CATEGORIES:
        raise ValueError(f"unknown break-glass category {category!r}")
    grant = BreakGlassGrant(case_id=case.id, case=case, user_id=actor.id, granted_at=now, category=category,
                            expires_at=now + timedelta(hours=break_glass_hours()), reason=reason.strip())
    db.session.add(grant)
    db.session.flush()
    # SECURITY: the audit row gets the category only; the free text is encrypted under the case key (DESIGN.md §3.5).
    audit.record("case.break-glass", object_type="case", object_id=case.public_id, case_number=case.number,
                 reason=category, details={"grant": grant.id, "hours": break_glass_hours()})
    return grant


def grants_to_review(supervisor: User) -> list[BreakGlassGrant]:
    return list(db.session.scalars(
        sa.select(BreakGlassGrant).join(Case, Case.id == BreakGlassGrant.case_id)
        .where(Case.centre_id == supervisor.centre_id, BreakGlassGrant.reviewed_at.is_(None))
        .order_by(BreakGlassGrant.granted_at.desc())
    ))


def review_break_glass(grant_id: int, *, actor: User) -> BreakGlassGrant:
    """Mark a grant of the supervisor's centre as reviewed (LookupError for any other)."""
    grant = db.session.scalar(
        sa.select(BreakGlassGrant).join(Case, Case.id == BreakGlassGrant.case_id)
        .where(BreakGlassGrant.id == grant_id, Case.centre_id == actor.centre_id)
    )
    if grant is None or actor.role != Role.SUPERVISOR:
        raise LookupError(grant_id)
    if grant.reviewed_at is None:
        grant.reviewed_at = utcnow()
        grant.reviewed_by_id = actor.id
        db.session.flush()
        audit.record("case.break-glass.review", object_type="case", object_id=grant.case.public_id,
                     case_number=grant.case.number, details={"grant": grant.id})
    return grant
