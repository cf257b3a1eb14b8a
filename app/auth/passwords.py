"""Password hashing (argon2id) and the password policy: 12–128 characters, no composition rules, not common.

The common-password list (``common-passwords.txt``) holds the 30,000 most frequent passwords of the zxcvbn project's
frequency lists (MIT licence) and common Turkish ones, shipped in the repository so the check works offline.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.numbers import lazy_number

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON_FILE = Path(__file__).with_name("common-passwords.txt")


class PasswordRejected(ValueError):
    """The password does not meet the policy; the message is safe to show to the user."""


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    with _COMMON_FILE.open(encoding="utf-8") as fh:
        return frozenset(line.strip().casefold() for line in fh if line.strip() and not line.startswith("#"))


def _hasher() -> PasswordHasher:
    params = current_app.config.get("ARGON2_PARAMS") or {}
    return PasswordHasher(**params)


def normalise(password: str) -> str:
    # NFC so the same Turkish letters typed on different keyboards hash alike.
    return unicodedata.normalize("NFC", password)


# The app's own name: a password built on it is among the first an attacker tries here (NIST SP 800-63B 3.1.1.2).
APP_WORDS = ("dayanışma", "dayanisma")


_ASCII_TR = str.maketrans("ıçğöşü", "icgosu")


def _fold(text: str) -> str:
    """Turkish-aware lower case, then the Turkish letters as their ASCII look-alikes (ş → s), as people type them."""
    return unicodedata.normalize("NFC", text).replace("İ", "i").replace("I", "ı").casefold().translate(_ASCII_TR)


def _left_beyond(password: str, context: tuple[str, ...]) -> int:
    """How many characters (not spaces) are left in ``password`` once every context word (3+ letters) is taken out."""
    words = {w for phrase in context for w in [_fold(phrase), *_fold(phrase).replace(".", " ").split()] if len(w) >= 3}
    rest = _fold(password)
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return sum(1 for ch in rest if not ch.isspace())


def check_policy(password: str, *, email: str | None = None, context: tuple[str, ...] = ()) -> None:
    """Raise PasswordRejected unless ``password`` meets the policy. ``context``: names of this deployment (the
    centre's name and code) that, like the app's name and her email, must not make up most of a password."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(str(_l("Use at least %(n)s characters.", n=lazy_number(MIN_LENGTH))))
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(str(_l("Use at most %(n)s characters.", n=lazy_number(MAX_LENGTH))))
    folded = password.casefold()
    if folded in _common_passwords() or (email and folded == email.casefold()):
        raise PasswordRejected(str(_l("This password is too common. Choose a longer or less predictable one.")))
    if len(set(folded)) < 4:
        raise PasswordRejected(str(_l("This password is too predictable. Choose a less repetitive one.")))
    if _left_beyond(password, (*APP_WORDS, *context, email.split("@")[0] if email else "")) < 8:
        raise PasswordRejected(str(_l("This password is mostly the name of the app, the centre or your email. "
                                      "Choose one that has nothing to do with them.")))


def hash_password(password: str) -> str:
    return _hasher().hash(normalise(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None or not password_hash.startswith("$argon2"):
        # (Not a hash: an account waiting for its activation has no password that works.)
        # SECURITY: spend the same time for unknown users, so timing does not reveal who has an account.
        hasher.hash(normalise(password))
        return False
    try:
        return hasher.verify(password_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
