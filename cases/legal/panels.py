"""The legal process in the task list: hearings coming (or passed without an update), deadlines to appeal,
expected releases, and duty-to-report questions logged as not decided yet."""

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
from cases.legal.forms import REPORT_CONCERN_LABELS

TASK_KINDS = {
    "hearing": _l("Hearing coming, or record what happened"),
    "release-coming": _l("The person using violence is to be released"),
    "report-decision": _l("Decide whether to report"),
    "appeal-deadline": _l("Deadline to appeal, or record whether it was appealed"),
}


def legal_tasks(user: Any, today: date) -> Iterable[Task]:
    if getattr(user, "role", None) not in CASE_ROLES:
        return []
    tasks = []
    for due in legal_service.legal_due(policies.open_visible_case_ids(user), today=today):
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
