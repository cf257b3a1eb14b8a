"""A case's life after intake: team and primary counsellor, transfer to another centre, closure with a checklist,
reopening, and break-glass grants with their supervisor review.

Each change writes a semantic audit event (categories and names only) besides the automatic change events; closure,
reopening and transfer also leave an encrypted entry in the case's timeline with the reason given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import local_today
from app.db import db, utcnow
from app.numbers import number
from app.users.models import Centre, Role, User
from cases.alerts.services import notify
from cases.core.errors import CaseError
from cases.core.labels import (
    CLOSE_REASON_LABELS,
    CLOSE_REASONS,
    CLOSURE_CHECKLIST,
    CLOSURE_CHECKLIST_LABELS,
    RISK_LABELS,
    SYSTEM_NOTE_KINDS,
)
from cases.core.models import BREAK_GLASS_CATEGORIES, BreakGlassGrant, Case, CaseMember, CaseStatus, RiskLevel
from cases.core.policies import is_assigned
from cases.core.services import next_case_number
from cases.lifecycle.models import ClosureRequest, ClosureStatus
from cases.notes.models import ContactNote
from cases.notes.services import add_system_note

RISK_ORDER = tuple(level.value for level in RiskLevel)  # standard < medium < high


class InvalidAssignment(CaseError):
    """A chosen counsellor is not an active counsellor of the case's centre."""


class ClosureIncomplete(CaseError):
    """The closure checklist is not complete and no explanation was given."""


class ClosurePending(CaseError):
    """A closure request is already waiting for the supervisor's decision."""


class ClosureApprovalRequired(CaseError):
    """A high-risk case closes only with a supervisor's approval and her recorded reason."""


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


def no_contact_days() -> int:
    """How long without contact before "no contact" is a reason to close (CASE_CLOSURE_NO_CONTACT_DAYS)."""
    return int(current_app.config.get("CASE_CLOSURE_NO_CONTACT_DAYS", 90))


def _last_contact_on(case: Case) -> date:
    """The day of the latest contact note (system entries are not contact), or her application day."""
    last = db.session.scalar(sa.select(sa.func.max(ContactNote.occurred_on))
                             .where(ContactNote.case_id == case.id, ContactNote.kind.not_in(SYSTEM_NOTE_KINDS)))
    return max(last, case.applied_on) if last else case.applied_on


def _check_closure(case: Case, *, actor: User, reason: str, checklist: Iterable[str], explanation: str | None,
                   risk_at_closure: str) -> tuple[list[str], list[str]]:
    """The rules every closure meets, requested or direct; answers (ticked, missing) checklist items."""
    if case.is_closed:
        raise CaseError(str(_l("The case is already closed.")))
    if actor.role == Role.COUNSELLOR and case.primary_counsellor_id != actor.id:
        raise CaseError(str(_l("Only the primary counsellor or a supervisor can close the case.")))
    if reason not in CLOSE_REASONS:
        raise CaseError(str(_l("Choose why the case is being closed.")))
    if risk_at_closure not in RISK_ORDER:
        raise CaseError(str(_l("Choose her risk level at closure.")))
    has_explanation = bool(explanation and explanation.strip())
    ticked = [item for item in CLOSURE_CHECKLIST if item in set(checklist)]
    missing = [item for item in CLOSURE_CHECKLIST if item not in ticked]
    if missing and not has_explanation:
        raise ClosureIncomplete(str(_l("Tick every item of the checklist, or explain what is missing and why.")))
    current = case.risk_level.value if case.risk_level else None
    if current and RISK_ORDER.index(risk_at_closure) < RISK_ORDER.index(current) and not has_explanation:
        # A level is never lowered silently (DESIGN.md §2): a lower level at closure needs the reason written down.
        raise ClosureIncomplete(str(_l("The risk level at closure is lower than the last assessed level: "
                                       "explain why.")))
    if reason == "no-contact":
        last = _last_contact_on(case)
        days = no_contact_days()
        if (local_today() - last).days < days:
            raise ClosureIncomplete(str(_l("The last contact was on %(day)s: a file is closed for lack of contact "
                                           "only after %(days)s days without contact.", day=format_date(last),
                                           days=number(days))))
    return ticked, missing


