"""Dashboard panel for the admin and the auditor: when retention last ran, when it is due next, and a warning when
more than six months have passed (KVKK's regulation: periodic destruction at most six months apart)."""

from __future__ import annotations

from typing import Any

from app.users.models import Role
from cases.retention.services import RUN_AT_LEAST_EVERY_DAYS, run_status


def retention_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) not in (Role.ADMIN, Role.AUDITOR):
        return None
    return "cases/panels/retention.html", {"status": run_status(), "at_least": RUN_AT_LEAST_EVERY_DAYS,
                                           "is_admin": user.role == Role.ADMIN}
