"""Dashboard panels of shelters: a coordinator's shelters (occupancy, alerts, waiting), a supervisor's pending
extensions and full shelters (registered by ``shelters.registry``)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from app import access
from app.dates import local_today
from app.db import db
from app.per_request import once_per_request
from app.tasks import Task
from app.users.models import Role, User
from cases.core.policies import bound_viewer, viewer_params
from shelters.admissions import services as stays
from shelters.board import services as board_service
from shelters.core.models import ExtensionRequest, Shelter
from shelters.core.policies import visible_shelters_query

# The dashboard's panel and its task count (``shelter_tasks``) ask the same questions: once per request each
# (app.per_request). Lists the callers must not change.

@functools.cache
def _shelters_statement(role: Role) -> sa.Select[tuple[Shelter]]:
    """``visible_shelters_query`` for any user of ``role``, built once per process (issue 20)."""
    return visible_shelters_query(cast(User, bound_viewer(role)))


def _shelters(user: User) -> list[Shelter]:
    return once_per_request(("shelters.visible", user.id), lambda: list(db.session.scalars(
        _shelters_statement(user.role), viewer_params(user))))


def _pending_extensions(user: User) -> list[ExtensionRequest]:
    return once_per_request(("shelters.pending_extensions", user.id),
                            lambda: stays.pending_extensions(_shelters(user)))


def _alerts(user: User, shelter: Shelter, today: date) -> list[board_service.Alert]:
    return once_per_request(("shelters.alerts", user.id, shelter.id, today),
                            lambda: board_service.alerts(shelter, today))


def coordinator_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.COORDINATOR:
        return None
    today = local_today()
    items: list[dict[str, Any]] = [
        {"shelter": s, "occupancy": stays.staying_tonight(s, today), "alerts": _alerts(user, s, today),
         "waiting": stays.waiting_count(s)} for s in _shelters(user)]
    # SECURITY: the alerts name residents and sons nearing the age limit: on record before the dashboard leaves.
    board_service.households_shown("dashboard", [a.household_id for i in items for a in i["alerts"]])
    access.commit_read()
    return "shelters/_panel_coordinator.html", {"items": items}


def supervisor_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.SUPERVISOR:
        return None
    today = local_today()
    capacity = [(s, stays.staying_tonight(s, today)) for s in _shelters(user)]
    return "shelters/_panel_supervisor.html", {
        "extensions": _pending_extensions(user),
        "capacity_alerts": [(s, n) for s, n in capacity if n >= s.capacity],
        "shelters": capacity,
    }


TASK_KINDS = {"stay-ending": _l("Shelter stay ending"), "extension-decision": _l("Stay extension awaiting decision")}


def shelter_tasks(user: User, today: date) -> list[Task]:
    """Task provider (``app.tasks``): stays ending or past their end in a coordinator's shelters (from the board's
    alerts), and extensions waiting for a supervisor. The shelter's name and dates only, never a resident's name."""
    if user.role not in (Role.COORDINATOR, Role.SUPERVISOR):
        return []
    tasks = []
    if user.role == Role.COORDINATOR:
        for shelter in _shelters(user):
            board = url_for("shelters.view_board", shelter_id=shelter.public_id)
            tasks += [Task("stay-ending", shelter.name, board, alert.due_on, alert.kind == "overdue")
                      for alert in _alerts(user, shelter, today) if alert.kind in ("ending-soon", "overdue")]
    else:
        for extension in _pending_extensions(user):
            shelter = extension.request.shelter
            tasks.append(Task("extension-decision", shelter.name,
                              url_for("shelters.view_board", shelter_id=shelter.public_id),
                              extension.requested_at.date()))
    return tasks
