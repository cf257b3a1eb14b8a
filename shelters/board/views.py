"""The bed board, occupancy and the waitlist of one shelter."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from app import access
from app.dates import local_today
from shelters.admissions import services as stays
from shelters.board import services as board_service
from shelters.core.blueprint import bp, shelter_access
from shelters.core.models import Shelter
from shelters.core.policies import can, can_see_address

# --- board, occupancy, waitlist -----------------------------------------------------------------------------------

@bp.get("/<uuid:shelter_id>")
@shelter_access("view")
def view_board(shelter: Shelter):  # type: ignore[no-untyped-def]
    today = local_today()
    active = board_service.active_stays(shelter)  # read once for the board and its alerts (issue 20)
    board = board_service.board(shelter, today, active)
    alerts = board_service.alerts(shelter, today, active, board.occupancy)
    # SECURITY: the board names residents: the households shown are on record before it leaves.
    board_service.households_shown("board", [*board.households, *(a.household_id for a in alerts)], shelter)
    access.commit_read()
    return render_template("shelters/board.html", shelter=shelter, board=board, alerts=alerts, today=today,
                           waiting=stays.waiting_count(shelter),
                           can_operate=can(current_user, "operate", shelter),
                           can_configure=can(current_user, "configure", shelter),
                           can_manage=can(current_user, "manage", shelter),
                           can_see_address=can_see_address(current_user, shelter))


@bp.get("/<uuid:shelter_id>/occupancy")
@shelter_access("view")
def occupancy(shelter: Shelter):  # type: ignore[no-untyped-def]
    today = local_today()
    series = board_service.occupancy_series(shelter, today)
    return render_template("shelters/occupancy.html", shelter=shelter, series=series,
                           chart=board_service.chart(series, shelter.capacity))


@bp.get("/<uuid:shelter_id>/waitlist")
@shelter_access("view")
def waitlist(shelter: Shelter):  # type: ignore[no-untyped-def]
    entries: list[dict[str, Any]] = []
    for req in stays.waitlist(shelter):
        people = stays.request_people(req)
        entries.append({"request": req, "adults": sum(1 for p in people if p.kind == "applicant"),
                        "children": sum(1 for p in people if p.kind == "child"),
                        "first_name": board_service.first_name(people[0].full_name if people else None)})
    board_service.households_shown("waitlist", [str(e["request"].public_id) for e in entries], shelter)
    access.commit_read()
    return render_template("shelters/waitlist.html", shelter=shelter, entries=entries,
                           can_operate=can(current_user, "operate", shelter))
