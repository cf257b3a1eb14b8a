"""The legal process in the task list: hearings coming (or passed without an update), deadlines to appeal,
expected releases, and duty-to-report questions logged as not decided yet."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from app.db import db
from app.per_request import once_per_request
from app.tasks import Task, TaskCount
from app.users.models import Role
from cases.core import policies
from cases.core.policies import CASE_ROLES
from cases.legal import services as legal_service
from cases.legal.forms import REPORT_CONCERN_LABELS

TASK_KINDS = {
    "hearing": _l("Hearing coming, or record what happened"),
    "release-coming": _l("The person using violence is to be released"),
    "report-decision": _l("Decide whether to report"),
    "appeal-deadline": _l("Deadline to appeal, or record whether it was appealed"),
}


@functools.cache
def _due_statement(role: Role) -> sa.Select[Any]:
    """``legal_service.legal_due``'s statement on the open cases she sees, built once per process (issue 20)."""
    return legal_service.legal_due_select(policies.bound_open_visible_case_ids(role), **{
        name: sa.bindparam(name, type_=sa.Date) for name in legal_service.legal_due_days(date.min)})


def _legal_due(user: Any, today: date) -> list[legal_service.LegalDue]:
    """``legal_service.legal_due(policies.open_visible_case_ids(user), today=today)``, asked once per request."""
    return once_per_request(("legal.legal_due", user.id, today), lambda: legal_service.legal_due_rows(
        db.session.execute(_due_statement(user.role),
                           {**policies.viewer_params(user), **legal_service.legal_due_days(today)}).all(), today))


def legal_tasks(user: Any, today: date) -> Iterable[Task]:
    if getattr(user, "role", None) not in CASE_ROLES:
        return []
    tasks = []
    for due in _legal_due(user, today):
        detail = ""
        if due.kind in ("hearing", "appeal-deadline"):
            url = url_for("cases.edit_proceeding", case_id=due.case_public_id, proceeding_id=due.object_public_id)
        elif due.kind == "report-decision":
            url = url_for("cases.decide_report_decision", case_id=due.case_public_id, decision_id=due.object_public_id)
            detail = str(REPORT_CONCERN_LABELS.get(due.detail, ""))
        else:
            url = url_for("cases.view_case", case_id=due.case_public_id) + "#legal"
        tasks.append(Task(due.kind, due.case_number, url, due.due_on, due.overdue, due.case_public_id, detail))
    return tasks


def legal_task_count(user: Any, today: date) -> TaskCount:
    """What counting ``legal_tasks(user, today)`` gives (its registered counter), without building the tasks."""
    if getattr(user, "role", None) not in CASE_ROLES:
        return TaskCount(0, 0)
    due = _legal_due(user, today)
    return TaskCount(len(due), sum(1 for d in due if d.overdue))
