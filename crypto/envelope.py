"""The byte formats: field ciphertexts (v2), wrapped data keys, associated data, plaintext encoding.

Pure functions over bytes and ``AESGCM`` objects, no database and no global state, so the known-answer tests pin
every byte. Layout of a field ciphertext (DESIGN.md §4)::

    offset  size  field
    0       1     format version: 0x02
    1       1     algorithm 0x01 = AES-256-GCM, 96-bit random nonce, 128-bit tag
    2       16    dek id (UUID bytes)
    18      12    nonce
    30      n+16  ciphertext || tag

Associated data = pack("dayanisma/field/v2/aes-256-gcm", table, column, kind) || row uid (16 bytes); the plaintext
is the value's canonical bytes (no type tag: the kind is in the AAD). A value moved to another row or column, or
decrypted as another kind, fails authentication.

Format v1 (0x01, written before 2026-12) is retired: no read path accepts it. :func:`parse_header` raises
``RetiredFormat`` for it (the app answers 503, never the value); only ``crypto.legacy`` still reads it, for
``flask keys upgrade-format``, which rewrites such values as v2.

Why v2 leaves the header out of the AAD (it is the P1 hot path: one concatenation less on each side, DESIGN.md §7):
GCM already authenticates the key and the nonce — a changed nonce, or a changed dek id (which selects another key,
or none), fails the tag exactly as a changed AAD would; binding them again adds no security. What the header adds
beyond key and nonce, the format version and the algorithm, is bound through the domain string, so a v2 value
relabelled as another version fails too. GCM is not key-committing either way (an attacker who knows two data keys
could build a value that opens under both, with or without the dek id in the AAD); nobody outside the KEK holder
knows data keys.

A wrapped data key = nonce (12) || AES-256-GCM(KEK, DEK) (32 + 16), associated data
pack("dayanisma/dek/v1", kek id, dek id, owner type, owner uid).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import struct
import uuid
from collections.abc import Callable
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError, RetiredFormat, UnknownKey

FORMAT_V1: Final = 0x01          # retired: read only by crypto.legacy (``keys upgrade-format``)
FORMAT_V2: Final = 0x02          # every value
ALG_AES256GCM: Final = 0x01
HEADER_LEN: Final = 30
NONCE_LEN: Final = 12
TAG_LEN: Final = 16
KEY_LEN: Final = 32
WRAPPED_LEN: Final = NONCE_LEN + KEY_LEN + TAG_LEN
FIELD_DOMAIN_V2: Final = b"dayanisma/field/v2/aes-256-gcm"
DEK_DOMAIN: Final = b"dayanisma/dek/v1"
BIDX_DOMAIN: Final = b"dayanisma/bidx/v1"

Rng = Callable[[int], bytes]

KINDS: Final = ("str", "int", "date", "json")


_U32 = struct.Struct("<I").pack
_U64 = struct.Struct("<Q").pack


def pack(*parts: bytes | str) -> bytes:
    """Unambiguous length-prefixed encoding (count, then each length and value), so ("ab", "c") != ("a", "bc")."""
    out = bytearray(_U32(len(parts)))
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        out += _U64(len(data))
        out += data
    return bytes(out)


def unpack(data: bytes) -> list[bytes]:
    """The parts of a :func:`pack` encoding; ValueError if ``data`` is not exactly one."""
    if len(data) < 4:
        raise ValueError("not a packed value")
    count, pos, parts = struct.unpack_from("<I", data)[0], 4, []
    for _ in range(count):
        if pos + 8 > len(data):
            raise ValueError("not a packed value")
        size = struct.unpack_from("<Q", data, pos)[0]
        pos += 8
        if pos + size > len(data):
            raise ValueError("not a packed value")
        parts.append(data[pos:pos + size])
        pos += size
    if pos != len(data):
        raise ValueError("not a packed value")
    return parts


@functools.lru_cache(maxsize=4096)
def aad_prefix(table: str, column: str, kind: str) -> bytes:
    """The per-column part of a v2 field's associated data (cached: constant per column). ``kind`` is the column's
    value kind ("str", "int", "date", "json"): a value can only be decrypted as the kind it was written as."""
    if kind not in KINDS:
        raise ValueError(f"unknown value kind {kind!r}")
    return pack(FIELD_DOMAIN_V2, table, column, kind)


# --- plaintext values -------------------------------------------------------------------------------------------


def encode_plain(kind: str, value: Any) -> bytes:
    """The canonical bytes of a value of ``kind`` (the plaintext). TypeError for a value of the wrong kind (never
    silently coerces)."""
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        # surrogatepass: any Python str round-trips exactly, even lone surrogates.
        return value.encode("utf-8", "surrogatepass")
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        return str(value).encode("ascii")
    if kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"expected datetime.date, got {type(value).__name__}")
        return value.isoformat().encode("ascii")
    if kind == "json":
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"value is not JSON-serialisable: {type(value).__name__}") from exc
        return text.encode("utf-8", "surrogatepass")
    raise ValueError(f"unknown value kind {kind!r}")


def decode_plain(kind: str, data: bytes) -> Any:
    """The value of ``kind`` from its canonical bytes; DecryptionError (never a half-decoded value) if they are not
    valid for the kind, which authenticated data only is when it was written as another kind under the same AAD."""
    try:
        if kind == "str":
            return data.decode("utf-8", "surrogatepass")
        if kind == "int":
            text = data.decode("ascii")
            if not text or not text.lstrip("-").isdigit():
                raise ValueError(text)
            return int(text)
        if kind == "date":
            return dt.date.fromisoformat(data.decode("ascii"))
        if kind == "json":
            return json.loads(data.decode("utf-8", "surrogatepass"))
    except ValueError:   # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
        raise DecryptionError(f"the decrypted bytes are not a valid {kind} value") from None
    raise ValueError(f"unknown value kind {kind!r}")




# --- field ciphertexts -------------------------------------------------------------------------------------------


def encrypt_field(aead: AESGCM, dek_id: bytes, prefix: bytes, row_uid: bytes, plaintext: bytes, rng: Rng) -> bytes:
    """A v2 ciphertext of ``plaintext`` (from :func:`encode_plain`) for one row. ``prefix`` is :func:`aad_prefix`."""
    nonce = rng(NONCE_LEN)
    # SECURITY: the AAD binds (format, algorithm, table, column, kind) and the row uid: moved ciphertexts fail.
    return bytes((FORMAT_V2, ALG_AES256GCM)) + dek_id + nonce + aead.encrypt(nonce, plaintext, prefix + row_uid)


def parse_header(blob: bytes) -> bytes:
    """Validate the header and return the dek id. Raises RetiredFormat for a v1 value, DecryptionError for anything
    else but a v2 AES-GCM value."""
    if type(blob) is not bytes:
        if not isinstance(blob, bytearray | memoryview):
            raise DecryptionError("ciphertext is not bytes")
        blob = bytes(blob)
    if len(blob) < HEADER_LEN + TAG_LEN:
        raise DecryptionError("ciphertext too short")
    if blob[0] == FORMAT_V1:
        raise RetiredFormat("a value in the retired ciphertext format v1; run `flask keys upgrade-format`")
    if blob[0] != FORMAT_V2:
        raise DecryptionError(f"unknown ciphertext format version {blob[0]}")
    if blob[1] != ALG_AES256GCM:
        raise DecryptionError(f"unknown ciphertext algorithm {blob[1]}")
    return blob[2:18]


def decrypt_field(aead: AESGCM, prefix: bytes, row_uid: bytes, blob: bytes) -> bytes:
    """The plaintext bytes (as :func:`encode_plain` made them) of a v2 ciphertext whose header :func:`parse_header`
    accepted. ``prefix`` is the column's :func:`aad_prefix`."""
    if blob[0] != FORMAT_V2:
        raise DecryptionError(f"unknown ciphertext format version {blob[0]}")
    try:
        return aead.decrypt(blob[18:HEADER_LEN], blob[HEADER_LEN:], prefix + row_uid)
    except (InvalidTag, ValueError):    # ValueError: a nonce of the wrong length
        raise DecryptionError("ciphertext failed authentication (tampered, moved, or wrong key)") from None


