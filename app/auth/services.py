"""Sign-in rules: check a password, remember a half-finished sign-in, finish it after MFA, change passwords."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, session
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app import audit
from app.auth import mfa, passwords, secrets_store, sessions
from app.db import db, utcnow
from app.users import services as accounts
from app.users.models import PendingLogin, User

# The cookie key of the sign-in in progress: a random token whose hash is a PendingLogin row (never the user id).
PENDING_KEY = "pending_login"
STEP_CODE, STEP_SETUP = "code", "setup"


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


class SignInDelayed(Exception):
    """Too many wrong passwords on this account lately: the next one is checked after ``wait`` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__("sign-in delayed")
        self.wait = wait


def sign_in_wait(user: User) -> int:
    """Seconds until this account accepts the next password attempt (0: now)."""
    free = current_app.config["SIGN_IN_FREE_FAILURES"]
    if user.failed_sign_ins < free or user.last_failed_sign_in_at is None:
        return 0
    cap = current_app.config["SIGN_IN_DELAY_CAP"].total_seconds()
    delay = min(2.0 ** min(user.failed_sign_ins - free, 30), cap)
    remaining = (user.last_failed_sign_in_at - utcnow()).total_seconds() + delay
    return max(0, math.ceil(remaining))


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise, with the same cost either way.

    Raises SignInDelayed, without checking the password, while the account's progressive delay runs.
    """
    user = find_user(email)
    who = audit.Actor(None, normalise_email(email) if "@" in email else None, None, None)
    if user is not None and (wait := sign_in_wait(user)):
        passwords.verify_password(None, password)  # the same cost as a checked password
        audit.record("auth.rate-limited", outcome=audit.Outcome.DENIED, actor=who,
                     details={"endpoint": "auth.login", "scope": "account-delay"})
        raise SignInDelayed(wait)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    # SECURITY: demo accounts (published passwords) never sign in where demo data is not allowed (production).
    demo_refused = user is not None and user.is_demo and not current_app.config["DEMO_ALLOWED"]
    if not ok or user is None or not user.is_active or demo_refused:
        if user is not None and not ok:
            # SECURITY: counted in the database with one UPDATE, so parallel guesses all count.
            db.session.execute(
                sa.update(User).where(User.id == user.id)
                .values(failed_sign_ins=User.failed_sign_ins + 1, last_failed_sign_in_at=utcnow()),
                execution_options={"synchronize_session": False},
            )
        audit.record("auth.login", outcome=audit.Outcome.FAILURE, actor=who,
                     reason="bad credentials" if user is None or not ok
                     else "demo account" if demo_refused else "account disabled")
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    audit.record("auth.password", actor=user)
    return user


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def begin_pending_login(user: User, next_url: str | None) -> PendingLogin:
    """Remember, server-side, that ``user`` has passed the password step in this browser.

    The cookie gets only a random token; the row holds its hash, the step reached (``code`` or ``setup``), where to
    go afterwards and a short expiry. An enrolment attempt gets a fresh authenticator secret of its own.
    """
    now = utcnow()
    # Lapsed attempts are of no use to anyone; clear them as we go (a day's grace keeps this cheap and rare).
    db.session.execute(sa.delete(PendingLogin).where(PendingLogin.expires_at < now - timedelta(days=1)))
    locale = session.get("locale")
    session.clear()
    token = secrets.token_urlsafe(32)
    pending = PendingLogin(token_hash=_token_hash(token), user_id=user.id,
                           step=STEP_CODE if user.mfa_enrolled else STEP_SETUP, next_url=next_url,
                           created_at=now, expires_at=now + current_app.config["LOGIN_PENDING_TIMEOUT"])
    db.session.add(pending)
    db.session.flush()
    if pending.step == STEP_SETUP:
        # A secret the server operator provisioned with `users create` (and handed over herself) is confirmed as it
        # is (DESIGN.md §5); otherwise every attempt gets a fresh one, shown only to whoever passed this password step.
        secret = mfa.get_secret(user) if user.totp_secret_enc is not None else mfa.new_secret()
        pending.totp_secret_enc = secrets_store.seal_enrolment_secret(user, pending, secret)
    session[PENDING_KEY] = token
    if locale:
        session["locale"] = locale
    g.pending_login = pending
    return pending


def pending_login(step: str | None = None) -> PendingLogin | None:
    """This browser's sign-in in progress: unused, not expired, of an active account (and at ``step`` if given)."""
    if "pending_login" not in g:
        token = session.get(PENDING_KEY)
        found = None
        if isinstance(token, str) and 0 < len(token) <= 100:
            found = db.session.scalar(
                sa.select(PendingLogin).options(joinedload(PendingLogin.user))
                .where(PendingLogin.token_hash == _token_hash(token), PendingLogin.used_at.is_(None),
                       PendingLogin.expires_at > utcnow())
            )
        if found is not None and not found.user.is_active:
            found = None
        g.pending_login = found
    pending: PendingLogin | None = g.pending_login
    if pending is None or (step is not None and pending.step != step):
        return None
    return pending


