"""The case view decorator: ``@case_access("edit")`` loads the case through ``cases.core.policies.load_case_for``,
answers an audited 404 on denial, audits the read, and passes ``case=`` to the view; reads count against the
user's anti-automation budget (``app/throttle.py``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

from app import access, audit, throttle
from app.db import db
from cases.core.models import Case
from cases.core.policies import CASE_ROLES, load_case_for

F = TypeVar("F", bound=Callable[..., Any])


def case_access(action: str) -> Callable[[F], F]:
    """Also counts every page read against her case-read budget (``app.throttle``): before the case is even
    loaded, so a script walking case ids is slowed whether or not the ids exist."""
    checked = access.object_access("case", load_case_for, action, id_arg="case_id", obj_arg="case",
                                   allowed_roles=CASE_ROLES)

    def decorator(view: F) -> F:
        inner = checked(view)

        @wraps(inner)  # keeps the declared access policy
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method in ("GET", "HEAD"):
                throttle.spend(throttle.CASE_READS, item=str(kwargs.get("case_id")))
            return inner(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def audited_read(case: Case, action: str = "view") -> None:
    """After a refused change: drop what the request did, and put the read of the re-rendered page on record."""
    db.session.rollback()
    audit.record(f"case.{action}", object_type="case", object_id=case.public_id, case_number=case.number)
    db.session.commit()