# --- wrapped data keys -------------------------------------------------------------------------------------------


_DEK_AAD_HEAD: Final = _U32(5) + _U64(len(DEK_DOMAIN)) + DEK_DOMAIN
_LEN16: Final = _U64(16)


def dek_aad(kek_id: int, dek_id: uuid.UUID, owner_type: str, owner_id: uuid.UUID) -> bytes:
    """= pack(DEK_DOMAIN, str(kek_id), dek_id.bytes, owner_type, owner_id.bytes), unrolled (rotation hot path)."""
    return dek_aad_head(kek_id) + dek_aad_tail(dek_id.bytes, dek_aad_owner_type(owner_type), owner_id.bytes)


# dek_aad in three parts, so rotation builds the (kek-independent) tail once per key and the heads once per KEK.

@functools.lru_cache(maxsize=64)
def dek_aad_head(kek_id: int) -> bytes:
    kek = str(kek_id).encode("ascii")
    return _DEK_AAD_HEAD + _U64(len(kek)) + kek


@functools.lru_cache(maxsize=64)
def dek_aad_owner_type(owner_type: str) -> bytes:
    otype = owner_type.encode("utf-8")
    return _U64(len(otype)) + otype


def dek_aad_tail(dek_id: bytes, owner_type_part: bytes, owner_id: bytes) -> bytes:
    return b"".join((_LEN16, dek_id, owner_type_part, _LEN16, owner_id))


def wrap_dek(kek: AESGCM, kek_id: int, dek_id: uuid.UUID, owner_type: str, owner_id: uuid.UUID, dek: bytes,
             rng: Rng) -> bytes:
    nonce = rng(NONCE_LEN)
    # SECURITY: the wrap is bound to (kek id, dek id, owner): a wrapped key copied to another owner fails to unwrap.
    return nonce + kek.encrypt(nonce, dek, dek_aad(kek_id, dek_id, owner_type, owner_id))


def unwrap_dek(kek: AESGCM, kek_id: int, dek_id: uuid.UUID, owner_type: str, owner_id: uuid.UUID,
               wrapped: bytes) -> bytes:
    if wrapped is None or len(wrapped) != WRAPPED_LEN:
        raise UnknownKey(f"wrapped data key {dek_id} has the wrong length")
    if type(wrapped) is not bytes:
        wrapped = bytes(wrapped)
    try:
        return kek.decrypt(wrapped[:NONCE_LEN], wrapped[NONCE_LEN:], dek_aad(kek_id, dek_id, owner_type, owner_id))
    except InvalidTag:
        raise DecryptionError(f"data key {dek_id} failed to unwrap with KEK {kek_id} "
                              "(tampered, swapped between owners, or wrong KEK)") from None
