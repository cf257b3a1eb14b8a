"""Dashboard panel: how many tasks are due (overdue among them) and how many alerts are unread, with links to the
lists. Counts only (the dashboard is not an audited case read)."""

from __future__ import annotations

from typing import Any

from app.dates import local_today
from app.tasks import count_tasks
from app.users.models import Role
from cases.alerts.services import unread_count


def tasks_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) not in (Role.COUNSELLOR, Role.SUPERVISOR, Role.COORDINATOR):
        return None
    count = count_tasks(user, local_today())
    return "cases/panels/tasks.html", {"total": count.total, "overdue": count.overdue,
                                       "unread": unread_count(user) if user.role != Role.COORDINATOR else None}