def is_high_risk(case: Case, risk_at_closure: str | None) -> bool:
    return case.risk_level == RiskLevel.HIGH or risk_at_closure == RiskLevel.HIGH.value


def pending_closure(case: Case) -> ClosureRequest | None:
    return db.session.scalar(sa.select(ClosureRequest).where(ClosureRequest.case_id == case.id,
                                                            ClosureRequest.status == ClosureStatus.PENDING.value))


def closure_history(case: Case) -> list[ClosureRequest]:
    """Every closure request of the case, newest first: reopening never removes one."""
    return list(db.session.scalars(sa.select(ClosureRequest).where(ClosureRequest.case_id == case.id)
                                   .order_by(ClosureRequest.requested_at.desc(), ClosureRequest.id.desc())))


def closures_awaiting_decision(centre_id: int) -> list[ClosureRequest]:
    return list(db.session.scalars(closures_awaiting_decision_select(centre_id)))


def closures_awaiting_decision_select(centre_id: int | sa.ColumnElement[Any]) -> sa.Select[tuple[ClosureRequest]]:
    """The statement of ``closures_awaiting_decision`` (``centre_id`` may be a bound parameter)."""
    return (sa.select(ClosureRequest).join(Case, Case.id == ClosureRequest.case_id)
            .where(Case.centre_id == centre_id, ClosureRequest.status == ClosureStatus.PENDING.value)
            .order_by(ClosureRequest.requested_at))


def request_closure(case: Case, *, actor: User, reason: str, checklist: Iterable[str], explanation: str | None,
                    risk_at_closure: str) -> ClosureRequest:
    """The counsellor asks her supervisor to close the case; the case stays open until the decision."""
    if pending_closure(case) is not None:
        raise ClosurePending(str(_l("A closure request for this case is already waiting for a supervisor.")))
    ticked, missing = _check_closure(case, actor=actor, reason=reason, checklist=checklist, explanation=explanation,
                                     risk_at_closure=risk_at_closure)
    request = ClosureRequest(case_id=case.id, case=case, case_public_id=case.public_id, requested_by_id=actor.id,
                             reason=reason, checklist=ticked, risk_at_closure=risk_at_closure,
                             status=ClosureStatus.PENDING.value)
    request.explanation = explanation.strip() if explanation and explanation.strip() else None
    db.session.add(request)
    db.session.flush()
    audit.record("case.closure-request", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"reason": reason, "checklist_missing": missing, "risk": risk_at_closure})
    return request


def _decide(request: ClosureRequest, actor: User, status: ClosureStatus, note: str | None) -> None:
    if not request.is_pending:
        raise CaseError(str(_l("This closure request was already decided.")))
    # SECURITY: only a supervisor of the case's centre decides (the view's "approve" action checks it too).
    if actor.role != Role.SUPERVISOR or actor.centre_id != request.case.centre_id:
        raise CaseError(str(_l("Only a supervisor of the centre decides on a closure.")))
    request.status = status.value
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.decision_note = note.strip() if note and note.strip() else None


def approve_closure(request: ClosureRequest, *, actor: User, note: str | None) -> None:
    """Approve and close. A high-risk case closes only with the supervisor's reason for approving, on record."""
    case = request.case
    if is_high_risk(case, request.risk_at_closure) and not (note and note.strip()):
        raise ClosureApprovalRequired(str(_l("This is a high-risk case: write the reason for approving its "
                                             "closure.")))
    if case.is_closed:
        raise CaseError(str(_l("The case is already closed.")))
    _decide(request, actor, ClosureStatus.APPROVED, note)
    _close(case, request, actor)
    notify([request.requested_by_id], case, "closure-approved", actor=actor)
    audit.record("case.closure-approve", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"request": str(request.public_id), "high_risk": is_high_risk(case, request.risk_at_closure)})


