"""Per-user secrets (the TOTP secret), sealed by crypto/ with the user as key owner and bound to her row."""

from __future__ import annotations

import crypto
from app.db import db
from app.users.models import PendingLogin, User

_TABLE, _COLUMN = "users", "totp_secret"
# Values sealed here, for `flask keys upgrade-format` (crypto.legacy): it rewrites those left in a retired format.
crypto.legacy.register_place(User, pk="id", uid="public_id", ct="totp_secret_enc", aad_table=_TABLE, aad_column=_COLUMN)
crypto.legacy.register_place(PendingLogin, pk="id", uid="uid", ct="totp_secret_enc", aad_table="pending_logins",
                             aad_column=_COLUMN)


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
