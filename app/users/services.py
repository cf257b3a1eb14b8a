"""Account administration: create, disable, enable, change role/centre, reset MFA. Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from app import audit
from app.auth import mfa, passwords, sessions
from app.db import db, utcnow
from app.users.models import Centre, Role, User, UserSession


class UserError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserError(_("Enter a valid email address.")) from None


def create_user(*, email: str, name: str, role: Role, centre: Centre, password: str,
                actor: object) -> tuple[User, str]:
    """Create an account with a fresh TOTP secret (confirmed at first sign-in). Returns the user and secret."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(_("An account with this email exists already."))
    passwords.check_policy(password, email=email)
    user = User(email=email, name=name.strip()[:200] or email, role=role, centre_id=centre.id,
                password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.flush()
    secret = mfa.new_secret()
    mfa.set_secret(user, secret)
    audit.record("users.create", actor=actor, object_type="users", object_id=user.public_id,
                 details={"role": role.value, "centre": centre.code})
    return user, secret


def set_password(user: User, password: str, *, actor: object) -> None:
    passwords.check_policy(password, email=user.email)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(user, "password-reset")
    audit.record("users.password-reset", actor=actor, object_type="users", object_id=user.public_id)


def disable_user(user: User, *, actor: object) -> None:
    user.is_active = False
    user.disabled_at = utcnow()
    sessions.end_all_sessions(user, "disabled")
    audit.record("users.disable", actor=actor, object_type="users", object_id=user.public_id)


def enable_user(user: User, *, actor: object) -> None:
    user.is_active = True
    user.disabled_at = None
    audit.record("users.enable", actor=actor, object_type="users", object_id=user.public_id)


def change_role_and_centre(user: User, *, role: Role, centre: Centre, actor: object) -> bool:
    if user.role == role and user.centre_id == centre.id:
        return False
    details = {"role": [str(user.role), role.value], "centre": [user.centre.code, centre.code]}
    user.role = role
    user.centre_id = centre.id
    # SECURITY: what she may see has changed, so her open sessions end.
    sessions.end_all_sessions(user, "role-change")
    audit.record("users.change-role", actor=actor, object_type="users", object_id=user.public_id, details=details)
    return True


def reset_mfa(user: User, *, actor: object) -> None:
    mfa.reset_mfa(user)
    sessions.end_all_sessions(user, "mfa-reset")
    audit.record("users.mfa-reset", actor=actor, object_type="users", object_id=user.public_id)


# --- queries for the admin pages ------------------------------------------------------------------------------


def list_centres() -> list[Centre]:
    return list(db.session.scalars(sa.select(Centre).order_by(Centre.code)))


def find_centre(code: str | None) -> Centre | None:
    if not code:
        return None
    return db.session.scalar(sa.select(Centre).where(Centre.code == code.strip().upper()))


def find_user(public_id: object) -> User | None:
    return db.session.scalar(sa.select(User).where(User.public_id == public_id))


def search_users(*, centre: Centre | None = None, role: Role | None = None, active: bool | None = None,
                 email_prefix: str | None = None, limit: int = 200) -> tuple[list[User], bool]:
    """Accounts matching every given filter, by centre then name; also whether more than ``limit`` matched."""
    query = sa.select(User).join(User.centre).options(contains_eager(User.centre))
    if centre is not None:
        query = query.where(User.centre_id == centre.id)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if email_prefix:
        # Emails are stored lower-cased; ``_`` and ``%`` in the prefix are literal characters, not wildcards.
        query = query.where(User.email.startswith(email_prefix.strip().lower(), autoescape=True))
    rows = list(db.session.scalars(query.order_by(Centre.code, User.name, User.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def session_summary(user: User) -> tuple[int, datetime | None]:
    """How many sessions of ``user`` are open, and when she last signed in (None: never)."""
    open_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ) or 0
    last = db.session.scalar(sa.select(sa.func.max(UserSession.created_at)).where(UserSession.user_id == user.id))
    return open_count, last
