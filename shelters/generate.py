"""Synthetic shelter stays for ``flask demo generate`` (development only; issue 6).

About 3% of the newly generated cases get an admission request; most are admitted (the woman and the children the
shelter accepts, each on her own bed), some declined. Beds are handed out in date order and each bed's bookings are
sequential, so no two bookings of a bed overlap (the constraint of migration 0006 holds). The demo shelter is used
first; when no shelter has enough free beds on the admission day, another synthetic shelter of 24 beds is created.
Rows are Core inserts (see ``cases.generate``); no per-row audit events.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa

from app.dates import local_today
from app.db import db
from app.users.models import Centre, Role, User
from cases.core.models import Case, Person, PersonKind
from cases.generate import Sealer, street_address
from shelters.core.models import (
    DECLINE_REASONS,
    DEFAULT_BOY_AGE_LIMIT,
    DEFAULT_MAX_STAY_DAYS,
    EXIT_DESTINATIONS,
    GIRL_AGE_LIMIT,
    AdmissionRequest,
    Bed,
    BedAssignment,
    Outage,
    Room,
    Shelter,
    ShelterCoordinator,
    Stay,
)

SHARE = 0.03           # of the generated cases, how many ask for a shelter place
DECLINED = 0.2         # of those, how many are declined
NAME_PREFIX = "Sentetik Konukevi"
ROOMS, BEDS_PER_ROOM = 8, 3
EXITS = {"own-home": 30, "relatives": 30, "another-shelter": 12, "returned-to-perpetrator": 13, "unknown": 15}
assert set(EXITS) <= set(EXIT_DESTINATIONS)


def _table(model: type) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


class _Beds:
    """Free-from date of every usable bed, per shelter; beds are booked one after another."""

    def __init__(self, centre: Centre) -> None:
        session = db.session()
        self.centre = centre
        self.shelters: dict[int, dict[int, date]] = {}
        self.capacity: dict[int, int] = {}
        rows = session.execute(
            sa.select(Shelter.id, Shelter.capacity, Bed.id)
            .join(Room, Room.shelter_id == Shelter.id).join(Bed, Bed.room_id == Room.id)
            .where(Shelter.centre_id == centre.id, Shelter.is_active.is_(True)).order_by(Shelter.id, Bed.id))
        # beds (or rooms) with an outage are left alone
        out_beds = set(session.scalars(sa.select(Outage.bed_id).where(Outage.bed_id.is_not(None))))
        out_rooms = set(session.scalars(sa.select(Outage.room_id).where(Outage.bed_id.is_(None))))
        room_of = dict(session.execute(sa.select(Bed.id, Bed.room_id)).tuples().all())
        last = dict(session.execute(sa.select(BedAssignment.bed_id, sa.func.max(BedAssignment.end_on))
                                    .group_by(BedAssignment.bed_id)).tuples().all())
        for shelter_id, capacity, bed_id in rows:
            self.capacity[shelter_id] = capacity
            beds = self.shelters.setdefault(shelter_id, {})
            if bed_id not in out_beds and room_of.get(bed_id) not in out_rooms:
                beds[bed_id] = last.get(bed_id, date.min)

    def take(self, k: int, day: date) -> tuple[int, list[int]] | None:
        for shelter_id, beds in self.shelters.items():
            free = [bed for bed, free_from in beds.items() if free_from <= day]
            if len(free) >= k and k <= self.capacity[shelter_id]:
                return shelter_id, free[:k]
        return None

    def book(self, shelter_id: int, bed_id: int, until: date) -> None:
        self.shelters[shelter_id][bed_id] = until


def _new_shelter(sealer: Sealer, centre: Centre, coordinator: User | None, number: int,
                 beds: _Beds, rng: random.Random) -> None:
    session = sealer.session
    uid = uuid.uuid4()
    sealer.ctx.create_deks(session, [("shelter", uid)])   # the shelter's address has its own key
    row: dict[str, Any] = {"public_id": uid, "centre_id": centre.id, "name": f"{NAME_PREFIX} {number} (demo)",
                           "capacity": ROOMS * BEDS_PER_ROOM, "boy_age_limit": DEFAULT_BOY_AGE_LIMIT,
                           "max_stay_days": DEFAULT_MAX_STAY_DAYS, "is_active": True,
                           "created_at": datetime.now(UTC)}
    sealer.put(row, Shelter, "address", ("shelter", uid), uid, "Demo adresi (gerçek değil): " + street_address(rng))
    shelter_id = session.execute(sa.insert(_table(Shelter)).returning(_table(Shelter).c.id), [row]).scalar_one()
    now = datetime.now(UTC)
    room_ids = session.execute(
        sa.insert(_table(Room)).returning(_table(Room).c.id, sort_by_parameter_order=True),
        [{"public_id": uuid.uuid4(), "shelter_id": shelter_id, "name": f"Oda {r + 1}", "created_at": now}
         for r in range(ROOMS)]).scalars().all()
    bed_rows = [{"public_id": uuid.uuid4(), "room_id": room_id, "label": f"{r + 1}{'ABC'[b]}", "is_cot": False,
                 "created_at": now} for r, room_id in enumerate(room_ids) for b in range(BEDS_PER_ROOM)]
    bed_ids = session.execute(
        sa.insert(_table(Bed)).returning(_table(Bed).c.id, sort_by_parameter_order=True),
        bed_rows).scalars().all()
    if coordinator is not None:
        session.execute(sa.insert(_table(ShelterCoordinator)),
                        [{"shelter_id": shelter_id, "user_id": coordinator.id, "added_at": now}])
    beds.capacity[shelter_id] = ROOMS * BEDS_PER_ROOM
    beds.shelters[shelter_id] = {bed_id: date.min for bed_id in bed_ids}


def generate_stays(centre: Centre, users: dict[Role, User], n: int, rng: random.Random,
                   progress: Callable[[int], Any], *, batch_size: int = 1000) -> None:
    """Admission requests and stays for about 3% of the centre's newest ``n`` cases. Flushes, never commits."""
    session = db.session()
    sealer = Sealer(session)
    counsellor = users[Role.COUNSELLOR]
    coordinator = users.get(Role.COORDINATOR)
    admitter = coordinator or counsellor
    today = local_today()
    cases = session.execute(sa.select(Case.id, Case.public_id, Case.applied_on, Case.status)
                            .where(Case.centre_id == centre.id).order_by(Case.id.desc()).limit(n)).all()
    picked = sorted((c for c in cases if rng.random() < SHARE), key=lambda c: c.id)
    if not picked:
        return
    people: dict[int, list[Any]] = {}
    ids = [c.id for c in picked]
    for i in range(0, len(ids), 500):
        for p in session.execute(sa.select(Person.id, Person.case_id, Person.kind, Person.sex, Person.birth_year)
                                 .where(Person.case_id.in_(ids[i:i + 500]),
                                        Person.kind.in_((PersonKind.APPLICANT, PersonKind.CHILD)))
                                 .order_by(Person.id)):
            people.setdefault(p.case_id, []).append(p)
    households = []
    for c in picked:
        start = min(today, c.applied_on + timedelta(days=rng.randint(0, 10)))
        households.append((start, c))
    households.sort(key=lambda h: (h[0], h[1].id))
    beds = _Beds(centre)
    generated = session.scalar(sa.select(sa.func.count()).select_from(Shelter).where(
        Shelter.centre_id == centre.id, Shelter.name.like(f"{NAME_PREFIX} %"))) or 0
    requests: list[dict[str, Any]] = []
    stays: list[list[dict[str, Any]]] = []         # per request: its stays (each with "_bed", "_until")
    for start, case in households:
        woman = next((p for p in people.get(case.id, []) if p.kind == PersonKind.APPLICANT), None)
        if woman is None:
            continue
        household = [woman] + [
            p for p in people.get(case.id, []) if p.kind == PersonKind.CHILD and p.birth_year is not None
            and start.year - p.birth_year < (GIRL_AGE_LIMIT if p.sex == "girl" else DEFAULT_BOY_AGE_LIMIT)]
        uid = uuid.uuid4()
        request: dict[str, Any] = {
            "public_id": uid, "case_id": case.id, "case_public_id": case.public_id,
            "requested_by_id": counsellor.id, "requested_at": _at(start - timedelta(days=rng.randint(0, 5))),
            "person_ids": [p.id for p in household], "decided_by_id": admitter.id, "decided_at": _at(start, 14)}
        if rng.random() < DECLINED:
            request.update(status="declined", decline_reason=rng.choice(DECLINE_REASONS))
            request["shelter_id"] = next(iter(beds.shelters), None)
            sealer.put(request, AdmissionRequest, "decline_note", ("case", case.public_id), uid,
                       "Başka bir konukevine yönlendirildi." if rng.random() < 0.5 else None)
            if request["shelter_id"] is None:
                continue
            requests.append(request)
            stays.append([])
            continue
        taken = beds.take(len(household), start)
        if taken is None:
            generated += 1
            _new_shelter(sealer, centre, coordinator, generated, beds, rng)
            taken = beds.take(len(household), start)
            assert taken is not None
        shelter_id, bed_ids = taken
        nights = rng.choice((7, 14, 30, 45, 60, 90, 120, 150, 183))
        ended: date | None = start + timedelta(days=nights)
        if ended is not None and ended > today:
            # still there today, unless the case was closed meanwhile
            ended = today if case.status == "closed" else None
        planned_end = start + timedelta(days=DEFAULT_MAX_STAY_DAYS)
        until = planned_end if ended is None else max(ended, start + timedelta(days=1))
        request.update(status="admitted", decline_reason=None, shelter_id=shelter_id)
        sealer.put(request, AdmissionRequest, "decline_note", ("case", case.public_id), uid, None)
        requests.append(request)
        household_stays = []
        for person, bed_id in zip(household, bed_ids, strict=True):
            beds.book(shelter_id, bed_id, until)
            household_stays.append({
                "public_id": uuid.uuid4(), "shelter_id": shelter_id, "case_id": case.id, "person_id": person.id,
                "starts_on": start, "planned_end_on": planned_end, "ended_on": ended,
                "exit_destination": None if ended is None else rng.choices(list(EXITS), list(EXITS.values()))[0],
                "admitted_by_id": admitter.id, "created_at": _at(start, 15), "_bed": bed_id, "_until": until})
        stays.append(household_stays)
    if not requests:
        return
    table = _table(AdmissionRequest)
    request_ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                  requests).scalars().all()
    stay_rows, bookings = [], []
    for request_id, household_stays in zip(request_ids, stays, strict=True):
        for stay in household_stays:
            bookings.append((stay.pop("_bed"), stay["starts_on"], stay.pop("_until")))
            stay_rows.append({**stay, "request_id": request_id})
    if not stay_rows:
        return
    table = _table(Stay)
    stay_ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                               stay_rows).scalars().all()
    session.execute(sa.insert(_table(BedAssignment)), [
        {"stay_id": stay_id, "bed_id": bed_id, "start_on": start, "end_on": until}
        for stay_id, (bed_id, start, until) in zip(stay_ids, bookings, strict=True)])
