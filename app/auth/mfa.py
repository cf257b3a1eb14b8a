"""TOTP (RFC 6238) with single-use codes, argon2id-hashed recovery codes, and QR codes for enrolment.

The TOTP secret is stored encrypted by ``crypto/`` with the user as key owner; it is decrypted only to check a
code or to show the enrolment QR code once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm.attributes import set_committed_value

from app.auth import passwords, secrets_store
from app.db import db, utcnow
from app.users.models import RecoveryCode, User

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH, SELECTOR_LENGTH = 28, 4  # 5 bits a character: 120 secret bits after the selector
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_secret() -> str:
    return pyotp.random_base32(length=32)


def set_secret(user: User, secret: str) -> None:
    user.totp_secret_enc = secrets_store.seal_totp_secret(user, secret)
    user.last_totp_step = None


def get_secret(user: User) -> str:
    if user.totp_secret_enc is None:
        raise LookupError("user has no TOTP secret")
    return secrets_store.open_totp_secret(user, user.totp_secret_enc)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str) -> Markup:
    """An inline SVG QR code (no external request, no inline script; CSP-safe)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=2, dark="#1b1b1b", light="#ffffff", title="QR")
    # segno builds the SVG from the URI's bits only; nothing user-typed is interpolated into markup.
    return Markup(svg)  # noqa: S704


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").upper()


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code ``code`` is under ``secret`` (current step ±window), or None."""
    code = _normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current_step = totp.timecode(datetime.fromtimestamp(now, UTC))
    window = current_app.config["TOTP_VALID_WINDOW"]
    for offset in range(-window, window + 1):
        step = current_step + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_totp(user: User, code: str, *, at: float | None = None) -> bool:
    """Accept a code from the current step ±window, once: the step is remembered and older steps are refused."""
    if user.totp_secret_enc is None:
        return False
    step = matching_step(get_secret(user), code, at=at)
    if step is None:
        return False
    # SECURITY: one conditional UPDATE, not read-then-write: of two requests carrying the same code (or a replay in
    # its 30 s window), only one changes the row; the other's UPDATE waits for the row lock and then matches nothing.
    return _update_once(user, sa.update(User).where(
        User.id == user.id, sa.or_(User.last_totp_step.is_(None), User.last_totp_step < step)),
        last_totp_step=step)


def confirm_enrolment(user: User, secret: str, code: str, *, at: float | None = None) -> bool:
    """Make ``secret`` the user's authenticator if ``code`` matches it and she has not enrolled meanwhile."""
    step = matching_step(secret, code, at=at)
    if step is None:
        return False
    sealed = secrets_store.seal_totp_secret(user, secret)
    # SECURITY: conditional, so two enrolment attempts racing cannot both install their secret.
    return _update_once(user, sa.update(User).where(User.id == user.id, User.mfa_enrolled_at.is_(None)),
                        totp_secret_enc=sealed, mfa_enrolled_at=utcnow(), last_totp_step=step)


def _update_once(obj: object, stmt: sa.Update, **values: object) -> bool:
    """Run a conditional UPDATE; True if it changed exactly one row, whose loaded ``obj`` then shows the values."""
    result = db.session.execute(stmt.values(**values), execution_options={"synchronize_session": False})
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return False
    for name, value in values.items():
        set_committed_value(obj, name, value)
    return True


def current_code(user: User) -> str:
    """The code valid now (demo helper and tests only)."""
    return pyotp.TOTP(get_secret(user)).now()


def _legacy_sha256(code: str) -> bytes:
    return hashlib.sha256(_normalise_code(code).encode()).digest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are returned once, only argon2id hashes are kept.

    Each code is 28 characters of a 32-letter alphabet: a 4-character selector (20 bits, distinct per user: which
    row to check, so a guess costs one argon2id verification, not ten) and 24 secret characters (120 bits).
    """
    raws: list[str] = []
    while len(raws) < RECOVERY_CODE_COUNT:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        if raw[:SELECTOR_LENGTH] not in {r[:SELECTOR_LENGTH] for r in raws}:
            raws.append(raw)
    user.recovery_codes.clear()
    user.recovery_codes.extend(
        RecoveryCode(selector=raw[:SELECTOR_LENGTH], code_hash=passwords.hash_password(raw)) for raw in raws
    )
    return ["-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)) for raw in raws]


def use_recovery_code(user: User, code: str) -> bool:
    normalised = _normalise_code(code)
    if len(normalised) == RECOVERY_CODE_LENGTH:
        selector = normalised[:SELECTOR_LENGTH]
        candidates = [rc for rc in user.recovery_codes
                      if rc.used_at is None and rc.selector == selector and rc.code_hash]
        match = next((rc for rc in candidates if passwords.verify_password(rc.code_hash, normalised)), None)
        if not candidates:
            passwords.verify_password(None, normalised)  # the same cost whether the selector exists or not
    elif len(normalised) == 16:  # issued before issue 13; never written any more
        digest = _legacy_sha256(normalised)
        match = next((rc for rc in user.recovery_codes if rc.used_at is None and rc.legacy_sha256
                      and hmac.compare_digest(rc.legacy_sha256, digest)), None)
    else:
        return False
    if match is None:
        return False
    # SECURITY: spent with one conditional UPDATE; two requests with the same code cannot both succeed.
    return _update_once(match, sa.update(RecoveryCode).where(RecoveryCode.id == match.id,
                                                             RecoveryCode.used_at.is_(None)), used_at=utcnow())


def remaining_recovery_codes(user: User) -> int:
    return sum(1 for rc in user.recovery_codes if rc.used_at is None)


def reset_mfa(user: User) -> None:
    user.totp_secret_enc = None
    user.mfa_enrolled_at = None
    user.last_totp_step = None
    user.recovery_codes.clear()
