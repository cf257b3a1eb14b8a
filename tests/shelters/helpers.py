"""Builders for shelter tests: plain snapshots (ids), not ORM objects."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from flask import Flask

from tests.factories import CaseInfo, UserInfo


@dataclass(frozen=True)
class ShelterInfo:
    id: int
    public_id: uuid.UUID
    room_ids: list[uuid.UUID]
    bed_ids: list[uuid.UUID] = field(default_factory=list)


def make_shelter(app: Flask, actor: UserInfo, *, coordinators: tuple[UserInfo, ...] = (), capacity: int = 20,
                 rooms: tuple[int, ...] = (3, 3, 2), name: str = "Papatya Evi", address: str | None = None,
                 boy_age_limit: int = 12, max_stay_days: int = 183) -> ShelterInfo:
    from app.db import db
    from app.users.models import User
    from shelters.setup import services as setup

    with app.app_context():
        user = db.session.get(User, actor.id)
        shelter = setup.create_shelter(actor=user, name=name, capacity=capacity, boy_age_limit=boy_age_limit,
                                       max_stay_days=max_stay_days, address=address)
        room_ids, bed_ids = [], []
        for i, beds in enumerate(rooms, start=1):
            room = setup.add_room(shelter, f"Oda {i}", actor=user)
            room_ids.append(room.public_id)
            for j in range(1, beds + 1):
                bed_ids.append(setup.add_bed(room, f"Yatak {i}.{j}", actor=user).public_id)
        for c in coordinators:
            setup.assign_coordinator(shelter, db.session.get(User, c.id), actor=user)
        db.session.commit()
        return ShelterInfo(shelter.id, shelter.public_id, room_ids, bed_ids)


def request_for(app: Flask, case: CaseInfo, shelter: ShelterInfo, counsellor: UserInfo,
                children: bool = True) -> uuid.UUID:
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from shelters.admissions import services as stays
    from shelters.core.models import Shelter

    with app.app_context():
        c = db.session.get(Case, case.id)
        req = stays.request_admission(c, shelter=db.session.get(Shelter, shelter.id),
                                      child_ids=[p.public_id for p in c.children] if children else [],
                                      actor=db.session.get(User, counsellor.id))
        db.session.commit()
        return req.public_id


def admit(app: Flask, shelter: ShelterInfo, request_id: uuid.UUID, coordinator: UserInfo, bed_indexes: list[int],
          starts_on: date, today: date | None = None) -> list[uuid.UUID]:
    """Admit the request's people onto the shelter's beds at ``bed_indexes`` (in request order)."""
    import sqlalchemy as sa

    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import Bed, Shelter

    with app.app_context():
        s = db.session.get(Shelter, shelter.id)
        req = stays.find_request(s, request_id)
        people = stays.request_people(req)
        beds = {p.id: db.session.scalar(sa.select(Bed).where(Bed.public_id == shelter.bed_ids[i]))
                for p, i in zip(people, bed_indexes, strict=True)}
        result = stays.admit(req, beds=beds, starts_on=starts_on, actor=db.session.get(User, coordinator.id),
                             today=today or starts_on)
        db.session.commit()
        return [st.public_id for st in result]
