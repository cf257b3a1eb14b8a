"""Per-user secrets (the TOTP secret), sealed by crypto/ with the user as key owner and bound to her row."""

from __future__ import annotations

import crypto
from app.db import db
from app.users.models import PendingLogin, User

_TABLE, _COLUMN = "users", "totp_secret"


def seal_totp_secret(user: User, secret: str) -> bytes:
    ctx = crypto.get_context()
    return ctx.encrypt(db.session(), ("user", user.public_id), _TABLE, _COLUMN, user.public_id, secret)


def open_totp_secret(user: User, sealed: bytes) -> str:
    value = crypto.get_context().decrypt(db.session(), _TABLE, _COLUMN, user.public_id, sealed)
    assert isinstance(value, str)
    return value


def seal_enrolment_secret(user: User, pending: PendingLogin, secret: str) -> bytes:
    """The secret offered in one enrolment attempt, bound to that attempt's row (not usable on the user's row)."""
    ctx = crypto.get_context()
    return ctx.encrypt(db.session(), ("user", user.public_id), "pending_logins", _COLUMN, pending.uid, secret)


def open_enrolment_secret(pending: PendingLogin, sealed: bytes) -> str:
    value = crypto.get_context().decrypt(db.session(), "pending_logins", _COLUMN, pending.uid, sealed)
    assert isinstance(value, str)
    return value
