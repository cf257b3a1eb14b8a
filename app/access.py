"""Who may reach a view: policy decorators and the one ``before_request`` that refuses undeclared endpoints.

Invariant (DESIGN.md §3.1): a request reaches a view only if that view declares a policy. Every view is wrapped by
exactly one decorator from this module; the decorator records its policy name on the view so the route→policy
table can be pinned by a test. Object access (a case, a shelter) goes through ``object_access`` with a scoped loader
from the feature's ``policies.py``: denial is a 404 and is audited; an allowed access (any method) is audited and
committed before the view runs. ``app/audit.py``'s ``after_request`` guard refuses a response while an audit event of
the request is still uncommitted (fail closed).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import NotFound

from app import audit
from app.db import db
from app.users.models import Role

F = TypeVar("F", bound=Callable[..., Any])

POLICY_ATTR = "access_policy"
# Endpoints Flask registers itself; static files are public.
BUILTIN_POLICIES = {"static": "public"}


def _declare(view: Callable[..., Any], policy: str) -> None:
    setattr(view, POLICY_ATTR, policy)


def policy_of(app: Flask, endpoint: str) -> str | None:
    if endpoint in BUILTIN_POLICIES:
        return BUILTIN_POLICIES[endpoint]
    return getattr(app.view_functions.get(endpoint), POLICY_ATTR, None)


def public(view: F) -> F:
    """Anyone, signed in or not: the sign-in pages, health check, language switch."""
    _declare(view, "public")
    return view


def _unauthenticated() -> Any:
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("auth.login", next=safe_next(request.full_path)))
    abort(401)


def safe_next(target: str | None) -> str | None:
    """A same-site relative path, or None (no open redirects, no header injection)."""
    if not target:
        return None
    # SECURITY: no control or invisible formatting characters (a CR LF would split the Location header).
    if any(ord(ch) < 32 or ord(ch) == 127 or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return None
    target = target.rstrip("?")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def deny(action: str, *, object_type: str | None = None, object_id: object | None = None,
         reason: str | None = None) -> NoReturn:
    """Record a denial (committed at once, so it survives the 404) and answer 404."""
    db.session.rollback()
    audit.record(action, outcome=audit.Outcome.DENIED, object_type=object_type, object_id=object_id, reason=reason)
    db.session.commit()
    abort(404)


def commit_read() -> None:
    """Commit a read's audit event, keeping what the request already loaded.

    The default ``expire_on_commit`` would make the view reload the user, her centre and the object it was just
    allowed to read (three more queries on every audited page). Nothing but the audit event was written, so the
    loaded state is exactly what the recorded read saw; later lazy loads run in the next transaction as before.
    """
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def signed_in(view: F) -> F:
    """Any signed-in user (who has passed MFA), whatever her role."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _unauthenticated()
        return view(*args, **kwargs)

    _declare(wrapper, "signed-in")
    return wrapper  # type: ignore[return-value]


def roles(*allowed: Role) -> Callable[[F], F]:
    """Signed-in users with one of these roles; anyone else gets an audited 404."""
    allowed_set = frozenset(allowed)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _unauthenticated()
            if current_user.role not in allowed_set:
                deny(f"view.{request.endpoint}", reason="role")
            return view(*args, **kwargs)

        _declare(wrapper, "roles:" + ",".join(sorted(r.value for r in allowed_set)))
        return wrapper  # type: ignore[return-value]

    return decorator


def object_access(
    object_type: str,
    loader: Callable[[Any, Any, str], Any],
    action: str,
    *,
    id_arg: str,
    obj_arg: str,
    allowed_roles: Iterable[Role] | None = None,
    audit_read: bool = True,
    audit_details: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[F], F]:
    """Load ``kwargs[id_arg]`` through ``loader(user, id, action)`` and pass the object as ``obj_arg``.

    The loader raises ``NotFound`` when the object does not exist *or* the user may not ``action`` it: both answer
    404 and are audited alike, so a denial does not confirm that someone else's object exists.
    ``audit_details(view kwargs)``: the details of the allowed access's event (names, never values), e.g. which
    section of the object was read.
    """
    role_set = frozenset(allowed_roles) if allowed_roles is not None else None

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _unauthenticated()
            object_id = kwargs.pop(id_arg)
            if role_set is not None and current_user.role not in role_set:
                deny(f"{object_type}.{action}", object_type=object_type, object_id=object_id, reason="role")
            try:
                obj = loader(current_user, object_id, action)
            except NotFound:
                deny(f"{object_type}.{action}", object_type=object_type, object_id=object_id)
            if audit_read:
                # SECURITY: the access decision is on record before the view runs, for every method: a POST whose
                # form is refused re-renders the object's data (422), and that read must not roll back with the
                # refused change. The change's own events ride in the view's single commit.
                audit.record(f"{object_type}.{action}", object_type=object_type,
                             object_id=getattr(obj, "public_id", object_id),
                             case_number=getattr(obj, "audit_case_number", None),
                             details=audit_details(kwargs) if audit_details is not None else None)
                commit_read()
            kwargs[obj_arg] = obj
            return view(*args, **kwargs)

        label = f"object:{object_type}:{action}"
        if role_set is not None:
            label += ":" + ",".join(sorted(r.value for r in role_set))
        _declare(wrapper, label)
        return wrapper  # type: ignore[return-value]

    return decorator


def enforce_declared_policies() -> None:
    """``before_request``: refuse any endpoint that has no declared policy (deny by default)."""
    if request.endpoint is None:
        return  # no route matched: routing answers 404/405 itself
    if policy_of(current_app, request.endpoint) is None:
        current_app.logger.error("refused endpoint without an access policy: %s", request.endpoint)
        abort(404)


def init_app(app: Flask) -> None:
    app.before_request(enforce_declared_policies)


def route_policies(app: Flask) -> dict[str, str | None]:
    """endpoint → policy for every rule in the URL map (used by the pinned-table test and `make routes`)."""
    return {rule.endpoint: policy_of(app, rule.endpoint) for rule in app.url_map.iter_rules()}


__all__ = ["commit_read", "deny", "object_access", "public", "roles", "route_policies", "safe_next", "signed_in",
           "NotFound"]
