"""Who may do what with a case: pure rule functions and the scoped loader every case view goes through.

SECURITY: ``load_case_for`` filters by the user's centre *in the query* and answers NotFound for a case that does not
exist, belongs to another centre, or that the user may not ``action`` — the three look the same (DESIGN.md §1).
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.db import db, utcnow
from app.per_request import once_per_request
from app.users.models import Role, User
from cases.core.models import BreakGlassGrant, Case, CaseMember, CaseStatus

# Actions on a case and who may take them.
READ_ACTIONS = frozenset({"view"})
WORK_ACTIONS = frozenset({"edit", "close"})  # notes, people, plans, referrals, orders; closing her own case
SUPERVISOR_ACTIONS = frozenset({"manage", "approve", "reopen", "access-report", "kvkk-report"})
# "kvkk-report" (her KVKK art. 11 report, decrypted): supervisors only; unlike "access-report", never the auditor.
ALL_ACTIONS = READ_ACTIONS | WORK_ACTIONS | SUPERVISOR_ACTIONS | {"break-glass"}

CASE_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR})
REPORT_ROLES = CASE_ROLES | {Role.AUDITOR}  # the access report only


def is_assigned(user: User, case: Case) -> bool:
    if case.primary_counsellor_id == user.id:
        return True
    return db.session.scalar(
        sa.select(sa.literal(True)).where(CaseMember.case_id == case.id, CaseMember.user_id == user.id)
    ) is not None


def active_break_glass(user: User, case: Case, now: datetime | None = None) -> BreakGlassGrant | None:
    now = now or utcnow()
    return db.session.scalar(
        sa.select(BreakGlassGrant)
        .where(BreakGlassGrant.case_id == case.id, BreakGlassGrant.user_id == user.id,
               BreakGlassGrant.expires_at > now)
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )


def can(user: User, action: str, case: Case) -> bool:
    """The whole rule table for case actions (tested as a role × action table)."""
    if action not in ALL_ACTIONS:
        raise ValueError(f"unknown case action {action!r}")
    if user.role == Role.AUDITOR:
        # DESIGN.md §1: the auditor's per-case access report — by case number, no names or content.
        return action == "access-report" and case.centre_id == user.centre_id
    if user.role not in CASE_ROLES or case.centre_id != user.centre_id:
        return False
    if user.role == Role.SUPERVISOR:
        return action != "break-glass"
    # counsellor
    if action == "break-glass":
        return not is_assigned(user, case)
    if action in SUPERVISOR_ACTIONS:
        return False
    if is_assigned(user, case):
        return not (case.is_closed and action in WORK_ACTIONS)
    return action == "view" and active_break_glass(user, case) is not None


# Built once per process (issue 20); the centre is a parameter, never left out.
_CASE_IN_CENTRE = sa.select(Case).where(Case.public_id == sa.bindparam("public_id"),
                                        Case.centre_id == sa.bindparam("centre_id"))


def load_case_for(user: User, case_id: uuid.UUID | str, action: str) -> Case:
    """The case if ``user`` may ``action`` it; NotFound otherwise (missing, other centre, not allowed)."""
    try:
        public_id = case_id if isinstance(case_id, uuid.UUID) else uuid.UUID(str(case_id))
    except ValueError:
        raise NotFound() from None
    # SECURITY: the centre filter is part of the query, so another centre's case is never even loaded.
    case = db.session.scalar(_CASE_IN_CENTRE, {"public_id": public_id, "centre_id": user.centre_id})
    # An erased (crypto-shredded) case has nothing left to show: it is gone for everyone.
    if case is None or case.close_reason == "erased" or not can(user, action, case):
        raise NotFound()
    return case


def visible_cases_query(user: User) -> sa.Select[tuple[Case]]:
    """Cases the user may list: all of the centre for supervisors; assigned ones for counsellors."""
    stmt = sa.select(Case).where(Case.centre_id == user.centre_id,
                                 sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"))
    if user.role == Role.SUPERVISOR:
        return stmt
    if user.role != Role.COUNSELLOR:
        return stmt.where(sa.false())
    member = sa.select(CaseMember.case_id).where(CaseMember.user_id == user.id)
    return stmt.where(sa.or_(Case.primary_counsellor_id == user.id, Case.id.in_(member)))


def open_visible_case_ids(user: User) -> sa.Select[tuple[int]]:
    """Ids of the open cases the user works on (counsellor: assigned; supervisor: her centre), for dashboard panels.
    The statement (not its rows) is built once per request: five panels and the task count use it."""
    def build() -> sa.Select[tuple[int]]:
        visible = visible_cases_query(user).where(Case.status != CaseStatus.CLOSED).subquery()
        return sa.select(visible.c.id)
    return once_per_request(("cases.open_visible_case_ids", user.id, user.role, user.centre_id), build)


class BoundViewer:
    """A stand-in for the user in a statement built once per process (issue 20): her id and centre are bound
    parameters (``viewer_id``, ``viewer_centre_id``; ``viewer_params`` gives their values), her role shapes the
    statement. The dashboards' statements cost more to build (expression construction, cache key) than to run."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.id = sa.bindparam("viewer_id", type_=sa.Integer)
        self.centre_id = sa.bindparam("viewer_centre_id", type_=sa.Integer)


@functools.cache
def bound_viewer(role: Role) -> BoundViewer:
    return BoundViewer(role)


def viewer_params(user: User) -> dict[str, Any]:
    """The values of a ``BoundViewer``'s parameters for ``user``."""
    return {"viewer_id": user.id, "viewer_centre_id": user.centre_id}


@functools.cache
def bound_open_visible_case_ids(role: Role) -> sa.Select[tuple[int]]:
    """``open_visible_case_ids`` for any user of ``role``, built once per process (``viewer_params``)."""
    visible = visible_cases_query(cast(User, bound_viewer(role))).where(Case.status != CaseStatus.CLOSED).subquery()
    return sa.select(visible.c.id)


def assigned_to_case(user_id: Any) -> sa.ColumnElement[bool]:
    """SQL: the user (an id, or a column holding one) is the primary counsellor or a team member of ``Case``."""
    return sa.or_(Case.primary_counsellor_id == user_id,
                  sa.exists().where(CaseMember.case_id == Case.id, CaseMember.user_id == user_id))


def returned_to(submitter_id: Any, user: User) -> sa.ColumnElement[bool]:
    """SQL (with ``Case`` joined): work returned by a supervisor is the user's when she submitted it and is still on
    the case, or when she is its primary counsellor and whoever submitted it is no longer on it (a handover)."""
    return sa.or_(sa.and_(submitter_id == user.id, assigned_to_case(user.id)),
                  sa.and_(Case.primary_counsellor_id == user.id, ~assigned_to_case(submitter_id)))
