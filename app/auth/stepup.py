"""Step-up: sensitive actions ask for a fresh second factor (OWASP ASVS 5.0 V6.8.4 / V7.5).

Break-glass, exports (audit log, statistics, a case's KVKK report), printouts (statistics, a case's papers) and any
change of credentials run only if she entered a TOTP code in this session within ``STEP_UP_WINDOW`` (signing in
counts). Otherwise she is sent to
``/account/confirm``, enters a code, and comes back; a POST is not replayed (she submits it again).

Use below the access policy, so the policy decides who may ask at all::

    @bp.get("/export.csv")
    @access.roles(Role.AUDITOR)
    @stepup.required
    def export_events(): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, url_for

from app.db import utcnow

F = TypeVar("F", bound=Callable[..., Any])
STEP_UP_ATTR = "requires_step_up"


def is_fresh() -> bool:
    record = g.get("user_session")
    at = getattr(record, "step_up_at", None)
    return at is not None and utcnow() - at <= current_app.config["STEP_UP_WINDOW"]


def required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not is_fresh():
            target = request.full_path if request.method in ("GET", "HEAD") else request.path
            return redirect(url_for("auth.confirm_identity", next=target.rstrip("?")))
        return view(*args, **kwargs)

    setattr(wrapper, STEP_UP_ATTR, True)
    return wrapper  # type: ignore[return-value]