def pending_user() -> User | None:
    """The user who has passed the password step in this browser, if it was recent enough."""
    pending = pending_login()
    return pending.user if pending else None


def enrolment_secret(pending: PendingLogin) -> str:
    if pending.totp_secret_enc is None:
        raise LookupError("this sign-in is not an enrolment")
    return secrets_store.open_enrolment_secret(pending, pending.totp_secret_enc)


def consume_pending(pending: PendingLogin) -> bool:
    """Mark the sign-in in progress used, once (a conditional UPDATE: two requests cannot both finish it)."""
    result = db.session.execute(
        sa.update(PendingLogin)
        .where(PendingLogin.id == pending.id, PendingLogin.used_at.is_(None), PendingLogin.expires_at > utcnow())
        .values(used_at=utcnow(), totp_secret_enc=None),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


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


@dataclass(frozen=True)
class SignInNotice:
    """What she is told as she signs in: a reset of her credentials (when, asked by whom, confirmed by whom) and the
    wrong passwords tried on her account since her last sign-in."""

    reset_at: datetime | None = None
    reset_by: str | None = None
    confirmed_by: str | None = None
    failed_attempts: int = 0


def finish_login(user: User) -> SignInNotice:
    sessions.start_session(user)
    if user.locale:
        session["locale"] = user.locale
    audit.record("auth.login", actor=user)
    failed = user.failed_sign_ins
    if failed:
        user.failed_sign_ins = 0
        user.last_failed_sign_in_at = None
    reset = accounts.reset_notice(user)
    if reset is None:
        return SignInNotice(failed_attempts=failed)
    return SignInNotice(reset_at=reset.confirmed_at or reset.requested_at,
                        reset_by=reset.requested_by.name if reset.requested_by else None,
                        confirmed_by=reset.confirmed_by.name if reset.confirmed_by else None,
                        failed_attempts=failed)


def enrol(pending: PendingLogin, code: str) -> list[str] | None:
    """Confirm enrolment with a first code from this attempt's secret; returns the new recovery codes, or None."""
    user = pending.user
    if not mfa.confirm_enrolment(user, enrolment_secret(pending), code):
        audit.record("auth.mfa-enrol", outcome=audit.Outcome.FAILURE, actor=user)
        return None
    codes = mfa.new_recovery_codes(user)
    audit.record("auth.mfa-enrol", actor=user)
    return codes


def change_password(user: User, current: str, new: str) -> None:
    """Raises PasswordRejected with a user-facing message; ends the user's other sessions."""
    if not passwords.verify_password(user.password_hash, current):
        audit.record("auth.password-change", outcome=audit.Outcome.FAILURE, actor=user)
        raise passwords.PasswordRejected("current")
    if passwords.verify_password(user.password_hash, new):
        raise passwords.PasswordRejected(_("Choose a new password, not the one you have now."))
    passwords.check_policy(new, email=user.email, context=accounts.context_words(user))
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    sessions.end_all_sessions(user, "password-change")
    audit.record("auth.password-change", actor=user)
