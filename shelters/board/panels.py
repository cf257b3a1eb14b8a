"""Dashboard panels of shelters: a coordinator's shelters (occupancy, alerts, waiting), a supervisor's pending
extensions and full shelters (registered by ``shelters.registry``)."""

from __future__ import annotations

from typing import Any

from app.dates import local_today
from app.db import db
from app.users.models import Role, User
from shelters.admissions import services as stays
from shelters.board import services as board_service
from shelters.core.policies import visible_shelters_query


def coordinator_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.COORDINATOR:
        return None
    today = local_today()
    items = [{"shelter": s, "occupancy": stays.occupancy_on(s, today), "alerts": board_service.alerts(s, today),
              "waiting": len(stays.waitlist(s))}
             for s in db.session.scalars(visible_shelters_query(user))]
    return "shelters/_panel_coordinator.html", {"items": items}


def supervisor_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.SUPERVISOR:
        return None
    today = local_today()
    shelters = list(db.session.scalars(visible_shelters_query(user)))
    capacity = [(s, stays.occupancy_on(s, today)) for s in shelters]
    return "shelters/_panel_supervisor.html", {
        "extensions": stays.pending_extensions(shelters),
        "capacity_alerts": [(s, n) for s, n in capacity if n >= s.capacity],
        "shelters": capacity,
    }
