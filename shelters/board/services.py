"""The bed board, occupancy over time (with its SVG chart geometry) and alerts.

SECURITY: the board carries a display name per bed made of the resident's first name only (never the surname), or
her initial when two residents share a first name in the same room.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from app import audit
from app.db import db
from cases.core.models import Case
from shelters.admissions.services import (
    age_limit_for,
    birthday_estimate,
    current_assignment,
    occupancy_on,
    pending_extensions,
    staying_tonight,
)
from shelters.core.models import AdmissionRequest, Bed, Outage, Room, Shelter, Stay

ENDING_SOON_DAYS = 14
AGE_LIMIT_WARNING_DAYS = 60


def first_name(full_name: str | None) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else "?"


def initial(full_name: str | None) -> str:
    return first_name(full_name)[:1] + "."


@dataclass
class BedCell:
    public_id: str
    label: str
    is_cot: bool
    state: str  # "free" | "occupied" | "out"
    occupant: str | None = None  # first name or initial only
    is_child: bool = False
    household_id: str | None = None
    arriving: bool = False
    leaving: bool = False
    overdue: bool = False
    out_reason: str | None = None


@dataclass
class RoomRow:
    public_id: str
    name: str
    beds: list[BedCell] = field(default_factory=list)


@dataclass
class Board:
    rooms: list[RoomRow]
    occupancy: int
    capacity: int
    free_beds: int
    out_of_service: int
    arrivals: list[str]
    departures: list[str]
    households: list[str] = field(default_factory=list)  # every household the board names (for the audit event)


# The board's statements are built once per process (issue 20: building them, with their loader options, cost more
# than running them); the shelter and the day are bound parameters.
_SHELTER_ID = sa.bindparam("board_shelter_id", type_=sa.Integer)
_DAY = sa.bindparam("board_day", type_=sa.Date)


def _params(shelter: Shelter, day: date) -> dict[str, object]:
    return {"board_shelter_id": shelter.id, "board_day": day}


@functools.cache
def _outages_statement() -> sa.Select[tuple[Outage]]:
    return sa.select(Outage).join(Room).where(Room.shelter_id == _SHELTER_ID, Outage.starts_on <= _DAY,
                                              sa.or_(Outage.ends_on.is_(None), Outage.ends_on > _DAY))


def _outages_on(shelter: Shelter, day: date) -> list[Outage]:
    return list(db.session.scalars(_outages_statement(), _params(shelter, day)))


# What the board shows of each stay, loaded with the stays: her person and household in the same statement (many
# to one), her bookings in one more (not one query per resident). The alerts take a household's active stays from
# the same list (a household's stays are all in its request's shelter), not from ``request.stays``.
@functools.cache
def _active_stays_statement() -> sa.Select[tuple[Stay]]:
    return (sa.select(Stay).where(Stay.shelter_id == _SHELTER_ID, Stay.ended_on.is_(None)).order_by(Stay.id)
            .options(joinedload(Stay.person, innerjoin=True), joinedload(Stay.request, innerjoin=True),
                     selectinload(Stay.assignments)))


def active_stays(shelter: Shelter) -> list[Stay]:
    """The shelter's stays not ended, with what the board and its alerts show of them (the view loads them once
    and passes them to both)."""
    return list(db.session.scalars(_active_stays_statement(), {"board_shelter_id": shelter.id}))


@functools.cache
def _rooms_statement() -> sa.Select[tuple[Room]]:
    return sa.select(Room).where(Room.shelter_id == _SHELTER_ID).order_by(Room.id).options(selectinload(Room.beds))


def _rooms_with_beds(shelter: Shelter) -> list[Room]:
    """``shelter.rooms`` (same order) with their beds, in two queries; assignments then find their beds loaded."""
    return list(db.session.scalars(_rooms_statement(), {"board_shelter_id": shelter.id}))


@functools.cache
def _touching_statement() -> sa.Select[tuple[Stay]]:
    """The stays arriving or leaving on the day (one statement for both; the board splits them)."""
    is_leaving = sa.or_(Stay.ended_on == _DAY, sa.and_(Stay.ended_on.is_(None), Stay.planned_end_on == _DAY))
    return (sa.select(Stay).where(Stay.shelter_id == _SHELTER_ID, sa.or_(Stay.starts_on == _DAY, is_leaving))
            .order_by(Stay.id)
            .options(joinedload(Stay.person, innerjoin=True), joinedload(Stay.request, innerjoin=True)))


def bed_of(stay: Stay, day: date) -> Bed | None:
    """The bed she sleeps in on ``day``; an overdue resident stays in her last bed."""
    assignment = current_assignment(stay, day)
    if assignment is None and stay.assignments and stay.planned_end_on <= day:
        assignment = stay.assignments[-1]
    return assignment.bed if assignment is not None else None


def board(shelter: Shelter, today: date, active: list[Stay] | None = None) -> Board:
    shelter_rooms = _rooms_with_beds(shelter)
    outages = _outages_on(shelter, today)
    room_out = {o.room_id: o.reason for o in outages if o.bed_id is None}
    bed_out = {o.bed_id: o.reason for o in outages if o.bed_id is not None}
    present: dict[int, Stay] = {}
    for stay in active_stays(shelter) if active is None else active:
        bed = bed_of(stay, today) if stay.starts_on <= today else None
        if bed is not None:
            present[bed.id] = stay
    names = {stay.id: stay.person.full_name for stay in present.values()}
    rooms, free, out = [], 0, 0
    for room in shelter_rooms:
        row = RoomRow(str(room.public_id), room.name)
        firsts = [first_name(names[present[b.id].id]) for b in room.beds if b.id in present]
        for bed in room.beds:
            cell = BedCell(str(bed.public_id), bed.label, bed.is_cot, "free")
            occupant = present.get(bed.id)
            if occupant is not None:
                name = names[occupant.id]
                # SECURITY: first name only; the initial when it would not tell residents apart.
                cell.occupant = first_name(name) if firsts.count(first_name(name)) == 1 else initial(name)
                cell.state = "occupied"
                cell.is_child = occupant.person.kind == "child"
                cell.household_id = str(occupant.request.public_id)
                cell.arriving = occupant.starts_on == today
                cell.leaving = occupant.planned_end_on == today
                cell.overdue = occupant.planned_end_on < today
            elif room.id in room_out or bed.id in bed_out:
                cell.state = "out"
                cell.out_reason = room_out.get(room.id) or bed_out.get(bed.id)
                out += 1
            else:
                free += 1
            row.beds.append(cell)
        rooms.append(row)
    # arriving and leaving today, read together (one statement, their person and household joined) and split here
    touching = list(db.session.scalars(_touching_statement(), _params(shelter, today)))
    arriving = [s for s in touching if s.starts_on == today]
    leaving = [s for s in touching if s.ended_on == today or (s.ended_on is None and s.planned_end_on == today)]
    households = [str(s.request.public_id) for s in [*present.values(), *arriving, *leaving]]
    return Board(rooms, staying_tonight(shelter, today), shelter.capacity, free, out,
                 [first_name(s.person.full_name) for s in arriving], [first_name(s.person.full_name) for s in leaving],
                 households)


# --- occupancy over time ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    bar_width: int
    capacity_y: int
    max_value: int
    peak: int
    average: float


def occupancy_series(shelter: Shelter, today: date, days: int = 30) -> list[tuple[date, int]]:
    start = today - timedelta(days=days - 1)
    return [(start + timedelta(days=i), occupancy_on(shelter, start + timedelta(days=i))) for i in range(days)]


def chart(series: list[tuple[date, int]], capacity: int, *, height: int = 160, bar_width: int = 16,
          gap: int = 4) -> Chart:
    """Geometry for a bar chart drawn by the template as SVG (no script, no inline style)."""
    max_value = max([capacity, 1, *(count for _, count in series)])
    bars = []
    for i, (day, count) in enumerate(series):
        h = round(count * height / max_value)
        bars.append(Bar(day, count, i * (bar_width + gap), height - h, h))
    counts = [count for _, count in series] or [0]
    return Chart(bars, len(series) * (bar_width + gap), height, bar_width,
                 height - round(capacity * height / max_value), max_value, max(counts),
                 round(sum(counts) / len(counts), 1))


# --- alerts -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alert:
    kind: str  # ending-soon | overdue | extension-pending | age-limit | capacity
    message: str
    household_id: str | None = None
    level: str = "warning"
    due_on: date | None = None  # the planned end, for a stay ending or overdue


def alerts(shelter: Shelter, today: date, active: list[Stay] | None = None,
           occupancy: int | None = None) -> list[Alert]:
    """The board's alerts; ``active`` (``active_stays``) and ``occupancy`` (``staying_tonight``), when the caller
    already has them, are not read again."""
    found: list[Alert] = []
    occupancy = staying_tonight(shelter, today) if occupancy is None else occupancy
    if occupancy >= shelter.capacity:
        found.append(Alert("capacity", _("At or over capacity: %(n)s people for %(capacity)s places.",
                                         n=occupancy, capacity=shelter.capacity), level="danger"))
    # each household's active stays, in id order (as request.stays are): all of them are among the shelter's
    households: dict[int, tuple[AdmissionRequest, list[Stay]]] = {}
    for stay in active_stays(shelter) if active is None else active:
        households.setdefault(stay.request_id, (stay.request, []))[1].append(stay)
    for request, stays in households.values():
        end = max(s.planned_end_on for s in stays)
        applicant = next((s for s in stays if s.person.kind == "applicant"), stays[0])
        who = first_name(applicant.person.full_name)
        hid = str(request.public_id)
        days_left = (end - today).days
        if days_left < 0:
            found.append(Alert("overdue", _("%(name)s's stay passed its planned end %(days)s days ago.",
                                            name=who, days=-days_left), hid, "danger", end))
        elif days_left <= ENDING_SOON_DAYS:
            found.append(Alert("ending-soon", _("%(name)s's stay ends in %(days)s days (%(date)s).",
                                                name=who, days=days_left, date=format_date(end)), hid, due_on=end))
        for stay in stays:
            person = stay.person
            if person.sex != "boy" or person.birth_year is None:
                continue
            limit = age_limit_for(person, shelter)
            if limit is None:
                continue
            turns = birthday_estimate(person.birth_year, limit)
            if (turns - today).days <= AGE_LIMIT_WARNING_DAYS:
                found.append(Alert("age-limit", _(
                    "%(child)s (son of %(name)s) reaches the age limit of %(limit)s around %(date)s "
                    "(estimated from the birth year).",
                    child=first_name(person.full_name), name=who, limit=limit, date=format_date(turns)), hid))
    for extension in pending_extensions([shelter]):
        found.append(Alert("extension-pending", _("An extension to %(date)s awaits a supervisor's approval.",
                                                  date=format_date(extension.new_end_on)),
                           str(extension.request.public_id), "muted"))
    return found


@functools.cache
def _case_numbers_statement() -> sa.Select[tuple[str]]:
    return (sa.select(Case.number).join(AdmissionRequest, AdmissionRequest.case_id == Case.id)
            .where(AdmissionRequest.public_id.in_(sa.bindparam("household_ids", expanding=True)))
            .order_by(Case.number))


def households_shown(page: str, household_ids: Iterable[str | None], shelter: Shelter | None = None) -> None:
    """Put a page that names residents (first names, a boy's age-limit date) on record: one event naming the case
    numbers of the households shown, as the case list does (DESIGN.md §3.2). The view commits it before rendering
    (``access.commit_read``); a page naming nobody records nothing more than its access decision."""
    ids = sorted({uuid.UUID(h) for h in household_ids if h})
    if not ids:
        return
    numbers = db.session.scalars(_case_numbers_statement(), {"household_ids": ids}).all()
    audit.record(f"shelter.{page}", object_type="shelter" if shelter is not None else None,
                 object_id=shelter.public_id if shelter is not None else None, details={"cases": list(numbers)})
