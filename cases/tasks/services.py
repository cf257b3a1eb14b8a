"""The case-work task providers, each built on the query its dashboard panel already uses, and the list's filters."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from app.db import db
from app.tasks import Task, TaskCount, collect_tasks
from app.users.models import Role, User
from cases.core import policies
from cases.core.labels import RISK_LABELS
from cases.core.models import Case
from cases.lifecycle import services as lifecycle_service
from cases.lifecycle.models import ClosureRequest, ClosureStatus
from cases.orders import panels as orders_panels
from cases.plans import panels as plans_panels
from cases.plans.models import SafetyPlanVersion, SupportAction
from cases.referrals import panels as referrals_panels

DUE_WITHIN_DAYS = plans_panels.DUE_WITHIN_DAYS

TASK_KINDS = {
    "reassessment": _l("Risk assessment due"),
    "safety-plan-review": _l("Safety plan review due"),
    "safety-plan-returned": _l("Safety plan returned to you"),
    "safety-plan-approval": _l("Safety plan waiting for your review"),
    "support-action": _l("Support action due"),
    "referral-follow-up": _l("Referral follow-up"),
    "order-expiring": _l("Protective order ending"),
    "order-approval": _l("Police order awaiting approval"),
    "closure-decision": _l("Closure request waiting for your decision"),
    "closure-returned": _l("Closure request returned to you"),
}
CASE_ROLES = (Role.COUNSELLOR, Role.SUPERVISOR)


def _case_url(endpoint: str, case_public_id: Any, **kwargs: Any) -> str:
    return url_for(endpoint, case_id=case_public_id, **kwargs)


def _risk_tasks(user: User, today: date) -> Iterator[Task]:
    for due in plans_panels.assessments_due(user, today):
        overdue = due.overdue or due.prompted or due.due_on is None
        yield Task("reassessment", due.case.number, _case_url("cases.new_risk_assessment", due.case.public_id),
                   due.due_on, overdue, due.case.public_id,
                   str(_l("Asked for again")) if due.prompted else
                   str(RISK_LABELS.get(due.case.risk_level.value, "")) if due.case.risk_level else "")


def _plan_tasks(user: User, today: date) -> Iterator[Task]:
    for plan in plans_panels.safety_plan_reviews_due(user, today):
        yield Task("safety-plan-review", plan.case.number, _case_url("cases.view_safety_plan", plan.case_public_id),
                   plan.review_due_on, _review_overdue(plan, today), plan.case_public_id)
    if user.role == Role.COUNSELLOR:
        for plan in plans_panels.plans_returned_to(user):
            yield Task("safety-plan-returned", plan.case.number,
                       _case_url("cases.view_safety_plan", plan.case_public_id), None, False, plan.case_public_id)
    else:
        for plan in plans_panels.plans_awaiting_review(user.centre_id):
            yield Task("safety-plan-approval", plan.case.number,
                       _case_url("cases.view_safety_plan", plan.case_public_id), None, False, plan.case_public_id)


def _review_overdue(plan: SafetyPlanVersion, today: date) -> bool:
    return plan.review_due_on is not None and plan.review_due_on < today


def _plan_count(user: User, today: date) -> TaskCount:
    reviews = plans_panels.safety_plan_reviews_due(user, today)
    others = (plans_panels.plans_returned_to(user) if user.role == Role.COUNSELLOR
              else plans_panels.plans_awaiting_review(user.centre_id))
    return TaskCount(len(reviews) + len(others), sum(1 for plan in reviews if _review_overdue(plan, today)))


def _actions(user: User, today: date) -> list[SupportAction]:
    if user.role == Role.COUNSELLOR:
        return plans_panels.actions_due_for(user, today)
    return plans_panels.centre_actions_due(user.centre_id, today)  # owned by staff: her own and her counsellors'


def _action_overdue(action: SupportAction, today: date) -> bool:
    return action.due_on is not None and action.due_on < today


def _action_tasks(user: User, today: date) -> Iterator[Task]:
    for action in _actions(user, today):
        yield Task("support-action", action.case.number, _case_url("cases.view_support_plan", action.case.public_id),
                   action.due_on, _action_overdue(action, today), action.case.public_id)


def _action_count(user: User, today: date) -> TaskCount:
    actions = _actions(user, today)
    return TaskCount(len(actions), sum(1 for action in actions if _action_overdue(action, today)))


def _referral_tasks(user: User, today: date) -> Iterator[Task]:
    for row in referrals_panels.follow_ups_due(user, today=today):
        yield Task("referral-follow-up", row.case_number,
                   _case_url("cases.view_referral", row.case_public_id, referral_id=row.referral_public_id),
                   row.due_on, row.overdue, row.case_public_id)


def _referral_count(user: User, today: date) -> TaskCount:
    rows = referrals_panels.follow_ups_due(user, today=today)
    return TaskCount(len(rows), sum(1 for row in rows if row.overdue))


def _order_tasks(user: User, today: date) -> Iterator[Task]:
    expiring, awaiting = orders_panels.orders_for(user, today)
    for row in expiring:
        yield Task("order-expiring", row.case_number,
                   _case_url("cases.view_order", row.case_public_id, order_id=row.order_public_id),
                   row.expires_on, False, row.case_public_id)
    for row in awaiting:
        deadline = row.approval_deadline.date() if row.approval_deadline else None
        yield Task("order-approval", row.case_number,
                   _case_url("cases.view_order", row.case_public_id, order_id=row.order_public_id),
                   deadline, row.approval_overdue, row.case_public_id)


def _order_count(user: User, today: date) -> TaskCount:
    expiring, awaiting = orders_panels.orders_for(user, today)
    return TaskCount(len(expiring) + len(awaiting), sum(1 for row in awaiting if row.approval_overdue))


@functools.cache
def _returned_closures_statement(role: Role) -> sa.Select[tuple[ClosureRequest]]:
    """A counsellor's closure requests returned to her (policies.BoundViewer): the latest request of the case was
    returned to her (or to the case's counsellor after a handover), the case is still open."""
    viewer = cast(User, policies.bound_viewer(role))
    newer = sa.orm.aliased(ClosureRequest)
    return sa.select(ClosureRequest).join(Case, Case.id == ClosureRequest.case_id).where(
        policies.returned_to(ClosureRequest.requested_by_id, viewer),
        ClosureRequest.status == ClosureStatus.RETURNED.value,
        ClosureRequest.case_id.in_(policies.bound_open_visible_case_ids(role)),
        ~sa.exists().where(newer.case_id == ClosureRequest.case_id, newer.id > ClosureRequest.id))


@functools.cache
def _awaiting_closures_statement() -> sa.Select[tuple[ClosureRequest]]:
    return lifecycle_service.closures_awaiting_decision_select(sa.bindparam("closures_centre_id", type_=sa.Integer))


def _closures(user: User) -> list[ClosureRequest]:
    if user.role == Role.SUPERVISOR:
        return list(db.session.scalars(_awaiting_closures_statement(), {"closures_centre_id": user.centre_id}))
    return list(db.session.scalars(_returned_closures_statement(user.role), policies.viewer_params(user)))


def _closure_tasks(user: User, today: date) -> Iterator[Task]:
    if user.role == Role.SUPERVISOR:
        for request in _closures(user):
            yield Task("closure-decision", request.case.number,
                       _case_url("cases.decide_closure", request.case_public_id),
                       request.requested_at.date(), False, request.case_public_id)
        return
    for request in _closures(user):
        yield Task("closure-returned", request.case.number, _case_url("cases.close_case", request.case_public_id),
                   None, False, request.case_public_id)


def _closure_count(user: User, today: date) -> TaskCount:
    return TaskCount(len(_closures(user)), 0)  # neither kind is ever overdue


def _risk_count(user: User, today: date) -> TaskCount:
    due = plans_panels.assessments_due_summary(user, today)
    return TaskCount(due.total, due.overdue)


PROVIDERS = (_risk_tasks, _plan_tasks, _action_tasks, _referral_tasks, _order_tasks, _closure_tasks)
# What counting each provider's tasks gives, without building them (a Task carries a URL: url_for per task): the
# risk tasks (one per due open case, 200 on a busy counsellor's dashboard) by the plans panel's SQL count, the
# others from the rows their panels share within the request. tests/cases/test_tasks_alerts.py compares the two.
COUNTERS = (_risk_count, _plan_count, _action_count, _referral_count, _order_count, _closure_count)


def case_tasks(user: Any, today: date) -> Iterable[Task]:
    """The case-work provider registered with ``app.tasks`` (counsellors and supervisors only)."""
    if getattr(user, "role", None) not in CASE_ROLES:
        return []
    return [task for provider in PROVIDERS for task in provider(user, today)]


def case_task_count(user: Any, today: date) -> TaskCount:
    """What counting ``case_tasks(user, today)`` gives (registered as its counter), without building the tasks."""
    if getattr(user, "role", None) not in CASE_ROLES:
        return TaskCount(0, 0)
    counts = [counter(user, today) for counter in COUNTERS]
    return TaskCount(sum(c.total for c in counts), sum(c.overdue for c in counts))


def tasks_for(user: User, today: date, *, counsellor: User | None = None, kind: str | None = None) -> list[Task]:
    """Every registered provider's tasks for the user, narrowed to one kind and (supervisor) one counsellor's
    cases — the cases where she is the primary counsellor."""
    tasks = collect_tasks(user, today)
    if kind:
        tasks = [t for t in tasks if t.kind == kind]
    if counsellor is not None:
        ids = {t.case_public_id for t in tasks if t.case_public_id is not None}
        hers: set[uuid.UUID] = set(db.session.scalars(
            sa.select(Case.public_id).where(Case.public_id.in_(ids), Case.primary_counsellor_id == counsellor.id,
                                            Case.centre_id == user.centre_id))) if ids else set()
        tasks = [t for t in tasks if t.case_public_id in hers]
    return tasks
