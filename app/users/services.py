"""Account administration: create, disable, enable, change role/centre, reset credentials, and the one-time
activation codes and supervisor confirmations behind them (DESIGN.md §3.9). Never commits.

An administrator never chooses or learns a working credential of another account: a new account and a reset give a
one-time activation code with which the person sets her own password and enrols her own authenticator. For the
case-reading roles, creating, re-enabling or resetting an account takes effect only when a supervisor of its centre
confirms; the code is then shown to that supervisor, who hands it over in person.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from app import audit
from app.auth import mfa, passwords, sessions
from app.db import db, utcnow
from app.users.models import (
    CASE_READING_ROLES,
    AccountActivation,
    ActivationKind,
    Centre,
    Role,
    User,
    UserSession,
)

ACTIVATION_LIFETIME = timedelta(hours=72)
# No argon2 hash verifies against this: an account waiting for its activation has no working password.
NO_PASSWORD = "!activation-pending"  # noqa: S105


class UserError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserError(_("Enter a valid email address.")) from None


class ActivationInvalid(ValueError):
    """The activation code is unknown, used, lapsed, not confirmed yet, or not this account's."""


def context_words(user: User) -> tuple[str, ...]:
    """Words of her deployment a password must not be built on: her centre's name and code, her name."""
    return (user.centre.name, user.centre.code, user.name)


def needs_confirmation(role: Role) -> bool:
    return role in CASE_READING_ROLES


def activation_hash(code: str) -> bytes:
    normalised = "".join(ch for ch in code if ch.isalnum()).upper()
    return hashlib.sha256(normalised.encode()).digest()


