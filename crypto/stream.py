"""Chunked AES-256-GCM for large values (a case's documents): pure functions over bytes and ``AESGCM`` objects.

A stream is cut into chunks of ``CHUNK_SIZE`` plaintext bytes; each chunk is its own AES-GCM message under the
owner's data key, with a fresh nonce and the associated data

    pack("dayanisma/chunk/v1/aes-256-gcm", stream uid (16 bytes), chunk index (8 bytes, big-endian), last flag)

so a chunk decrypts only at its own position of its own stream: reordered chunks fail (index), a stream cut after
any chunk fails (that chunk was sealed with last = 0), a chunk moved to another document fails (uid). An empty
stream is one empty last chunk, so even "no chunks at all" is detected. Layout of a sealed chunk::

    offset  size  field
    0       1     format 0x11 (chunk v1)
    1       1     algorithm 0x01 = AES-256-GCM, 96-bit random nonce, 128-bit tag
    2       16    dek id (UUID bytes)
    18      12    nonce
    30      n+16  ciphertext || tag

Memory is one chunk ahead: :func:`seal_stream` reads one chunk beyond the one it seals (to know which is last) and
:func:`open_stream` looks one sealed chunk ahead for the same reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.envelope import ALG_AES256GCM, HEADER_LEN, NONCE_LEN, TAG_LEN, pack
from crypto.errors import DecryptionError

CHUNK_SIZE: Final = 64 * 1024
FORMAT_CHUNK_V1: Final = 0x11
CHUNK_DOMAIN: Final = b"dayanisma/chunk/v1/aes-256-gcm"


def chunk_aad(stream_uid: uuid.UUID, index: int, last: bool) -> bytes:
    """The associated data of chunk ``index`` of the stream ``stream_uid``."""
    if index < 0:
        raise ValueError("a chunk index is not negative")
    return pack(CHUNK_DOMAIN, stream_uid.bytes, index.to_bytes(8, "big"), b"\x01" if last else b"\x00")


def seal_chunk(aead: AESGCM, dek_id: bytes, stream_uid: uuid.UUID, index: int, last: bool, plaintext: bytes,
               nonce: bytes) -> bytes:
    """One sealed chunk (``nonce``: 12 fresh random bytes, never reused under this key)."""
    if len(nonce) != NONCE_LEN or len(dek_id) != 16:
        raise ValueError("a chunk needs a 12-byte nonce and a 16-byte dek id")
    # SECURITY: the AAD binds the stream uid, the position and the last flag: no reordering, truncation or moving.
    return (bytes((FORMAT_CHUNK_V1, ALG_AES256GCM)) + dek_id + nonce
            + aead.encrypt(nonce, plaintext, chunk_aad(stream_uid, index, last)))


def chunk_dek_id(blob: bytes) -> bytes:
    """The dek id of a sealed chunk; DecryptionError if ``blob`` is not one."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise DecryptionError("a sealed chunk is bytes")
    blob = bytes(blob)
    if len(blob) < HEADER_LEN + TAG_LEN or blob[0] != FORMAT_CHUNK_V1 or blob[1] != ALG_AES256GCM:
        raise DecryptionError("not a sealed chunk")
    return blob[2:18]


def open_chunk(aead: AESGCM, stream_uid: uuid.UUID, index: int, last: bool, blob: bytes) -> bytes:
    """The plaintext of a sealed chunk at this position; DecryptionError if it does not authenticate there."""
    blob = bytes(blob)
    chunk_dek_id(blob)
    try:
        return aead.decrypt(blob[18:30], blob[30:], chunk_aad(stream_uid, index, last))
    except InvalidTag:
        raise DecryptionError("chunk failed authentication (tampered, reordered, truncated or moved)") from None


def seal_stream(read: Callable[[int], bytes], aead: AESGCM, dek_id: bytes, stream_uid: uuid.UUID,
                nonce: Callable[[], bytes], chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes, int]]:
    """Seal what ``read(n)`` returns until it returns b"": yields (index, sealed chunk, plaintext length)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    current = _read_full(read, chunk_size)
    index = 0
    while True:
        following = _read_full(read, chunk_size) if len(current) == chunk_size else b""
        last = not following
        yield index, seal_chunk(aead, dek_id, stream_uid, index, last, current, nonce()), len(current)
        if last:
            return
        current, index = following, index + 1


def open_stream(sealed: Iterable[bytes], aead_for: Callable[[bytes], AESGCM],
                stream_uid: uuid.UUID) -> Iterator[bytes]:
    """Plaintext chunks of a stream given its sealed chunks in order; ``aead_for(dek id)`` gives the key. Raises
    DecryptionError on any tampering, including a stream that ends early or has no chunks at all."""
    chunks = iter(sealed)
    current = next(chunks, None)
    if current is None:
        raise DecryptionError("the stream has no chunks")
    index = 0
    while current is not None:
        following = next(chunks, None)
        aead = aead_for(chunk_dek_id(current))
        yield open_chunk(aead, stream_uid, index, following is None, current)
        current, index = following, index + 1


def _read_full(read: Callable[[int], bytes], size: int) -> bytes:
    """Exactly ``size`` bytes, or fewer only at the end (a file-like read may return short reads)."""
    parts: list[bytes] = []
    want = size
    while want:
        data = read(want)
        if not data:
            break
        parts.append(data)
        want -= len(data)
    return b"".join(parts)
