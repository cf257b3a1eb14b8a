"""The case view decorator: ``@case_access("edit")`` loads the case through ``cases.core.policies.load_case_for``,
answers an audited 404 on denial, audits (and commits) the access before the view, and passes ``case=`` to it;
``in_case`` does the same denial for rows nested in the case. Reads count against the user's anti-automation
budget (``app/throttle.py``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request

from app import access, throttle
from app.db import db
from cases.core.models import Case
from cases.core.policies import CASE_ROLES, REPORT_ROLES, load_case_for

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def case_access(action: str, *, audit_details: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                ) -> Callable[[F], F]:
    """Also counts every page read against her case-read budget (``app.throttle``): before the case is even
    loaded, so a script walking case ids is slowed whether or not the ids exist. ``audit_details``: see
    ``app.access.object_access``."""
    checked = access.object_access("case", load_case_for, action, id_arg="case_id", obj_arg="case",
                                   allowed_roles=REPORT_ROLES if action == "access-report" else CASE_ROLES,
                                   audit_details=audit_details)

    def decorator(view: F) -> F:
        inner = checked(view)

        @wraps(inner)  # keeps the declared access policy
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method in ("GET", "HEAD"):
                throttle.spend(throttle.CASE_READS, item=str(kwargs.get("case_id")))
            return inner(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def in_case(obj: T | None, object_type: str, object_id: object, action: str = "view") -> T:
    """A row looked up inside the loaded case (a note, goal, action, assessment …); absent or another case's → the
    audited 404 of ``access.deny``, identical to a missing case (DESIGN.md §1)."""
    if obj is None:
        access.deny(f"{object_type}.{action}", object_type=object_type, object_id=object_id, reason="not in case")
    return obj


def audited_read(case: Case, action: str = "view") -> None:
    """After a refused change: drop what the request did. The read of the re-rendered page is already on record
    (``case_access`` commits the access decision before the view runs, for every method)."""
    db.session.rollback()


def form_page(page: str, form: Any, **context: Any) -> Any:
    """The GET of a case form page, or its refusal (422) when the POST does not validate; None when the view should
    go on with a valid submission. The access event is already on record (``case_access`` commits it before the
    view runs)."""
    from flask import render_template

    if not form.is_submitted():
        return render_template(page, form=form, **context)
    if not form.validate():
        db.session.rollback()
        return render_template(page, form=form, **context), 422
    return None
