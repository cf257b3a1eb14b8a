"""The case view decorator: ``@case_access("edit")`` loads the case through ``cases.core.policies.load_case_for``,
answers an audited 404 on denial, audits (and commits) the access before the view, and passes ``case=`` to it;
``in_case`` does the same denial for rows nested in the case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app import access
from app.db import db
from cases.core.models import Case
from cases.core.policies import CASE_ROLES, REPORT_ROLES, load_case_for

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def case_access(action: str) -> Callable[[F], F]:
    return access.object_access("case", load_case_for, action, id_arg="case_id", obj_arg="case",
                                allowed_roles=REPORT_ROLES if action == "access-report" else CASE_ROLES)


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
