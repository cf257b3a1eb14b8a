"""Configuring a shelter: the shelter itself, its coordinators, rooms, beds and outages (out of service)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import db
from app.users.models import Role, User
from shelters.core.errors import ShelterError
from shelters.core.models import Bed, BedAssignment, Outage, Room, Shelter, ShelterCoordinator, Stay


def create_shelter(*, actor: User, name: str, capacity: int, boy_age_limit: int, max_stay_days: int,
                   address: str | None = None) -> Shelter:
    shelter = Shelter(centre_id=actor.centre_id, name=name, capacity=capacity, boy_age_limit=boy_age_limit,
                      max_stay_days=max_stay_days)
    if address:
        shelter.address = address
    db.session.add(shelter)
    db.session.flush()
    audit.record("shelter.create", object_type="shelter", object_id=shelter.public_id, actor=actor)
    return shelter


def update_shelter(shelter: Shelter, *, actor: User, name: str, capacity: int, boy_age_limit: int,
                   max_stay_days: int) -> None:
    shelter.name, shelter.capacity = name, capacity
    shelter.boy_age_limit, shelter.max_stay_days = boy_age_limit, max_stay_days
    db.session.flush()
    audit.record("shelter.update", object_type="shelter", object_id=shelter.public_id, actor=actor)


def set_address(shelter: Shelter, address: str | None, *, actor: User) -> None:
    shelter.address = address or None
    db.session.flush()
    # SECURITY: the event names the field, never the address.
    audit.record("shelter.address-change", object_type="shelter", object_id=shelter.public_id, actor=actor)


def coordinator_candidates(shelter: Shelter) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.centre_id == shelter.centre_id, User.role == Role.COORDINATOR,
                              User.is_active.is_(True)).order_by(User.name)
    ))


def assign_coordinator(shelter: Shelter, user: User | None, *, actor: User) -> None:
    if user is None or user.role != Role.COORDINATOR or user.centre_id != shelter.centre_id or not user.is_active:
        raise ShelterError(_l("Choose an active coordinator of this centre."))
    exists = db.session.scalar(sa.select(ShelterCoordinator).where(
        ShelterCoordinator.shelter_id == shelter.id, ShelterCoordinator.user_id == user.id))
    if exists is not None:
        raise ShelterError(_l("She already coordinates this shelter."))
    db.session.add(ShelterCoordinator(shelter=shelter, user=user))
    db.session.flush()
    audit.record("shelter.coordinator-add", object_type="shelter", object_id=shelter.public_id, actor=actor,
                 details={"user": str(user.public_id)})


def remove_coordinator(shelter: Shelter, user: User | None, *, actor: User) -> None:
    link = None if user is None else db.session.scalar(sa.select(ShelterCoordinator).where(
        ShelterCoordinator.shelter_id == shelter.id, ShelterCoordinator.user_id == user.id))
    if link is None or user is None:
        raise ShelterError(_l("She does not coordinate this shelter."))
    db.session.delete(link)
    db.session.flush()
    audit.record("shelter.coordinator-remove", object_type="shelter", object_id=shelter.public_id, actor=actor,
                 details={"user": str(user.public_id)})


def add_room(shelter: Shelter, name: str, *, actor: User) -> Room:
    room = Room(shelter=shelter, name=name)
    db.session.add(room)
    db.session.flush()
    audit.record("shelter.room-add", object_type="shelter_room", object_id=room.public_id, actor=actor)
    return room


def rename_room(room: Room, name: str, *, actor: User) -> None:
    room.name = name
    db.session.flush()
    audit.record("shelter.room-rename", object_type="shelter_room", object_id=room.public_id, actor=actor)


def add_bed(room: Room, label: str, *, is_cot: bool = False, actor: User) -> Bed:
    bed = Bed(room=room, label=label, is_cot=is_cot)
    db.session.add(bed)
    db.session.flush()
    audit.record("shelter.bed-add", object_type="shelter_bed", object_id=bed.public_id, actor=actor)
    return bed


def rename_bed(bed: Bed, label: str, *, actor: User) -> None:
    bed.label = label
    db.session.flush()
    audit.record("shelter.bed-rename", object_type="shelter_bed", object_id=bed.public_id, actor=actor)


def _bookings_between(bed_ids: list[int], starts_on: date, ends_on: date | None) -> int:
    stmt = sa.select(sa.func.count()).select_from(BedAssignment).join(Stay).where(
        BedAssignment.bed_id.in_(bed_ids), BedAssignment.end_on > starts_on)
    if ends_on is not None:
        stmt = stmt.where(BedAssignment.start_on < ends_on)
    return db.session.scalar(stmt) or 0


def mark_out_of_service(room: Room, bed: Bed | None, *, reason: str, starts_on: date, ends_on: date | None,
                        actor: User) -> Outage:
    """Take a bed (or a whole room) out of service. Refused while someone is booked there in that period: move her
    first. History is kept: outages are never deleted."""
    if ends_on is not None and ends_on <= starts_on:
        raise ShelterError(_l("The end date must be after the start date."))
    bed_ids = [bed.id] if bed is not None else [b.id for b in room.beds]
    if bed_ids and _bookings_between(bed_ids, starts_on, ends_on):
        raise ShelterError(_l("Someone is booked there in that period. Move her first."))
    outage = Outage(room=room, bed=bed, reason=reason, starts_on=starts_on, ends_on=ends_on, created_by_id=actor.id)
    db.session.add(outage)
    db.session.flush()
    audit.record("shelter.out-of-service", object_type="shelter_outage", object_id=outage.public_id, actor=actor,
                 details={"reason": reason, "scope": "bed" if bed is not None else "room"})
    return outage


def end_outage(outage: Outage, on: date, *, actor: User) -> None:
    if on <= outage.starts_on:
        on = outage.starts_on.fromordinal(outage.starts_on.toordinal() + 1)
    if outage.ends_on is not None and outage.ends_on <= on:
        raise ShelterError(_l("This is already back in service on that date."))
    outage.ends_on = on
    db.session.flush()
    audit.record("shelter.back-in-service", object_type="shelter_outage", object_id=outage.public_id, actor=actor)


def outages_for(shelter: Shelter) -> list[Outage]:
    return list(db.session.scalars(
        sa.select(Outage).join(Room).where(Room.shelter_id == shelter.id).order_by(Outage.starts_on.desc())
    ))
