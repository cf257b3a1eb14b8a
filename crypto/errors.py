"""Every exception the crypto package raises, in one place so the app can catch them by name.

None of these messages ever contain plaintext or key bytes: they name the place (table, column, row uid, key id)
and the reason only, because exception text ends up in logs and error pages (DESIGN.md §3.5).
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class for all errors of the crypto package."""


class KeysMissing(CryptoError):  # noqa: N818 (STYLE.md: errors are nouns)
    """No key material was configured where it is required (production without a key file or variable).

    ``token_error``: for a PKCS#11 token that could not be opened, the name of the library's error (NoSuchToken,
    PinIncorrect…), never anything of the PIN."""

    def __init__(self, message: str, *, token_error: str | None = None) -> None:
        super().__init__(message)
        self.token_error = token_error


class KeyFileError(CryptoError):
    """The key file or key variable exists but is malformed, unsafe or inconsistent."""


class NotConfigured(CryptoError):  # noqa: N818 (STYLE.md: errors are nouns)
    """``crypto.configure()`` was not called before encrypted data was used."""


class UnknownKey(CryptoError):  # noqa: N818 (STYLE.md: errors are nouns)
    """A ciphertext or wrapped key names a key that is not in the ring or the key table."""


class DecryptionError(CryptoError):
    """A ciphertext or a wrapped key failed to authenticate: tampered, moved to another place, or the wrong key.

    Raised instead of ever returning ciphertext or ``None`` for a value that cannot be read.
    """


class RetiredFormat(CryptoError):
    """A value is stored in a retired ciphertext format (v1). Not a DecryptionError: nothing was tampered with, the
    database needs ``flask keys upgrade-format``; until then such a value is never read (the app answers 503)."""


class KeyDestroyed(DecryptionError):  # noqa: N818 (STYLE.md: errors are nouns)
    """The data key of this value's owner was destroyed (crypto-shredding): the value can never be read again."""


class KekInUse(CryptoError):  # noqa: N818 (STYLE.md: errors are nouns)
    """A key-encryption key cannot be retired while data keys are still wrapped with it (or while it is active)."""


class InvalidIdentifier(CryptoError, ValueError):  # noqa: N818 (STYLE.md: errors are nouns)
    """A value given to a normaliser is not a valid identifier of its kind."""


class InvalidTCKN(InvalidIdentifier):
    """Not a valid T.C. Kimlik No (11 digits, first not 0, both check digits correct)."""


class InvalidYKN(InvalidIdentifier):
    """Not a valid Yabancı Kimlik No (11 digits starting with 99, both check digits correct)."""


class InvalidPhone(InvalidIdentifier):
    """Not a Turkish phone number that can be brought to the +90 national form."""
