"""The case view decorator: ``@case_access("edit")`` loads the case through ``cases.core.policies.load_case_for``,
answers an audited 404 on denial, audits the read, and passes ``case=`` to the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app import access, audit
from app.db import db
from cases.core.models import Case
from cases.core.policies import CASE_ROLES, load_case_for

F = TypeVar("F", bound=Callable[..., Any])


def case_access(action: str) -> Callable[[F], F]:
    return access.object_access("case", load_case_for, action, id_arg="case_id", obj_arg="case",
                                allowed_roles=CASE_ROLES)


def audited_read(case: Case, action: str = "view") -> None:
    """After a refused change: drop what the request did, and put the read of the re-rendered page on record."""
    db.session.rollback()
    audit.record(f"case.{action}", object_type="case", object_id=case.public_id, case_number=case.number)
    db.session.commit()


def form_page(page: str, form: Any, **context: Any) -> Any:
    """The GET of a case form page, or its refusal (422) when the POST does not validate; None when the view should
    go on with a valid submission. The access event is committed either way."""
    from flask import render_template

    if not form.is_submitted():
        return render_template(page, form=form, **context)
    if not form.validate():
        db.session.commit()
        return render_template(page, form=form, **context), 422
    return None
