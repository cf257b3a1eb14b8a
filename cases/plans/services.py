"""Safety-plan and support-plan rules.

Safety plan: the latest version is the one being worked on. Saving edits the latest version while it is a draft,
otherwise starts the next version from the latest contents; a draft is submitted; only a supervisor (the policy's
"approve" action) approves it — never her own submission — setting a review-due date, or returns it with comments.

For colleagues: ``high_risk_without_approved_plan(centre_id)`` lists the open high-risk cases of a centre without an
approved safety plan whose review is not overdue; ``safety_plan_status(case)`` summarises one case's plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import local_today
from app.db import db, utcnow
from app.users.models import Role, User
from cases.alerts.services import notify
from cases.core.errors import CaseClosed, CaseError
from cases.core.models import Case, CaseStatus, RiskLevel
from cases.core.policies import returned_to
from cases.plans.models import (
    KADES_CHOICES,
    OPEN_ACTION_STATUSES,
    SAFETY_PLAN_SECTIONS,
    SUPPORT_DOMAINS,
    ActionOwner,
    ActionStatus,
    GoalStatus,
    PlanStatus,
    SafetyPlanVersion,
    SupportAction,
    SupportGoal,
    SupportPlanReview,
    SupportProgressNote,
)

DEFAULT_REVIEW_DAYS = 30
MAX_REVIEW_DAYS = 366


class PlanError(CaseError):
    """A plan rule was broken (the message is safe to show)."""


class PlanNotEditable(PlanError):
    pass


class PlanNotSubmitted(PlanError):
    pass


class SelfApproval(PlanError):
    pass


def _open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(_l("The case is closed; reopen it first."))


# --- safety plan -----------------------------------------------------------------------------------------------

def safety_plan_versions(case: Case) -> list[SafetyPlanVersion]:
    return list(db.session.scalars(
        sa.select(SafetyPlanVersion).where(SafetyPlanVersion.case_id == case.id)
        .order_by(SafetyPlanVersion.version.desc())
    ))


def latest_safety_plan(case: Case) -> SafetyPlanVersion | None:
    return db.session.scalar(
        sa.select(SafetyPlanVersion).where(SafetyPlanVersion.case_id == case.id)
        .order_by(SafetyPlanVersion.version.desc()).limit(1)
    )


def approved_safety_plan(case: Case) -> SafetyPlanVersion | None:
    """The newest approved version (it stays in force while a later version is drafted or reviewed)."""
    return db.session.scalar(
        sa.select(SafetyPlanVersion)
        .where(SafetyPlanVersion.case_id == case.id, SafetyPlanVersion.status == PlanStatus.APPROVED)
        .order_by(SafetyPlanVersion.version.desc()).limit(1)
    )


def find_safety_plan_version(case: Case, version: int) -> SafetyPlanVersion | None:
    return db.session.scalar(
        sa.select(SafetyPlanVersion).where(SafetyPlanVersion.case_id == case.id, SafetyPlanVersion.version == version)
    )


def clean_sections(sections: dict[str, Any]) -> dict[str, str]:
    cleaned = {key: str(sections.get(key) or "").strip() for key in SAFETY_PLAN_SECTIONS}
    kades = sections.get("kades") or ""
    cleaned["kades"] = kades if kades in KADES_CHOICES else ""
    return cleaned


def save_safety_plan(case: Case, sections: dict[str, Any], *, actor: User) -> SafetyPlanVersion:
    """Save the plan's contents: into the latest version while it is a draft, else as the next version."""
    _open(case)
    latest = latest_safety_plan(case)
    if latest is not None and latest.status == PlanStatus.SUBMITTED:
        raise PlanNotEditable(_l("This version is waiting for a supervisor's review and cannot be changed now."))
    now = utcnow()
    if latest is None or latest.status != PlanStatus.DRAFT:
        plan = SafetyPlanVersion(case_id=case.id, case_public_id=case.public_id, case=case,
                                 version=(latest.version + 1) if latest else 1, status=PlanStatus.DRAFT,
                                 created_by_id=actor.id, created_at=now)
        db.session.add(plan)
    else:
        plan = latest
    plan.sections = clean_sections(sections)
    plan.updated_at = now
    db.session.flush()
    return plan


def submit_safety_plan(case: Case, *, actor: User) -> SafetyPlanVersion:
    _open(case)
    plan = latest_safety_plan(case)
    if plan is None or plan.status != PlanStatus.DRAFT:
        raise PlanNotEditable(_l("There is no draft to submit. Edit the plan first."))
    if not any((plan.sections or {}).get(key) for key in SAFETY_PLAN_SECTIONS):
        raise PlanNotEditable(_l("The plan is empty. Write at least one section before submitting it."))
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_by_id = actor.id
    plan.submitted_at = utcnow()
    db.session.flush()
    audit.record("safety_plan.submitted", object_type="safety_plan", object_id=plan.public_id,
                 case_number=case.number, details={"version": plan.version})
    return plan


