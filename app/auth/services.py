"""Sign-in rules: check a password, remember a half-finished sign-in, finish it after MFA, change passwords."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, session

from app import audit
from app.auth import mfa, passwords, sessions
from app.db import db, utcnow
from app.users.models import User

PENDING_KEY = "pending_login"


def normalise_email(email: str) -> str:
    """The same normal form as account creation (email_validator), or a plain lower-case for anything invalid."""
    from email_validator import EmailNotValidError, validate_email

    email = email.strip()[:254]
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return email.lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise, with the same cost either way."""
    user = find_user(email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        audit.record("auth.login", outcome=audit.Outcome.FAILURE,
                     actor=audit.Actor(None, normalise_email(email) if "@" in email else None, None, None),
                     reason="bad credentials" if user is None or not ok else "account disabled")
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.record("auth.password", actor=user)
    return user


def begin_pending_login(user: User, next_url: str | None) -> None:
    session.clear()
    session[PENDING_KEY] = {"uid": str(user.public_id), "at": utcnow().timestamp(), "next": next_url}


def pending_user() -> User | None:
    """The user who has passed the password step in this browser, if it was recent enough."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None
    started = datetime.fromtimestamp(float(data.get("at", 0)), tz=utcnow().tzinfo)
    if utcnow() - started > current_app.config["LOGIN_PENDING_TIMEOUT"]:
        session.pop(PENDING_KEY, None)
        return None
    try:
        public_id = uuid.UUID(str(data.get("uid")))
    except ValueError:
        return None
    user = db.session.scalar(sa.select(User).where(User.public_id == public_id))
    if user is None or not user.is_active:
        return None
    return user


def pending_next() -> str | None:
    data = session.get(PENDING_KEY)
    return data.get("next") if isinstance(data, dict) else None


def check_second_factor(user: User, code: str) -> bool:
    """A TOTP code (single use) or an unused recovery code; audited either way."""
    if mfa.verify_totp(user, code):
        audit.record("auth.mfa", actor=user, details={"method": "totp"})
        return True
    if mfa.use_recovery_code(user, code):
        audit.record("auth.mfa", actor=user, details={"method": "recovery-code",
                                                       "remaining": mfa.remaining_recovery_codes(user)})
        return True
    audit.record("auth.mfa", outcome=audit.Outcome.FAILURE, actor=user)
    return False


def finish_login(user: User) -> None:
    sessions.start_session(user)
    if user.locale:
        session["locale"] = user.locale
    audit.record("auth.login", actor=user)


def enrol(user: User, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns the new recovery codes, or None if the code is wrong."""
    if not mfa.verify_totp(user, code):
        audit.record("auth.mfa-enrol", outcome=audit.Outcome.FAILURE, actor=user)
        return None
    user.mfa_enrolled_at = utcnow()
    codes = mfa.new_recovery_codes(user)
    audit.record("auth.mfa-enrol", actor=user)
    return codes


def change_password(user: User, current: str, new: str) -> None:
    """Raises PasswordRejected with a user-facing message; ends the user's other sessions."""
    if not passwords.verify_password(user.password_hash, current):
        audit.record("auth.password-change", outcome=audit.Outcome.FAILURE, actor=user)
        raise passwords.PasswordRejected("current")
    passwords.check_policy(new, email=user.email)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(user, "password-change")
    audit.record("auth.password-change", actor=user)
