"""Who may do what with a shelter: the rule table and the scoped loader every shelter page goes through.

Actions:

* ``view``      the bed board, waitlist, residents, occupancy: the shelter's coordinators, the centre's supervisors.
* ``operate``   admit, decline, move, request an extension, discharge: the shelter's coordinators.
* ``approve``   decide extensions: the centre's supervisors.
* ``address``   see or change the confidential address: the shelter's coordinators, the centre's supervisors.
* ``configure`` rooms, beds and outages (no residents shown): admins and supervisors of the centre, coordinators.
* ``manage``    name, capacity, rules, coordinators: admins and supervisors of the centre.

Counsellors reach shelters only through the request-from-case flow (``cases.core.policies.load_case_for``); auditors
never. SECURITY: ``load_shelter_for`` filters by the user's centre in the query, and answers NotFound alike for a
shelter that does not exist, is in another centre, or that the user may not ``action``.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.db import db
from app.per_request import once_per_request
from app.users.models import Role, User
from shelters.core.models import Shelter, ShelterCoordinator

ACTIONS = frozenset({"view", "operate", "approve", "address", "configure", "manage"})

_RULES: dict[Role, frozenset[str]] = {
    Role.COORDINATOR: frozenset({"view", "operate", "address", "configure"}),
    Role.SUPERVISOR: frozenset({"view", "approve", "address", "configure", "manage"}),
    Role.ADMIN: frozenset({"configure", "manage"}),
}

SHELTER_ROLES = frozenset(_RULES)


def coordinates(user: User, shelter: Shelter) -> bool:
    """She coordinates the shelter. Asked once per request and shelter (app.per_request): the bed board checks it for
    every action it offers."""
    return once_per_request(("shelters.coordinates", user.id, shelter.id), lambda: db.session.scalar(
        sa.select(sa.literal(True)).where(ShelterCoordinator.shelter_id == shelter.id,
                                          ShelterCoordinator.user_id == user.id)
    ) is not None)


def can(user: User, action: str, shelter: Shelter) -> bool:
    """The whole rule table (tested as a role × action table)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown shelter action {action!r}")
    if shelter.centre_id != user.centre_id or action not in _RULES.get(user.role, frozenset()):
        return False
    if user.role == Role.COORDINATOR:
        return coordinates(user, shelter)
    return True


def can_see_address(user: User, shelter: Shelter) -> bool:
    return can(user, "address", shelter)


def load_shelter_for(user: User, shelter_id: uuid.UUID | str, action: str) -> Shelter:
    """The shelter if ``user`` may ``action`` it; NotFound otherwise (missing, other centre, not allowed)."""
    try:
        public_id = shelter_id if isinstance(shelter_id, uuid.UUID) else uuid.UUID(str(shelter_id))
    except ValueError:
        raise NotFound() from None
    # SECURITY: the centre filter is part of the query, so another centre's shelter is never even loaded.
    shelter = db.session.scalar(
        sa.select(Shelter).where(Shelter.public_id == public_id, Shelter.centre_id == user.centre_id)
    )
    if shelter is None or not can(user, action, shelter):
        raise NotFound()
    return shelter


def visible_shelters_query(user: User) -> sa.Select[tuple[Shelter]]:
    """Shelters listed for the user: her own for a coordinator; the centre's for supervisors and admins."""
    stmt = sa.select(Shelter).where(Shelter.centre_id == user.centre_id).order_by(Shelter.name)
    if user.role in (Role.SUPERVISOR, Role.ADMIN):
        return stmt
    if user.role == Role.COORDINATOR:
        mine = sa.select(ShelterCoordinator.shelter_id).where(ShelterCoordinator.user_id == user.id)
        return stmt.where(Shelter.id.in_(mine))
    return stmt.where(sa.false())