def _issue_code(activation: AccountActivation) -> str:
    """A fresh one-time code (120 random bits) for ``activation``; only its SHA-256 is kept."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode()
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    activation.token_hash = activation_hash(code)
    activation.expires_at = utcnow() + ACTIVATION_LIFETIME
    return code


def _spend(stmt: sa.Update) -> bool:
    """Run a conditional UPDATE; True if it changed exactly one row (the race's one winner)."""
    result = db.session.execute(stmt, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _close_open_requests(user: User) -> None:
    """A newer request replaces older ones, so at most one code of an account works at a time."""
    _spend(sa.update(AccountActivation)
           .where(AccountActivation.user_id == user.id, AccountActivation.closed_at.is_(None),
                  AccountActivation.used_at.is_(None))
           .values(closed_at=utcnow()))


def _new_request(user: User, kind: ActivationKind, actor: object) -> AccountActivation:
    _close_open_requests(user)
    activation = AccountActivation(user_id=user.id, kind=kind, requested_by_id=getattr(actor, "id", None),
                                   needs_confirmation=needs_confirmation(user.role))
    db.session.add(activation)
    db.session.flush()
    return activation


def _remove_credentials(user: User, reason: str) -> None:
    user.password_hash = NO_PASSWORD
    user.password_changed_at = utcnow()
    mfa.reset_mfa(user)
    sessions.end_all_sessions(user, reason)


def create_user(*, email: str, name: str, role: Role, centre: Centre,
                actor: object) -> tuple[User, AccountActivation, str | None]:
    """Create an account without credentials. Returns it, its activation request, and the one-time code when no
    confirmation is needed (None: a supervisor of the centre confirms first and receives the code)."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(_("An account with this email exists already."))
    user = User(email=email, name=name.strip()[:200] or email, role=role, centre_id=centre.id,
                password_hash=NO_PASSWORD)
    db.session.add(user)
    db.session.flush()
    activation = _new_request(user, ActivationKind.CREATE, actor)
    code = None if activation.needs_confirmation else _issue_code(activation)
    audit.record("users.create", actor=actor, object_type="users", object_id=user.public_id,
                 details={"role": role.value, "centre": centre.code,
                          "confirmation": "supervisor" if activation.needs_confirmation else "none"})
    return user, activation, code


def create_operator_account(*, email: str, name: str, role: Role, centre: Centre, password: str,
                            actor: object) -> tuple[User, str]:
    """The server operator's bootstrap (`flask users create`, DESIGN.md §5): she holds the keys and is trusted, so
    she sets the first password and receives the authenticator secret, confirmed at the first sign-in."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(_("An account with this email exists already."))
    passwords.check_policy(password, email=email, context=(centre.name, centre.code))
    user = User(email=email, name=name.strip()[:200] or email, role=role, centre_id=centre.id,
                password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.flush()
    secret = mfa.new_secret()
    mfa.set_secret(user, secret)
    audit.record("users.create", actor=actor, object_type="users", object_id=user.public_id,
                 details={"role": role.value, "centre": centre.code, "confirmation": "operator"})
    return user, secret


def request_credentials_reset(user: User, *, actor: object) -> tuple[AccountActivation, str | None]:
    """Reset her password and authenticator. For a case-reading account nothing changes until a supervisor
    confirms (then her credentials are removed and the supervisor receives the code); otherwise at once."""
    if is_anonymised(user):
        raise UserError(_("This account was anonymised at the end of its retention period; it cannot be enabled."))
    activation = _new_request(user, ActivationKind.RESET, actor)
    code = None
    if not activation.needs_confirmation:
        _remove_credentials(user, "credentials-reset")
        code = _issue_code(activation)
    audit.record("users.credentials-reset-request", actor=actor, object_type="users", object_id=user.public_id,
                 details={"confirmation": "supervisor" if activation.needs_confirmation else "none"})
    return activation, code


def request_enable(user: User, *, actor: object) -> AccountActivation | None:
    """Re-enable an account; a case-reading one waits for a supervisor (returns the request), others at once."""
    if is_anonymised(user):
        raise UserError(_("This account was anonymised at the end of its retention period; it cannot be enabled."))
    if not needs_confirmation(user.role):
        enable_user(user, actor=actor)
        return None
    activation = _new_request(user, ActivationKind.ENABLE, actor)
    audit.record("users.enable-request", actor=actor, object_type="users", object_id=user.public_id)
    return activation


def may_confirm(activation: AccountActivation, supervisor: User) -> bool:
    """A supervisor of the account's centre, not the account itself nor whoever asked, confirms an open request."""
    return bool(supervisor.role == Role.SUPERVISOR and supervisor.is_active
                and activation.user.centre_id == supervisor.centre_id
                and supervisor.id not in (activation.user_id, activation.requested_by_id)
                and activation.needs_confirmation and activation.is_open)


def confirm_request(activation: AccountActivation, *, actor: object, reason: str | None = None) -> str | None:
    """Confirm: the request takes effect. Returns the one-time code to hand over (None for a re-enabling)."""
    now = utcnow()
    # SECURITY: one conditional UPDATE, so a request is confirmed (and its code issued) once, even by two at once.
    if not _spend(sa.update(AccountActivation)
                  .where(AccountActivation.id == activation.id, AccountActivation.confirmed_at.is_(None),
                         AccountActivation.closed_at.is_(None))
                  .values(confirmed_at=now, confirmed_by_id=getattr(actor, "id", None))):
        raise ActivationInvalid("already confirmed or closed")
    db.session.refresh(activation)
    user = activation.user
    code = None
    if activation.kind == ActivationKind.ENABLE:
        user.is_active = True
        user.disabled_at = None
        activation.used_at = now
    else:
        if activation.kind == ActivationKind.RESET:
            _remove_credentials(user, "credentials-reset")
        code = _issue_code(activation)
    audit.record("users.account-confirm", actor=actor, object_type="users", object_id=user.public_id,
                 reason=reason, details={"kind": activation.kind.value, "role": user.role.value})
    return code


def refuse_request(activation: AccountActivation, *, actor: object) -> None:
    activation.closed_at = utcnow()
    audit.record("users.account-refuse", actor=actor, object_type="users", object_id=activation.user.public_id,
                 details={"kind": activation.kind.value})


def requests_to_confirm(supervisor: User) -> list[AccountActivation]:
    """Open requests a supervisor may confirm: accounts of her centre, not her own, oldest first."""
    rows = db.session.scalars(
        sa.select(AccountActivation).join(AccountActivation.user)
        .where(User.centre_id == supervisor.centre_id, AccountActivation.user_id != supervisor.id,
               AccountActivation.needs_confirmation.is_(True), AccountActivation.confirmed_at.is_(None),
               AccountActivation.closed_at.is_(None))
        .order_by(AccountActivation.requested_at, AccountActivation.id)
    )
    return [a for a in rows if may_confirm(a, supervisor)]


def accounts_with_failed_sign_ins(supervisor: User) -> list[User]:
    """Active accounts of her centre (not her own) with wrong passwords since their last sign-in, most first."""
    return list(db.session.scalars(
        sa.select(User)
        .where(User.centre_id == supervisor.centre_id, User.id != supervisor.id, User.is_active.is_(True),
               User.failed_sign_ins > 0)
        .order_by(User.failed_sign_ins.desc(), User.id)
    ))


def may_unlock(user: User | None, supervisor: User) -> bool:
    """A supervisor clears the sign-in wait of an active colleague of her own centre only."""
    return (user is not None and user.is_active and user.id != supervisor.id
            and user.centre_id == supervisor.centre_id)


def find_request(public_id: object) -> AccountActivation | None:
    return db.session.scalar(sa.select(AccountActivation).where(AccountActivation.public_id == public_id))


def open_request_of(user: User) -> AccountActivation | None:
    return db.session.scalar(
        sa.select(AccountActivation)
        .where(AccountActivation.user_id == user.id, AccountActivation.closed_at.is_(None),
               AccountActivation.used_at.is_(None))
        .order_by(AccountActivation.id.desc()).limit(1)
    )


def has_other_supervisor(activation: AccountActivation) -> bool:
    """Whether a supervisor of the account's centre (other than the account) could confirm (CLI bootstrap check)."""
    return bool(db.session.scalar(
        sa.select(sa.func.count()).select_from(User)
        .where(User.centre_id == activation.user.centre_id, User.role == Role.SUPERVISOR, User.is_active.is_(True),
               User.mfa_enrolled_at.is_not(None), User.id != activation.user_id)
    ))


def activate(email: str, code: str, password: str) -> User:
    """Set her own password with a one-time code. Raises ActivationInvalid or PasswordRejected; the code is spent
    only when the password is accepted. She then enrols her own authenticator at sign-in."""
    now = utcnow()
    activation = db.session.scalar(
        sa.select(AccountActivation).where(AccountActivation.token_hash == activation_hash(code))
    ) if code.strip() else None
    try:
        email = normalise_email(email)
    except UserError:
        email = ""
    if (activation is None or activation.used_at is not None or activation.closed_at is not None
            or activation.expires_at is None or activation.expires_at <= now
            or (activation.needs_confirmation and activation.confirmed_at is None)
            or activation.user.email != email or not activation.user.is_active):
        audit.record("users.activate", outcome=audit.Outcome.FAILURE,
                     actor=audit.Actor(None, email or None, None, None))
        raise ActivationInvalid("invalid")
    user = activation.user
    passwords.check_policy(password, email=user.email, context=context_words(user))
    if not _spend(sa.update(AccountActivation)
                  .where(AccountActivation.id == activation.id, AccountActivation.used_at.is_(None))
                  .values(used_at=now)):
        raise ActivationInvalid("used")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    mfa.reset_mfa(user)  # SECURITY: she enrols her own authenticator; nothing set up before her survives
    sessions.end_all_sessions(user, "activation")
    audit.record("users.activate", actor=user, object_type="users", object_id=user.public_id,
                 details={"kind": activation.kind.value})
    return user


def reset_notice(user: User) -> AccountActivation | None:
    """The latest reset of her credentials she has not been told about yet (told once, at a sign-in)."""
    activation = db.session.scalar(
        sa.select(AccountActivation)
        .where(AccountActivation.user_id == user.id, AccountActivation.kind == ActivationKind.RESET,
               AccountActivation.used_at.is_not(None), AccountActivation.notified_at.is_(None))
        .order_by(AccountActivation.used_at.desc()).limit(1)
    )
    if activation is not None:
        _spend(sa.update(AccountActivation)
               .where(AccountActivation.user_id == user.id, AccountActivation.notified_at.is_(None),
                      AccountActivation.used_at.is_not(None))
               .values(notified_at=utcnow()))
    return activation


def clear_failed_sign_ins(user: User, *, actor: object) -> None:
    """End the account's sign-in delay (she called: she cannot wait for someone guessing her password to stop)."""
    audit.record("users.sign-in-unlock", actor=actor, object_type="users", object_id=user.public_id,
                 details={"failed": user.failed_sign_ins})
    user.failed_sign_ins = 0
    user.last_failed_sign_in_at = None


def disable_user(user: User, *, actor: object) -> None:
    user.is_active = False
    user.disabled_at = utcnow()
    sessions.end_all_sessions(user, "disabled")
    audit.record("users.disable", actor=actor, object_type="users", object_id=user.public_id)


# What an anonymised account is called from then on (its e-mail must stay unique: the public id is).
ANONYMISED_DOMAIN = "anonymised.invalid"


def is_anonymised(user: User) -> bool:
    return user.anonymised_at is not None


def anonymise_user(user: User, *, actor: object, days: int) -> None:
    """A disabled account past its retention period: nothing about the person stays (flushes, never commits).

    The row stays, so whatever refers to it (a note's author, a case's counsellor, a rule's editor) keeps working
    and shows a neutral name; the audit rows keep the e-mail they were written with (they are append-only and
    expire with the audit log). Her name and e-mail are replaced, every credential goes (password, authenticator
    secret with its data key, recovery codes, open activation codes, pending sign-ins) and she can never be enabled
    again."""
    if user.is_active or is_anonymised(user):
        raise UserError("only a disabled account that is not anonymised yet can be anonymised")
    from app.users.models import PendingLogin

    _close_open_requests(user)
    _remove_credentials(user, "anonymised")
    db.session.execute(sa.delete(PendingLogin).where(PendingLogin.user_id == user.id))
    import crypto

    crypto.shred(db.session(), "user", user.public_id, models=[],
                 reason=f"retention: disabled more than {days} days")
    user.email = f"{user.public_id}@{ANONYMISED_DOMAIN}"
    user.name = "—"
    user.locale = None
    user.failed_sign_ins = 0
    user.last_failed_sign_in_at = None
    user.anonymised_at = utcnow()
    audit.record("users.anonymise", actor=actor, object_type="users", object_id=user.public_id,
                 details={"days": days})
    db.session.flush()


def enable_user(user: User, *, actor: object) -> None:
    if is_anonymised(user):
        raise UserError(_("This account was anonymised at the end of its retention period; it cannot be enabled."))
    user.is_active = True
    user.disabled_at = None
    audit.record("users.enable", actor=actor, object_type="users", object_id=user.public_id)


def change_role_and_centre(user: User, *, role: Role, centre: Centre, actor: object) -> bool:
    if user.role == role and user.centre_id == centre.id:
        return False
    if needs_confirmation(role) and not needs_confirmation(user.role):
        # SECURITY: an administrator may hold the credentials of an auditor or admin account she just activated;
        # turning it into a case reader would bypass the supervisor's confirmation. A new account is needed.
        raise UserError(_("An auditor or administrator account cannot become a case-reading one. "
                          "Create a new account for her; a supervisor of the centre confirms it."))
    details = {"role": [str(user.role), role.value], "centre": [user.centre.code, centre.code]}
    user.role = role
    user.centre_id = centre.id
    # SECURITY: what she may see has changed, so her open sessions end.
    sessions.end_all_sessions(user, "role-change")
    audit.record("users.change-role", actor=actor, object_type="users", object_id=user.public_id, details=details)
    return True


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
