"""The case view decorator: ``@case_access("edit")`` loads the case through ``cases.core.policies.load_case_for``,
answers an audited 404 on denial, audits the read, and passes ``case=`` to the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app import access
from cases.core.policies import CASE_ROLES, load_case_for

F = TypeVar("F", bound=Callable[..., Any])


def case_access(action: str) -> Callable[[F], F]:
    return access.object_access("case", load_case_for, action, id_arg="case_id", obj_arg="case",
                                allowed_roles=CASE_ROLES)
