"""The legal process in the task list: hearings coming (or passed without an update) and expected releases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.tasks import Task
from cases.core import policies
from cases.core.policies import CASE_ROLES
from cases.legal import services as legal_service

TASK_KINDS = {
    "hearing": _l("Hearing coming, or record what happened"),
    "release-coming": _l("The person using violence is to be released"),
}


def legal_tasks(user: Any, today: date) -> Iterable[Task]:
    if getattr(user, "role", None) not in CASE_ROLES:
        return []
    tasks = []
    for due in legal_service.legal_due(policies.open_visible_case_ids(user), today=today):
        if due.proceeding is not None:
            url = url_for("cases.edit_proceeding", case_id=due.case.public_id, proceeding_id=due.proceeding.public_id)
        else:
            url = url_for("cases.view_case", case_id=due.case.public_id) + "#legal"
        tasks.append(Task(due.kind, due.case.number, url, due.due_on, due.overdue, due.case.public_id))
    return tasks
