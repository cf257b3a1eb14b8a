"""Handing a counsellor's cases over to colleagues (one transaction; the view commits)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import db
from app.users.models import Role, User
from cases.alerts import services as alerts_service
from cases.core.errors import CaseError
from cases.core.models import Case, CaseMember, CaseStatus
from cases.core.policies import assigned_to_case
from cases.plans.models import OPEN_ACTION_STATUSES, SupportAction

HANDED_OVER = "handed-over"
alerts_service.register_alert_kind(HANDED_OVER, _l("A case was handed over to you"))


class HandoverRefused(CaseError):
    """The handover broke a rule (nothing was changed)."""


def centre_counsellors_all(centre_id: int) -> list[User]:
    """Every counsellor of the centre, active or not (one who left is deactivated, and still has cases to hand)."""
    return list(db.session.scalars(sa.select(User).where(User.centre_id == centre_id, User.role == Role.COUNSELLOR)
                                   .order_by(User.is_active.desc(), User.name, User.id)))


def find_counsellor(centre_id: int, public_id: uuid.UUID) -> User | None:
    # SECURITY: only a counsellor of the supervisor's own centre.
    return db.session.scalar(sa.select(User).where(User.public_id == public_id, User.centre_id == centre_id,
                                                   User.role == Role.COUNSELLOR))


def caseload(counsellor: User) -> list[Case]:
    """Her open cases: where she is the primary counsellor or on the team."""
    return list(db.session.scalars(
        sa.select(Case).where(Case.centre_id == counsellor.centre_id, Case.status != CaseStatus.CLOSED,
                              assigned_to_case(counsellor.id))
        .order_by(Case.year, Case.serial)))


def hand_over(*, actor: User, counsellor: User, assignments: Mapping[uuid.UUID, User]) -> int:
    """Give each case (public id) of her open caseload to the chosen colleague. Answers how many were handed over.
    Refuses the whole handover (nothing changed) if one case is not hers or one colleague cannot take it."""
    if actor.role != Role.SUPERVISOR or counsellor.centre_id != actor.centre_id or counsellor.role != Role.COUNSELLOR:
        raise HandoverRefused(str(_l("Only a supervisor of her centre can hand over her cases.")))
    if not assignments:
        raise HandoverRefused(str(_l("Choose a colleague for at least one case.")))
    hers = {case.public_id: case for case in caseload(counsellor)}
    for public_id, colleague in assignments.items():
        if public_id not in hers:
            raise HandoverRefused(str(_l("One of the cases is no longer hers. Look at the list again.")))
        # SECURITY: a case is never given to someone outside its centre, or to someone who cannot work on it.
        if colleague.id == counsellor.id or colleague.centre_id != actor.centre_id \
                or colleague.role != Role.COUNSELLOR or not colleague.is_active:
            raise HandoverRefused(str(_l("Choose active colleagues of this centre.")))
    for public_id, colleague in assignments.items():
        _hand_case(hers[public_id], counsellor, colleague, actor)
    audit.record("user.handover", object_type="user", object_id=counsellor.public_id, actor=actor,
                 details={"cases": len(assignments), "colleagues": len({u.id for u in assignments.values()})})
    return len(assignments)


def _hand_case(case: Case, counsellor: User, colleague: User, actor: User) -> None:
    was_primary = case.primary_counsellor_id == counsellor.id
    members = {m.user_id: m for m in case.members}
    if was_primary:
        case.primary_counsellor_id = colleague.id
        if colleague.id in members:
            case.members.remove(members[colleague.id])
    elif colleague.id not in members and case.primary_counsellor_id != colleague.id:
        case.members.append(CaseMember(case_id=case.id, user_id=colleague.id))
    if counsellor.id in members:
        case.members.remove(members[counsellor.id])
    for action in db.session.scalars(sa.select(SupportAction).where(
            SupportAction.case_id == case.id, SupportAction.owner_user_id == counsellor.id,
            SupportAction.status.in_(OPEN_ACTION_STATUSES))):
        action.owner_user_id = colleague.id
    db.session.flush()
    audit.record("case.handover", object_type="case", object_id=case.public_id, case_number=case.number,
                 actor=actor, details={"was_primary": was_primary})
    alerts_service.notify([colleague.id], case, HANDED_OVER, actor=actor)
