"""Normalisers for blind indexes: one function per kind of value, used identically on write and on query.

A normaliser maps every way of typing the same value to one string (or raises for a value that is not valid of its
kind, so garbage is never indexed). Exact comparison of the decrypted values happens after the index lookup, so a
normaliser may be loose (names) but must never be stricter on query than on write.

Turkish casing is done by hand: Python's ``str.lower()`` turns "İ" into "i" + U+0307 and "I" into "i" (Turkish: ı).
"""

from __future__ import annotations

import unicodedata
from typing import Final

from crypto.errors import InvalidPhone, InvalidTCKN, InvalidYKN

# Turkish letters (and circumflex vowels) folded to ASCII for loose name matching.
_FOLD: Final = str.maketrans({"ı": "i", "ç": "c", "ğ": "g", "ö": "o", "ş": "s", "ü": "u",
                              "â": "a", "î": "i", "û": "u"})
_HYPHENS: Final = frozenset("-‐‑‒–—―_/")


def turkish_lower(text: str) -> str:
    """Lower-case with Turkish rules: İ → i, I → ı, then the usual Unicode lowering for everything else."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def _digits(text: str) -> str:
    # NFKC first: full-width and other compatibility digits become ASCII digits.
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit() and ch.isascii())


def _check_digits_ok(d: list[int]) -> bool:
    d10 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    d11 = sum(d[:10]) % 10
    return d[9] == d10 and d[10] == d11


def normalise_tckn(text: str) -> str:
    """T.C. Kimlik No → its 11 digits. Spaces, dashes and full-width digits are accepted; invalid → InvalidTCKN."""
    if not isinstance(text, str):
        raise InvalidTCKN("a T.C. Kimlik No must be given as text")
    stripped = unicodedata.normalize("NFKC", text).replace(" ", "").replace("-", "").replace(".", "")
    digits = _digits(stripped)
    if len(digits) != 11 or digits != stripped:
        raise InvalidTCKN("a T.C. Kimlik No has exactly 11 digits")
    d = [int(c) for c in digits]
    if d[0] == 0:
        raise InvalidTCKN("a T.C. Kimlik No cannot start with 0")
    if not _check_digits_ok(d):
        raise InvalidTCKN("the T.C. Kimlik No check digits are wrong")
    return digits


def normalise_ykn(text: str) -> str:
    """Yabancı Kimlik No (foreigners' number: 11 digits, starts with 99, same check digits as the TCKN)."""
    if not isinstance(text, str):
        raise InvalidYKN("a Yabancı Kimlik No must be given as text")
    stripped = unicodedata.normalize("NFKC", text).replace(" ", "").replace("-", "").replace(".", "")
    digits = _digits(stripped)
    if len(digits) != 11 or digits != stripped or not digits.startswith("99"):
        raise InvalidYKN("a Yabancı Kimlik No has 11 digits and starts with 99")
    if not _check_digits_ok([int(c) for c in digits]):
        raise InvalidYKN("the Yabancı Kimlik No check digits are wrong")
    return digits


def normalise_document_number(text: str) -> str:
    """Passport or other document number: ASCII letters upper-cased (Turkish-aware), digits; separators dropped."""
    folded = turkish_lower(unicodedata.normalize("NFKC", text)).translate(_FOLD)
    folded = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    out = "".join(ch for ch in folded if ch.isalnum())
    if not out:
        raise ValueError("a document number needs at least one letter or digit")
    return out.upper()


def normalise_phone(text: str) -> str:
    """Turkish phone number → "+90" + 10 national digits. "0532 123 45 67", "+90 (532) 123-4567", "5321234567",
    "905321234567" and "0090 532 …" are all "+905321234567". Anything else → InvalidPhone."""
    if not isinstance(text, str):
        raise InvalidPhone("a phone number must be given as text")
    nfkc = unicodedata.normalize("NFKC", text).strip()
    allowed = set("0123456789 +-().")
    if not nfkc or any(ch not in allowed for ch in nfkc) or "+" in nfkc[1:]:
        raise InvalidPhone("a phone number may contain only digits, spaces, + - ( ) and .")
    digits = _digits(nfkc)
    if nfkc.startswith("+"):
        if not digits.startswith("90"):
            raise InvalidPhone("only Turkish (+90) numbers are supported")
        digits = digits[2:]
    elif digits.startswith("0090"):
        digits = digits[4:]
    elif len(digits) == 12 and digits.startswith("90"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        raise InvalidPhone("a Turkish phone number has 10 digits after the 0 or +90 prefix")
    return "+90" + digits


def normalise_name(text: str) -> str:
    """Loose person-name key: Turkish lowering, ASCII fold, no marks, no punctuation, single spaces.

    "İSMAİL" = "Ismail" = "ismaıl"; "IŞIK" = "Işık" = "ISIK"; "Ayşe" = "Ayse"; "Ayşe-Nur" = "ayse nur".
    """
    if not isinstance(text, str):
        raise TypeError("a name must be given as text")
    text = unicodedata.normalize("NFKC", text)
    text = turkish_lower(text).translate(_FOLD)
    # NFD + drop combining marks: "i̇" (i + U+0307 from decomposed İ), "é" → "e", etc.
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = text.translate(_FOLD)
    out = []
    for ch in text:
        if ch.isalnum():
            out.append(ch)
        elif ch.isspace() or ch in _HYPHENS:
            out.append(" ")
        # other punctuation (apostrophes, dots, commas) is dropped: "O'Neil" = "ONeil"
    return " ".join("".join(out).split())


NORMALISERS: Final = {
    "tckn": normalise_tckn,
    "ykn": normalise_ykn,
    "document": normalise_document_number,
    "phone": normalise_phone,
    "name": normalise_name,
}
