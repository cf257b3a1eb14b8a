"""What a paper shows beyond what its slice already gives: the perpetrator's name blotted out of a discreet copy."""

from __future__ import annotations

import re
from collections.abc import Iterable

BLOT = "…"
_TURKISH_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def _variants(word: str) -> set[str]:
    """The word as typed, and upper/lower-cased the Turkish way (İ/i, I/ı) as well as the default way."""
    lower = word.replace("İ", "i").replace("I", "ı").lower()
    return {word, lower, lower.translate(_TURKISH_UPPER).upper(), lower.capitalize(),
            lower[:1].translate(_TURKISH_UPPER).upper() + lower[1:]}


def blot_names(text: str, names: Iterable[str | None]) -> str:
    """``text`` with every word (two letters or more) of each name replaced by ``BLOT``, whole words only, in any
    case. A discreet copy must not name the person using violence if someone else finds it on her."""
    words = {v for name in names if name for word in re.findall(r"\w{2,}", name) for v in _variants(word)}
    if not words or not text:
        return text
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                         + r")(?!\w)", re.IGNORECASE)
    return pattern.sub(BLOT, text)
