"""Dashboard panels for risk and plans (registered when ``cases.plans.views`` is imported).

Counsellor: risk assessments due within 7 days, overdue, never made or requested again, on cases she may work on;
safety plans returned to her; support-plan actions she owns that are due within 7 days or overdue.
Supervisor: safety plans waiting for review, and open high-risk cases without an approved safety plan in force.
Administrator: the risk checklist version in use and a link to publish the next one (configuration, no case data).
The panels show case numbers, levels and dates only, never names or plan contents (the dashboard is not an audited
case read).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app.dates import local_today
from app.db import db
from app.per_request import once_per_request
from app.users.models import Role
from cases.core import policies
from cases.core.models import Case
from cases.plans import services as plans_service
from cases.plans.models import SafetyPlanVersion, SupportAction
from cases.risk import services as risk_service

PANEL_LIMIT = 20
DUE_WITHIN_DAYS = 7


def _assigned_case_ids(user: Any) -> sa.Select[tuple[int]]:
    return policies.visible_cases_query(user).with_only_columns(Case.id)


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
    return once_per_request(("plans.assessments_due_summary", user.id, today),
                            lambda: risk_service.assessments_due_summary(
                                policies.visible_cases_query(user), within_days=DUE_WITHIN_DAYS, today=today,
                                limit=PANEL_LIMIT))


def plans_returned_to(user: Any) -> list[SafetyPlanVersion]:
    return once_per_request(("plans.returned_to", user.id), lambda: plans_service.plans_returned_to(user))


def plans_awaiting_review(centre_id: int) -> list[SafetyPlanVersion]:
    return once_per_request(("plans.awaiting_review", centre_id),
                            lambda: plans_service.plans_awaiting_review(centre_id))


def actions_due_for(user: Any, today: date | None = None) -> list[SupportAction]:
    today = today or local_today()
    return once_per_request(("plans.actions_due_for", user.id, today), lambda: plans_service.actions_due_for(
        user, within_days=DUE_WITHIN_DAYS, today=today))


def counsellor_plans_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.COUNSELLOR:
        return None
    visible = set(db.session.scalars(_assigned_case_ids(user)))
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
    without = plans_service.high_risk_without_approved_plan(user.centre_id)
    return "cases/panels/plans_supervisor.html", {
        "awaiting": awaiting[:PANEL_LIMIT], "awaiting_total": len(awaiting),
        "without_plan": without[:PANEL_LIMIT], "without_total": len(without),
    }



def admin_checklist_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.ADMIN:
        return None
    return "cases/panels/plans_admin.html", {"checklist": risk_service.current_checklist()}

