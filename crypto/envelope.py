"""The byte formats: field ciphertext v1, wrapped data keys, associated data, and plaintext value encoding.

Pure functions over bytes and ``AESGCM`` objects, no database and no global state, so the known-answer tests pin
every byte. Layout of a field ciphertext (DESIGN.md §4)::

    offset  size  field
    0       1     format version 0x01
    1       1     algorithm 0x01 = AES-256-GCM, 96-bit random nonce, 128-bit tag
    2       16    dek id (UUID bytes)
    18      12    nonce
    30      n+16  ciphertext || tag

Associated data = the 30-byte header || pack("dayanisma/field/v1", table, column) || row uid (16 bytes).
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

from crypto.errors import DecryptionError, UnknownKey

FORMAT_V1: Final = 0x01
ALG_AES256GCM: Final = 0x01
HEADER_LEN: Final = 30
NONCE_LEN: Final = 12
TAG_LEN: Final = 16
KEY_LEN: Final = 32
WRAPPED_LEN: Final = NONCE_LEN + KEY_LEN + TAG_LEN
FIELD_DOMAIN: Final = b"dayanisma/field/v1"
DEK_DOMAIN: Final = b"dayanisma/dek/v1"
BIDX_DOMAIN: Final = b"dayanisma/bidx/v1"

Rng = Callable[[int], bytes]

# Plaintext type tags: a value encrypted as one kind can never be decoded as another (no type confusion).
KINDS: Final = {"str": b"s", "int": b"i", "date": b"d", "json": b"j"}
_TAG_TO_KIND: Final = {v[0]: k for k, v in KINDS.items()}


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


@functools.lru_cache(maxsize=4096)
def aad_prefix(table: str, column: str) -> bytes:
    """The per-(table, column) part of the field associated data (cached: it is constant per column)."""
    return pack(FIELD_DOMAIN, table, column)


# --- plaintext values -------------------------------------------------------------------------------------------


def encode_value(kind: str, value: Any) -> bytes:
    """Type tag + canonical bytes. Raises TypeError for a value of the wrong kind (never silently coerces)."""
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {type(value).__name__}")
        # surrogatepass: any Python str round-trips exactly, even lone surrogates.
        return b"s" + value.encode("utf-8", "surrogatepass")
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {type(value).__name__}")
        return b"i" + str(value).encode("ascii")
    if kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise TypeError(f"expected datetime.date, got {type(value).__name__}")
        return b"d" + value.isoformat().encode("ascii")
    if kind == "json":
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"value is not JSON-serialisable: {type(value).__name__}") from exc
        return b"j" + text.encode("utf-8", "surrogatepass")
    raise ValueError(f"unknown value kind {kind!r}")


def decode_value(kind: str, data: bytes) -> Any:
    if not data or _TAG_TO_KIND.get(data[0]) != kind:
        # SECURITY: a type-tag mismatch means the bytes were produced for another field kind.
        raise DecryptionError(f"plaintext type tag does not match the field kind {kind!r}")
    body = data[1:]
    if kind == "str":
        return body.decode("utf-8", "surrogatepass")
    if kind == "int":
        return int(body.decode("ascii"))
    if kind == "date":
        return dt.date.fromisoformat(body.decode("ascii"))
    return json.loads(body.decode("utf-8", "surrogatepass"))


# --- field ciphertexts -------------------------------------------------------------------------------------------


def encrypt_field(aead: AESGCM, dek_id: bytes, prefix: bytes, row_uid: bytes, plaintext: bytes, rng: Rng) -> bytes:
    """Encrypt encoded plaintext for one (table, column, row). ``prefix`` comes from :func:`aad_prefix`."""
    nonce = rng(NONCE_LEN)
    header = bytes((FORMAT_V1, ALG_AES256GCM)) + dek_id + nonce
    # SECURITY: the AAD binds header (dek id), table, column and row uid: moved ciphertexts fail to decrypt.
    return header + aead.encrypt(nonce, plaintext, header + prefix + row_uid)


def parse_header(blob: bytes) -> bytes:
    """Validate the header and return the dek id. Raises DecryptionError for anything but a v1 AES-GCM value."""
    if type(blob) is not bytes:
        if not isinstance(blob, bytearray | memoryview):
            raise DecryptionError("ciphertext is not bytes")
        blob = bytes(blob)
    if len(blob) < HEADER_LEN + TAG_LEN:
        raise DecryptionError("ciphertext too short")
    if blob[0] != FORMAT_V1:
        raise DecryptionError(f"unknown ciphertext format version {blob[0]}")
    if blob[1] != ALG_AES256GCM:
        raise DecryptionError(f"unknown ciphertext algorithm {blob[1]}")
    return blob[2:18]


def decrypt_field(aead: AESGCM, prefix: bytes, row_uid: bytes, blob: bytes) -> bytes:
    header = blob[:HEADER_LEN]
    try:
        return aead.decrypt(blob[18:HEADER_LEN], blob[HEADER_LEN:], header + prefix + row_uid)
    except InvalidTag:
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