def _reviewable(case: Case, actor: User) -> SafetyPlanVersion:
    _open(case)
    if actor.role != Role.SUPERVISOR:  # the policy already refuses; a rule of the domain, so checked here too
        raise SelfApproval(_l("Only a supervisor can review a safety plan."))
    plan = latest_safety_plan(case)
    if plan is None or plan.status != PlanStatus.SUBMITTED:
        raise PlanNotSubmitted(_l("There is no submitted safety plan waiting for review."))
    if plan.submitted_by_id == actor.id:
        raise SelfApproval(_l("You submitted this plan yourself: another supervisor must review it."))
    return plan


def approve_safety_plan(case: Case, *, actor: User, review_due_on: date | None = None,
                        today: date | None = None) -> SafetyPlanVersion:
    today = today or local_today()
    plan = _reviewable(case, actor)
    due = review_due_on or today + timedelta(days=DEFAULT_REVIEW_DAYS)
    if not today < due <= today + timedelta(days=MAX_REVIEW_DAYS):
        raise PlanError(_l("The review date must be after today and within a year."))
    plan.status = PlanStatus.APPROVED
    plan.reviewed_by_id = actor.id
    plan.reviewed_at = utcnow()
    plan.review_due_on = due
    if plan.submitted_by_id is not None:
        notify([plan.submitted_by_id], case, "plan-approved", actor=actor)
    db.session.flush()
    audit.record("safety_plan.approved", object_type="safety_plan", object_id=plan.public_id,
                 case_number=case.number, details={"version": plan.version})
    return plan


def return_safety_plan(case: Case, *, actor: User, comments: str) -> SafetyPlanVersion:
    plan = _reviewable(case, actor)
    comments = (comments or "").strip()
    if not comments:
        raise PlanError(_l("Write what should change before returning the plan."))
    plan.status = PlanStatus.RETURNED
    plan.reviewed_by_id = actor.id
    plan.reviewed_at = utcnow()
    plan.return_comments = comments
    if plan.submitted_by_id is not None:
        notify([plan.submitted_by_id], case, "plan-returned", actor=actor)
    db.session.flush()
    audit.record("safety_plan.returned", object_type="safety_plan", object_id=plan.public_id,
                 case_number=case.number, details={"version": plan.version})
    return plan


def _approved_in_force(today: date | sa.ColumnElement[Any]) -> sa.Select[tuple[int]]:
    return sa.select(SafetyPlanVersion.case_id).where(
        SafetyPlanVersion.status == PlanStatus.APPROVED, SafetyPlanVersion.review_due_on >= today)


def high_risk_without_approved_plan(centre_id: int, *, today: date | None = None,
                                    case_ids: sa.Select[tuple[int]] | None = None) -> list[Case]:
    """Open high-risk cases of the centre with no approved safety plan in force (none approved, or its review is
    overdue). ``case_ids`` narrows to a subquery of case ids (e.g. a counsellor's cases)."""
    today = today or local_today()
    return list(db.session.scalars(high_risk_without_approved_plan_select(centre_id, today, case_ids)))


def high_risk_without_approved_plan_select(centre_id: int | sa.ColumnElement[Any],
                                           today: date | sa.ColumnElement[Any],
                                           case_ids: sa.Select[tuple[int]] | None = None) -> sa.Select[tuple[Case]]:
    """The statement of ``high_risk_without_approved_plan`` (``centre_id`` and ``today`` may be bound parameters)."""
    stmt = sa.select(Case).where(
        Case.centre_id == centre_id, Case.status != CaseStatus.CLOSED, Case.risk_level == RiskLevel.HIGH,
        Case.id.not_in(_approved_in_force(today)),
    )
    if case_ids is not None:
        stmt = stmt.where(Case.id.in_(case_ids))
    return stmt.order_by(Case.number)


def plans_awaiting_review(centre_id: int) -> list[SafetyPlanVersion]:
    return list(db.session.scalars(plans_awaiting_review_select(centre_id)))


def plans_awaiting_review_select(centre_id: int | sa.ColumnElement[Any]) -> sa.Select[tuple[SafetyPlanVersion]]:
    """The statement of ``plans_awaiting_review`` (``centre_id`` may be a bound parameter)."""
    return (sa.select(SafetyPlanVersion).join(Case, Case.id == SafetyPlanVersion.case_id)
            .where(Case.centre_id == centre_id, SafetyPlanVersion.status == PlanStatus.SUBMITTED,
                   Case.status != CaseStatus.CLOSED)
            .order_by(SafetyPlanVersion.submitted_at))


