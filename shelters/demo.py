"""Demo data for ``flask demo seed``: one shelter with 3 rooms and 8 beds, coordinated by the demo coordinator."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import db
from app.users.models import Centre, Role, User
from shelters.core.models import Shelter, ShelterCoordinator
from shelters.setup import services as setup

DEMO_NAME = "Papatya Evi (demo)"
DEMO_ROOMS = (("Oda 1", ("1A", "1B", "1C")), ("Oda 2", ("2A", "2B", "2C")), ("Oda 3", ("3A", "3B")))


def seed_demo_shelter(centre: Centre, coordinator: User | None, actor: User) -> Shelter:
    """Create the demo shelter once (idempotent: a second call returns the existing one). Flushes, never commits."""
    shelter = db.session.scalar(sa.select(Shelter).where(Shelter.centre_id == centre.id, Shelter.name == DEMO_NAME))
    if shelter is None:
        shelter = Shelter(centre_id=centre.id, name=DEMO_NAME, capacity=12, boy_age_limit=12, max_stay_days=183)
        shelter.address = "Demo adresi: gerçek bir yer değildir"
        db.session.add(shelter)
        db.session.flush()
        for room_name, beds in DEMO_ROOMS:
            room = setup.add_room(shelter, room_name, actor=actor)
            for label in beds:
                setup.add_bed(room, label, is_cot=label == "3B", actor=actor)
    if coordinator is not None and db.session.scalar(sa.select(ShelterCoordinator).where(
            ShelterCoordinator.shelter_id == shelter.id, ShelterCoordinator.user_id == coordinator.id)) is None:
        db.session.add(ShelterCoordinator(shelter=shelter, user=coordinator))
        db.session.flush()
    return shelter


def seed_for_demo(centre: Centre, users: dict[Role, User]) -> None:
    """``flask demo seed`` hook: the demo shelter, coordinated by the demo coordinator."""
    seed_demo_shelter(centre, users.get(Role.COORDINATOR), users[Role.ADMIN])
