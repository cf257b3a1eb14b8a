"""Dashboard panels for risk and plans (registered when ``cases.plans.views`` is imported).

Counsellor: risk assessments due within 7 days, overdue, never made or requested again, on cases she may work on;
safety plans returned to her; support-plan actions she owns that are due within 7 days or overdue.
Supervisor: safety plans waiting for review, and open high-risk cases without an approved safety plan in force.
Administrator: the risk checklist version in use and a link to publish the next one (configuration, no case data).
The panels show case numbers, levels and dates only, never names or plan contents (the dashboard is not an audited
case read).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.dates import local_today
from app.db import db
from app.per_request import once_per_request
from app.users.models import Role, User
from cases.core import policies
from cases.core.models import Case
from cases.plans import services as plans_service
from cases.plans.models import SafetyPlanVersion, SupportAction
from cases.risk import services as risk_service

PANEL_LIMIT = 20
DUE_WITHIN_DAYS = 7


@functools.cache
def _assigned_case_ids(role: Role) -> sa.Select[tuple[int]]:
    return policies.visible_cases_query(cast(User, policies.bound_viewer(role))).with_only_columns(Case.id)


# The dashboard's statements are built once per process (issue 20: building them cost more than running them), the
# user, centre and day bound as parameters (policies.BoundViewer; ``_days``).
_TODAY = sa.bindparam("plans_today", type_=sa.Date)
_DUE_UNTIL = sa.bindparam("plans_due_until", type_=sa.Date)


def _days(today: date) -> dict[str, date]:
    return {"plans_today": today, "plans_due_until": today + timedelta(days=DUE_WITHIN_DAYS)}


@functools.cache
def _due_summary_statement(role: Role) -> sa.Select[Any]:
    return risk_service.due_summary_select(policies.visible_cases_query(cast(User, policies.bound_viewer(role))),
                                           until=_DUE_UNTIL, today=_TODAY, limit=PANEL_LIMIT)


@functools.cache
def _returned_statement(role: Role) -> sa.Select[tuple[SafetyPlanVersion]]:
    return plans_service.plans_returned_to_select(cast(User, policies.bound_viewer(role)))


@functools.cache
def _awaiting_statement() -> sa.Select[tuple[SafetyPlanVersion]]:
    return plans_service.plans_awaiting_review_select(sa.bindparam("plans_centre_id", type_=sa.Integer))


@functools.cache
def _actions_statement(role: Role) -> sa.Select[tuple[SupportAction]]:
    viewer = policies.bound_viewer(role)
    return plans_service.actions_due_select(SupportAction.owner_user_id == viewer.id, viewer.centre_id, _DUE_UNTIL)


@functools.cache
def _centre_actions_statement() -> sa.Select[tuple[SupportAction]]:
    return plans_service.actions_due_select(SupportAction.owner_user_id.is_not(None),
                                            sa.bindparam("plans_centre_id", type_=sa.Integer), _DUE_UNTIL)


def centre_actions_due(centre_id: int, today: date) -> list[SupportAction]:
    """The centre's open actions owned by staff, due within ``DUE_WITHIN_DAYS`` or overdue (a supervisor's tasks)."""
    return list(db.session.scalars(_centre_actions_statement(), {"plans_centre_id": centre_id, **_days(today)}))


@functools.cache
def _without_plan_statement() -> sa.Select[tuple[Case]]:
    return plans_service.high_risk_without_approved_plan_select(
        sa.bindparam("plans_centre_id", type_=sa.Integer), _TODAY)


@functools.cache
def _reviews_statement(role: Role) -> sa.Select[tuple[SafetyPlanVersion]]:
    return plans_service.safety_plan_reviews_due_select(policies.bound_open_visible_case_ids(role), _DUE_UNTIL)


def safety_plan_reviews_due(user: Any, today: date) -> list[SafetyPlanVersion]:
    """The approved plans whose review is due within ``DUE_WITHIN_DAYS`` (or overdue) on the open cases she sees
    (``plans_service.safety_plan_reviews_due`` of ``policies.open_visible_case_ids``)."""
    return list(db.session.scalars(_reviews_statement(user.role), {**policies.viewer_params(user), **_days(today)}))


# The panels' lookups, shared with the task list's providers (cases.tasks.services) within one request: the
# dashboard shows both and asks each question once (app.per_request). Each returns a list the caller must not change.

def assessments_due(user: Any, today: date | None = None) -> list[risk_service.DueAssessment]:
    """Assessments due within ``DUE_WITHIN_DAYS`` (or overdue, never made, asked for again) on cases she sees."""
    today = today or local_today()
    return once_per_request(("plans.assessments_due", user.id, today), lambda: risk_service.assessments_due(
        policies.visible_cases_query(user), within_days=DUE_WITHIN_DAYS, today=today))


def assessments_due_summary(user: Any, today: date | None = None) -> risk_service.DueSummary:
    """The panel's first ``PANEL_LIMIT`` assessments due, with the total and the overdue tasks among them, counted
    in SQL with the same conditions (the dashboard's plans panel and its task count share it)."""
    today = today or local_today()
    return once_per_request(("plans.assessments_due_summary", user.id, today), lambda: risk_service.due_summary(
        db.session.execute(_due_summary_statement(user.role), {**policies.viewer_params(user), **_days(today)}).all(),
        today))


def plans_returned_to(user: Any) -> list[SafetyPlanVersion]:
    return once_per_request(("plans.returned_to", user.id), lambda: list(db.session.scalars(
        _returned_statement(user.role), policies.viewer_params(user))))


def plans_awaiting_review(centre_id: int) -> list[SafetyPlanVersion]:
    return once_per_request(("plans.awaiting_review", centre_id), lambda: list(db.session.scalars(
        _awaiting_statement(), {"plans_centre_id": centre_id})))


def actions_due_for(user: Any, today: date | None = None) -> list[SupportAction]:
    today = today or local_today()
    return once_per_request(("plans.actions_due_for", user.id, today), lambda: list(db.session.scalars(
        _actions_statement(user.role), {**policies.viewer_params(user), **_days(today)})))


def counsellor_plans_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.COUNSELLOR:
        return None
    visible = set(db.session.scalars(_assigned_case_ids(user.role), policies.viewer_params(user)))
    due = assessments_due_summary(user)
    returned = [p for p in plans_returned_to(user) if p.case_id in visible]
    actions = [a for a in actions_due_for(user) if a.case_id in visible]
    return "cases/panels/plans_counsellor.html", {
        "due": due.first, "due_total": due.total,
        "returned": returned[:PANEL_LIMIT], "actions": actions[:PANEL_LIMIT], "actions_total": len(actions),
    }


def supervisor_plans_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.SUPERVISOR:
        return None
    awaiting = plans_awaiting_review(user.centre_id)
    without = list(db.session.scalars(_without_plan_statement(), {"plans_centre_id": user.centre_id,
                                                                  **_days(local_today())}))
    return "cases/panels/plans_supervisor.html", {
        "awaiting": awaiting[:PANEL_LIMIT], "awaiting_total": len(awaiting),
        "without_plan": without[:PANEL_LIMIT], "without_total": len(without),
    }



def admin_checklist_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.ADMIN:
        return None
    return "cases/panels/plans_admin.html", {"checklist": risk_service.current_checklist()}

