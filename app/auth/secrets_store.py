"""Sealing of per-user secrets (the TOTP secret) with crypto/, the user being the key owner."""

from __future__ import annotations

from app.users.models import User

# Replaced by crypto/ field encryption as soon as the package lands (see the test
# tests/security/test_encryption_at_rest.py::test_totp_secret_not_stored_in_plaintext).


def seal_totp_secret(user: User, secret: str) -> bytes:
    return secret.encode()


def open_totp_secret(user: User, sealed: bytes) -> str:
    return sealed.decode()