def return_closure(request: ClosureRequest, *, actor: User, comments: str) -> None:
    """Send the request back to the counsellor with comments; the case stays open and she may ask again."""
    if not (comments and comments.strip()):
        raise CaseError(str(_l("Write what should be done before the case can be closed.")))
    _decide(request, actor, ClosureStatus.RETURNED, comments)
    notify([request.requested_by_id], request.case, "closure-returned", actor=actor)
    db.session.flush()
    audit.record("case.closure-return", object_type="case", object_id=request.case.public_id,
                 case_number=request.case.number, details={"request": str(request.public_id)})


def _close(case: Case, request: ClosureRequest, actor: User) -> None:
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    case.close_reason = request.reason
    missing = [item for item in CLOSURE_CHECKLIST if item not in request.checklist]
    lines = [str(_l("Reason: %(reason)s", reason=CLOSE_REASON_LABELS[request.reason])),
             str(_l("Risk at closure: %(level)s", level=RISK_LABELS[request.risk_at_closure]))]
    lines += ["✓ " + str(CLOSURE_CHECKLIST_LABELS[item]) for item in request.checklist]
    lines += ["✗ " + str(CLOSURE_CHECKLIST_LABELS[item]) for item in missing]
    if request.explanation:
        lines.append(request.explanation)
    if request.decision_note:
        lines.append(str(_l("Supervisor: %(note)s", note=request.decision_note)))
    add_system_note(case, actor=actor, kind="closure", text="\n".join(lines))
    audit.record("case.close", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"reason": request.reason, "checklist_missing": missing})


def close_case(case: Case, *, actor: User, reason: str, checklist: Iterable[str], explanation: str | None,
               risk_at_closure: str | None = None, decision_note: str | None = None) -> ClosureRequest:
    """Close in one step, leaving an approved closure request behind (its history and KPIs need one).

    A supervisor closes this way (she is the approver; a high-risk case needs her written reason). Counsellors ask
    through ``request_closure``; this service refuses a high-risk case to anyone but a supervisor, so no code path
    closes one without a supervisor's recorded reason."""
    level = risk_at_closure or (case.risk_level.value if case.risk_level else RiskLevel.STANDARD.value)
    ticked, _missing = _check_closure(case, actor=actor, reason=reason, checklist=checklist,
                                      explanation=explanation, risk_at_closure=level)
    if pending_closure(case) is not None:
        raise ClosurePending(str(_l("A closure request for this case is waiting: decide on it.")))
    if is_high_risk(case, level) and (actor.role != Role.SUPERVISOR or not (decision_note and decision_note.strip())):
        raise ClosureApprovalRequired(str(_l("This is a high-risk case: write the reason for approving its "
                                             "closure.")))
    request = ClosureRequest(case_id=case.id, case=case, case_public_id=case.public_id, requested_by_id=actor.id,
                             reason=reason, checklist=ticked, risk_at_closure=level,
                             status=ClosureStatus.APPROVED.value, decided_by_id=actor.id, decided_at=utcnow())
    request.explanation = explanation.strip() if explanation and explanation.strip() else None
    request.decision_note = decision_note.strip() if decision_note and decision_note.strip() else None
    db.session.add(request)
    _close(case, request, actor)
    return request


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
    return list(db.session.scalars(grants_to_review_select(supervisor.centre_id)))


def grants_to_review_select(centre_id: int | sa.ColumnElement[Any]) -> sa.Select[tuple[BreakGlassGrant]]:
    """The statement of ``grants_to_review`` (``centre_id`` may be a bound parameter)."""
    return (sa.select(BreakGlassGrant).join(Case, Case.id == BreakGlassGrant.case_id)
            .where(Case.centre_id == centre_id, BreakGlassGrant.reviewed_at.is_(None))
            .order_by(BreakGlassGrant.granted_at.desc()))


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
