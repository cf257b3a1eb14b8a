"""Centre, User, UserSession, PendingLogin, AccountActivation and RecoveryCode models."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, PublicIdMixin, UTCDateTime, utcnow


class Role(enum.StrEnum):
    COUNSELLOR = "counsellor"
    COORDINATOR = "coordinator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Centre(PublicIdMixin, Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)  # prefix of case numbers, e.g. "BYK"
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="centre")


class User(PublicIdMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, validate_strings=True,
                values_callable=lambda roles: [r.value for r in roles])
    )
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The TOTP secret is stored encrypted (crypto/, owner = this user); see app/auth/mfa.py.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    mfa_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SECURITY: the last accepted TOTP time step; a code from this step or earlier is refused (no replay).
    last_totp_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    # Wrong passwords since her last completed sign-in: they slow further attempts on this account down (never lock
    # it) and she is told how many at her next sign-in (app/auth/services.py).
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A disabled account past its retention period (cases/retention): name, e-mail and credentials are gone.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre: Mapped[Centre] = relationship(back_populates="users")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol. Sessions are resolved by app/auth/sessions.py, not by user id.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        return str(self.public_id)

    @property
    def mfa_enrolled(self) -> bool:
        return self.mfa_enrolled_at is not None and self.totp_secret_enc is not None


class UserSession(Base):
    """A signed-in session; the cookie holds a random token whose SHA-256 is stored here.

    SECURITY: sessions end server-side (ended_at set), so a copied cookie replayed afterwards is refused.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When she last proved her second factor in this session (sign-in, or a step-up before a sensitive action).
    step_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship()


class PendingLogin(Base):
    """A half-finished sign-in: the password is accepted, the second factor (or the enrolment) is not yet done.

    SECURITY: the signed cookie carries only a random token; its SHA-256, the step reached and a short expiry live
    here, so whoever holds ``SECRET_KEY`` alone cannot forge a sign-in in progress (DESIGN.md §3.9). A row is used
    once: finishing the sign-in marks it with one conditional UPDATE.
    """

    __tablename__ = "pending_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Row uid the enrolment secret's ciphertext is bound to (crypto/ associated data).
    uid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4, unique=True)
    token_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    step: Mapped[str] = mapped_column(sa.String(10))  # "code" (enrolled) or "setup" (enrols now)
    next_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The authenticator secret offered in this enrolment attempt (sealed by crypto/); fresh for every attempt.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# Roles that read case content: creating, re-enabling or resetting such an account needs a supervisor's confirmation.
CASE_READING_ROLES = frozenset({Role.COUNSELLOR, Role.COORDINATOR, Role.SUPERVISOR})


class ActivationKind(enum.StrEnum):
    CREATE = "create"  # a new account: she sets her password and enrols her authenticator
    RESET = "reset"    # credentials reset: the same, after her old password and authenticator are removed
    ENABLE = "enable"  # a disabled case-reading account re-enabled (no code: she keeps her credentials)


class AccountActivation(PublicIdMixin, Base):
    """An administrator's request to create, reset or re-enable an account, and its one-time activation code.

    SECURITY (DESIGN.md §3.9): an administrator never knows a working credential of another person. The code lets
    its holder set her own password and enrol her own authenticator; only its SHA-256 is stored, it works once and
    lapses. For case-reading roles nothing takes effect until a supervisor of the account's centre confirms (the code
    is then shown to her, not to the administrator): two people, not one, decide who reads cases.
    """

    __tablename__ = "account_activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[ActivationKind] = mapped_column(
        sa.Enum(ActivationKind, native_enum=False, length=10, validate_strings=True,
                values_callable=lambda kinds: [k.value for k in kinds])
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # refused, or replaced by a newer request
    token_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When she was told, at a sign-in, that her credentials were reset (by whom, when).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    @property
    def is_open(self) -> bool:
        """Waiting for a confirmation (or for its code to be used)."""
        return self.closed_at is None and self.used_at is None and (
            self.confirmed_at is None if self.needs_confirmation else True)


class RecoveryCode(Base):
    """Single-use MFA recovery codes: a 4-character selector (which row to check) and 120 secret bits, stored only
    as an argon2id hash of the whole code, like a password (app/auth/mfa.py).

    ``legacy_sha256``: codes issued before issue 13 (80 bits, unsalted SHA-256) keep working once until she gets
    new codes; no new one is ever written.
    """

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    selector: Mapped[str | None] = mapped_column(sa.String(8))
    code_hash: Mapped[str | None] = mapped_column(sa.String(200))
    legacy_sha256: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="recovery_codes")
