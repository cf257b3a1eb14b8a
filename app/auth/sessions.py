"""Server-side sessions: the signed cookie carries only a random token; its hash and lifetimes live in the DB."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, session
from sqlalchemy.orm import joinedload

from app.db import db, utcnow
from app.users.models import User, UserSession

SESSION_KEY = "sid"
_END_LISTENERS = "session_end_listeners"
# (ended, user_id, kept): one session ended (the hash of its token), or every session of user_id but ``kept``
EndListener = Callable[[bytes | None, int | None, bytes | None], None]
# Writing last_seen_at on every request would make every page a write; a little slack is enough for 15 minutes.
TOUCH_INTERVAL = timedelta(seconds=30)


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def current_token_hash() -> bytes | None:
    """The hash of this request's session token (``user_sessions.token_hash``), to bind server-side state to the
    session (saved searches, intake drafts); None without a session."""
    token = session.get(SESSION_KEY)
    return _hash(token) if isinstance(token, str) and token else None


def register_end_listener(app: Any, listener: EndListener) -> None:
    """``listener(ended, user_id, kept)`` runs in the transaction that ends sessions, to drop what was bound to them
    (``cases.intake``'s drafts): ``ended`` is the token hash of the one session ended, or None when every session of
    ``user_id`` ends but the one whose hash is ``kept`` (None: all of them)."""
    app.extensions.setdefault(_END_LISTENERS, []).append(listener)


def _ended(ended: bytes | None, user_id: int | None = None, kept: bytes | None = None) -> None:
    for listener in current_app.extensions.get(_END_LISTENERS, ()):
        listener(ended, user_id, kept)


def start_session(user: User) -> UserSession:
    """A fresh session for ``user``: the old cookie contents are dropped (no session fixation)."""
    locale = session.get("locale")
    session.clear()
    token = secrets.token_urlsafe(32)
    record = UserSession(token_hash=_hash(token), user_id=user.id, step_up_at=utcnow())  # she just passed MFA
    db.session.add(record)
    session[SESSION_KEY] = token
    g.started_session = (record, user)  # this request's from now on (load_user_from_session), before its flush
    if locale:
        session["locale"] = locale
    return record


def mark_step_up(record: UserSession) -> None:
    """She has just proved her second factor again in this session (app/auth/stepup.py)."""
    record.step_up_at = utcnow()


def end_current_session(reason: str) -> None:
    token = session.get(SESSION_KEY)
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
        )
        _ended(_hash(token))
    session.clear()


def end_all_sessions(user: User, reason: str, *, keep_current: bool = False) -> int:
    """End every open session of ``user`` (password change, MFA reset, role change, disabling)."""
    stmt = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    token = session.get(SESSION_KEY) if keep_current else None
    if token:
        stmt = stmt.where(UserSession.token_hash != _hash(token))
    result = db.session.execute(stmt.values(ended_at=utcnow(), end_reason=reason))
    _ended(None, user.id, _hash(token) if token else None)
    return int(getattr(result, "rowcount", 0) or 0)


@functools.cache
def _live_session_statement() -> sa.Select[tuple[UserSession]]:
    """Built once per process (issue 20): constructing the joined select cost more CPU than running it."""
    return (sa.select(UserSession)
            .options(joinedload(UserSession.user).joinedload(User.centre))
            .where(UserSession.token_hash == sa.bindparam("token_hash")))


def load_user_from_session() -> User | None:
    """Flask-Login request loader: the user of a live session, or None.

    Checked on every request: the session exists and has not ended, is within the idle and absolute limits, and
    the account is still active.
    """
    started = g.get("started_session")
    if started is not None:
        # She signed in during this request and her user is looked up before the new session's row is flushed (a
        # before_flush hook naming the actor): the row cannot be found yet, and clearing the cookie would sign her
        # out again. Her new session is this request's session.
        g.user_session, user = started
        return user  # type: ignore[no-any-return]
    token = session.get(SESSION_KEY)
    if not token:
        return None
    # One query for the session, its user and her centre (the audit actor and every page need all three).
    record = db.session.scalar(_live_session_statement(), {"token_hash": _hash(token)})
    if record is None or record.ended_at is not None:
        session.clear()
        g.session_ended = True
        return None
    now = utcnow()
    reason = None
    if now - record.last_seen_at > current_app.config["SESSION_IDLE_TIMEOUT"]:
        reason = "idle"
    elif now - record.created_at > current_app.config["SESSION_ABSOLUTE_TIMEOUT"]:
        reason = "absolute"
    elif not record.user.is_active:
        reason = "disabled"
    if reason:
        record.ended_at = now
        record.end_reason = reason
        _ended(record.token_hash)
        db.session.commit()
        session.clear()
        g.session_ended = True
        return None
    if now - record.last_seen_at > TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    g.user_session = record
    return record.user