def plans_returned_to(user: User) -> list[SafetyPlanVersion]:
    """Returned versions that are still the latest version of their case and are hers to rework: she submitted them,
    or the submitter has left the case and she is its primary counsellor (``policies.returned_to``)."""
    return list(db.session.scalars(plans_returned_to_select(user)))


def plans_returned_to_select(user: User) -> sa.Select[tuple[SafetyPlanVersion]]:
    """The statement of ``plans_returned_to`` (``user`` may be a ``policies.BoundViewer``)."""
    newer = sa.orm.aliased(SafetyPlanVersion)
    return (sa.select(SafetyPlanVersion).join(Case, Case.id == SafetyPlanVersion.case_id)
            .where(Case.centre_id == user.centre_id, SafetyPlanVersion.status == PlanStatus.RETURNED,
                   returned_to(SafetyPlanVersion.submitted_by_id, user), Case.status != CaseStatus.CLOSED,
                   ~sa.exists().where(newer.case_id == SafetyPlanVersion.case_id,
                                      newer.version > SafetyPlanVersion.version))
            .order_by(SafetyPlanVersion.reviewed_at))


@dataclass(frozen=True)
class SafetyPlanStatus:
    latest: SafetyPlanVersion | None
    approved: SafetyPlanVersion | None
    needs_plan: bool  # high risk and no approved plan in force


def safety_plan_status(case: Case, today: date | None = None) -> SafetyPlanStatus:
    today = today or local_today()
    latest = latest_safety_plan(case)
    approved = approved_safety_plan(case)
    in_force = approved is not None and approved.review_due_on is not None and approved.review_due_on >= today
    needs = case.risk_level == RiskLevel.HIGH and not case.is_closed and not in_force
    return SafetyPlanStatus(latest, approved, needs)


# --- support plan ----------------------------------------------------------------------------------------------

def support_goals(case: Case) -> list[SupportGoal]:
    return list(db.session.scalars(
        sa.select(SupportGoal).where(SupportGoal.case_id == case.id).order_by(SupportGoal.id)
    ))


def find_goal(case: Case, public_id: Any) -> SupportGoal | None:
    # SECURITY: scoped to the case loaded through the policy.
    return db.session.scalar(
        sa.select(SupportGoal).where(SupportGoal.case_id == case.id, SupportGoal.public_id == public_id))


def find_action(case: Case, public_id: Any) -> SupportAction | None:
    return db.session.scalar(
        sa.select(SupportAction).where(SupportAction.case_id == case.id, SupportAction.public_id == public_id))


def staff_owners(case: Case) -> list[User]:
    """Staff who may own an action: active counsellors and supervisors of the case's centre."""
    return list(db.session.scalars(
        sa.select(User).where(User.centre_id == case.centre_id, User.is_active.is_(True),
                              User.role.in_([Role.COUNSELLOR, Role.SUPERVISOR]))
        .order_by(User.name)
    ))


def add_goal(case: Case, *, domain: str, goal: str, need: str | None, actor: User) -> SupportGoal:
    _open(case)
    if domain not in SUPPORT_DOMAINS:
        raise PlanError(_l("Choose a domain from the list."))
    row = SupportGoal(case_id=case.id, case_public_id=case.public_id, case=case, domain=domain,
                      created_by_id=actor.id)
    row.goal = goal.strip()
    row.need = (need or "").strip() or None
    db.session.add(row)
    db.session.flush()
    return row


def update_goal(goal: SupportGoal, *, status: GoalStatus, actor: User) -> SupportGoal:
    _open(goal.case)
    goal.status = status
    db.session.flush()
    return goal


def _owner(case: Case, owner_kind: ActionOwner, owner_user_id: int | None) -> int | None:
    if owner_kind != ActionOwner.STAFF:
        return None
    if owner_user_id is None or owner_user_id not in {u.id for u in staff_owners(case)}:
        raise PlanError(_l("Choose a staff member of this centre as the owner."))
    return owner_user_id


def add_action(goal: SupportGoal, *, description: str, owner_kind: ActionOwner, owner_user_id: int | None,
               due_on: date | None, actor: User) -> SupportAction:
    case = goal.case
    _open(case)
    action = SupportAction(case_id=case.id, case_public_id=case.public_id, case=case, goal=goal, goal_id=goal.id,
                           owner_kind=owner_kind, owner_user_id=_owner(case, owner_kind, owner_user_id),
                           due_on=due_on, status=ActionStatus.PLANNED, created_by_id=actor.id)
    action.description = description.strip()
    db.session.add(action)
    db.session.flush()
    return action


