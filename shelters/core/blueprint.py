"""The ``shelters`` blueprint and what its page groups share: the scoped loader decorator (``shelter_access``),
lookups *within* the loaded shelter (another shelter's id is an audited 404) and how a refused change is shown.

Every shelter page loads the shelter through ``shelters.core.policies.load_shelter_for`` (``shelter_access``).
One commit per mutating request, then a redirect. A bed conflict refused by the database becomes a message and a
409/422 re-render, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app import access, audit
from app.db import db
from shelters.core import labels
from shelters.core.errors import BedTaken, ShelterError
from shelters.core.models import Bed, Room, Shelter
from shelters.core.policies import SHELTER_ROLES, can, load_shelter_for

bp = Blueprint("shelters", __name__, url_prefix="/shelters")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def shelter_access(action: str) -> Callable[[F], F]:
    return access.object_access("shelter", load_shelter_for, action, id_arg="shelter_id", obj_arg="shelter",
                                allowed_roles=SHELTER_ROLES)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"shelter_labels": labels, "shelter_label": labels.label}


def within_shelter(obj: T | None, what: str, object_id: object) -> T:
    """A row looked up within the loaded shelter; absent (or another shelter's) → audited 404."""
    if obj is None:
        access.deny(f"{what}.view", object_type=what, object_id=object_id)
    return obj


def refuse(exc: ShelterError, shelter: Shelter) -> None:
    """Undo the attempt, keep a record of the refusal, and tell the user why."""
    db.session.rollback()
    audit.record("shelter.refused", outcome=audit.Outcome.FAILURE, object_type="shelter",
                 object_id=shelter.public_id, reason=type(exc).__name__)
    db.session.commit()
    flash(str(exc), "error")


def status_for(exc: ShelterError) -> int:
    return 409 if isinstance(exc, BedTaken) else 422


@bp.app_template_global()
def shelter_can(action: str, shelter: Shelter) -> bool:
    return current_user.is_authenticated and can(current_user, action, shelter)


def bed_of(shelter: Shelter, bed_id: uuid.UUID | str) -> Bed | None:
    """A bed of this shelter by public id (from a form or URL); None when absent or another shelter's."""
    try:
        public_id = bed_id if isinstance(bed_id, uuid.UUID) else uuid.UUID(str(bed_id))
    except ValueError:
        return None
    return db.session.scalar(
        sa.select(Bed).join(Room).where(Bed.public_id == public_id, Room.shelter_id == shelter.id))


def committed(message: str, endpoint: str, **values: Any) -> Response:
    """Commit the request's one change (with its audit events), say so, and redirect (post/redirect/get)."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))