def update_action(action: SupportAction, *, status: ActionStatus, owner_kind: ActionOwner,
                  owner_user_id: int | None, due_on: date | None, note: str | None, actor: User) -> SupportAction:
    case = action.case
    _open(case)
    action.status = status
    action.owner_kind = owner_kind
    action.owner_user_id = _owner(case, owner_kind, owner_user_id)
    action.due_on = due_on
    action.updated_at = utcnow()
    if note and note.strip():
        entry = SupportProgressNote(case_id=case.id, case_public_id=case.public_id, case=case, action=action,
                                    author_id=actor.id)
        entry.text = note.strip()
        db.session.add(entry)
    db.session.flush()
    return action


def add_review(case: Case, *, reviewed_on: date, summary: str, next_review_on: date | None,
               actor: User, today: date | None = None) -> SupportPlanReview:
    _open(case)
    today = today or local_today()
    if reviewed_on > today:
        raise PlanError(_l("The review date cannot be in the future."))
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise PlanError(_l("The next review must come after this one."))
    review = SupportPlanReview(case_id=case.id, case_public_id=case.public_id, case=case, reviewed_on=reviewed_on,
                               next_review_on=next_review_on, reviewer_id=actor.id)
    review.summary = summary.strip()
    db.session.add(review)
    db.session.flush()
    return review


def support_reviews(case: Case) -> list[SupportPlanReview]:
    return list(db.session.scalars(
        sa.select(SupportPlanReview).where(SupportPlanReview.case_id == case.id)
        .order_by(SupportPlanReview.reviewed_on.desc(), SupportPlanReview.id.desc())
    ))


def open_actions(case: Case) -> list[SupportAction]:
    return list(db.session.scalars(
        sa.select(SupportAction).where(SupportAction.case_id == case.id,
                                       SupportAction.status.in_(OPEN_ACTION_STATUSES))
        .order_by(SupportAction.due_on.is_(None), SupportAction.due_on, SupportAction.id)
    ))


def actions_due_for(user: User, within_days: int = 7, today: date | None = None) -> list[SupportAction]:
    """Open actions she owns, due within ``within_days`` or overdue, on open cases of her centre."""
    return actions_due(SupportAction.owner_user_id == user.id, user.centre_id, within_days, today)


def actions_due(criterion: sa.ColumnElement[bool], centre_id: int, within_days: int = 7,
                today: date | None = None) -> list[SupportAction]:
    """Open actions matching ``criterion`` (an owner, a set of cases), due within ``within_days`` or overdue, on
    open cases of the centre."""
    today = today or local_today()
    return list(db.session.scalars(actions_due_select(criterion, centre_id, today + timedelta(days=within_days))))


def actions_due_select(criterion: sa.ColumnElement[bool], centre_id: int | sa.ColumnElement[Any],
                       until: date | sa.ColumnElement[Any]) -> sa.Select[tuple[SupportAction]]:
    """The statement of ``actions_due``, due on or before ``until`` (``centre_id`` and ``until`` may be bound
    parameters)."""
    return (sa.select(SupportAction).join(Case, Case.id == SupportAction.case_id)
            .where(criterion, SupportAction.status.in_(OPEN_ACTION_STATUSES),
                   SupportAction.due_on.is_not(None), SupportAction.due_on <= until,
                   Case.centre_id == centre_id, Case.status != CaseStatus.CLOSED)
            .order_by(SupportAction.due_on, SupportAction.id))


def safety_plan_reviews_due(case_ids: sa.Select[tuple[int]], within_days: int = 7,
                            today: date | None = None) -> list[SafetyPlanVersion]:
    """The approved safety plan of each case among ``case_ids`` whose review is due within ``within_days`` or
    overdue (the latest approved version only: a newer approval replaces the older review date)."""
    today = today or local_today()
    return list(db.session.scalars(safety_plan_reviews_due_select(case_ids, today + timedelta(days=within_days))))


def safety_plan_reviews_due_select(case_ids: sa.Select[tuple[int]],
                                   until: date | sa.ColumnElement[Any]) -> sa.Select[tuple[SafetyPlanVersion]]:
    """The statement of ``safety_plan_reviews_due``, reviews due on or before ``until`` (a bound parameter, for a
    statement built once)."""
    newer = sa.orm.aliased(SafetyPlanVersion)
    return (sa.select(SafetyPlanVersion).join(Case, Case.id == SafetyPlanVersion.case_id)
            .where(SafetyPlanVersion.case_id.in_(case_ids), SafetyPlanVersion.status == PlanStatus.APPROVED,
                   SafetyPlanVersion.review_due_on <= until,
                   Case.status != CaseStatus.CLOSED,
                   ~sa.exists().where(newer.case_id == SafetyPlanVersion.case_id,
                                      newer.status == PlanStatus.APPROVED,
                                      newer.version > SafetyPlanVersion.version))
            .order_by(SafetyPlanVersion.review_due_on, SafetyPlanVersion.id))
