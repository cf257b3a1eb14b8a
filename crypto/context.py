"""The process-wide crypto context: key rings, the short-lived cache of unwrapped data keys, blind-index keys.

The app builds one :class:`CryptoContext` at start-up and passes it to :func:`configure`; models reach it through
:func:`get_context`. Data keys are unwrapped once and cached (not per field) for ``dek_ttl`` seconds: a cached key is
dropped at the start of the first transaction after its TTL (every request begins one before it reads a ciphertext),
so the per-field hot paths read no clock. A data key created inside a session is only visible to that session until
it commits, so a rolled-back transaction can never leave other sessions encrypting under a key that was never stored.
"""

from __future__ import annotations

import hmac
import math
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from crypto import envelope
from crypto.envelope import Rng
from crypto.errors import CryptoError, DecryptionError, KeyDestroyed, KeysMissing, NotConfigured, UnknownKey
from crypto.keys import IndexRing, KeyMaterial
from crypto.models import DataKey, KekRecord, ShredCounter
from crypto.providers import FileKekProvider, KekProvider, KekRing, StaticKekProvider

Owner = tuple[str, uuid.UUID]

_PENDING = "crypto.pending_deks"
_CTX = "crypto.context"
_DK = cast(sa.Table, DataKey.__table__)
_MIN_LEN = envelope.HEADER_LEN + envelope.TAG_LEN


class DekHandle:
    """An unwrapped data key ready for use. Holds the AESGCM object, never exposes the key bytes."""

    __slots__ = ("aead", "dek_id", "dek_id_bytes", "expires", "header_start", "owner", "row")

    def __init__(self, dek_id: uuid.UUID, aead: AESGCM, owner: Owner, expires: float, row: DataKey | None = None):
        self.dek_id = dek_id
        self.dek_id_bytes = dek_id.bytes
        self.header_start = _HEADER_START + self.dek_id_bytes
        self.aead = aead
        self.owner = owner
        self.expires = expires
        # The pending DataKey object while it is not yet committed (None once it is in the shared cache).
        self.row = row

    def __repr__(self) -> str:
        return f"<DekHandle {self.dek_id} owner={self.owner[0]}>"


class CryptoContext:
    """Key rings + caches. Thread-safe for the app's use (dict operations; unwrapping twice is harmless)."""

    def __init__(self, material: KeyMaterial, *, dek_ttl: float = 60.0, rng: Rng = os.urandom,
                 clock: Callable[[], float] = time.monotonic, provider: KekProvider | None = None) -> None:
        if material.keyring is None:
            if provider is None:
                raise KeysMissing("no KEK ring: the key material has none and no KEK provider was given")
            material.keyring = provider.load()
        self.material = material
        # Where the KEKs live; a process that meets a KEK id it does not know loads the ring from here once.
        if provider is None:
            provider = (FileKekProvider(material.source_path) if material.source_path is not None
                        else StaticKekProvider(material.keyring))
        self.provider: KekProvider = provider
        self._reloaded: dict[int, float] = {}      # kek id -> when a reload last failed to find it
        self.dek_ttl = dek_ttl
        self.rng = rng
        self.clock = clock
        # Cache keys chosen for the hot paths: the 18-byte ciphertext header start (version, algorithm, dek id: one
        # slice of the blob, and a blob with another version or algorithm simply misses and is checked in full), and
        # (owner type, owner uuid as int) (hashing a uuid.UUID runs Python code; an int hashes in C).
        self._by_id: dict[bytes, DekHandle] = {}
        self._by_owner: dict[tuple[str, int], DekHandle] = {}
        self._index_keys: dict[tuple[str, str, int], bytes] = {}
        self._derived_keys: dict[tuple[int, tuple[bytes | str, ...]], bytes] = {}    # crypto.blind: tag, pointer
        self._index_aeads: dict[tuple[str, int], AESGCM] = {}
        self._lock = threading.Lock()
        self._next_expiry = math.inf      # the earliest expiry among the cached keys (sweep() is O(1) before it)
        # Field nonces: with the default RNG they come from os.urandom in batches (see _refill_nonces); an injected
        # RNG (known-answer tests) is called once per nonce, so the pool stays empty.
        self._nonce_pool: list[bytes] = []
        self._nonce_pid = os.getpid()
        self._shred_generation: int | None = None    # the erasure count this process's cache was filled under
        _CONTEXTS.add(self)

    def __repr__(self) -> str:
        return f"<CryptoContext {self.material.keyring!r} {self.material.index_ring!r}>"

    @property
    def keyring(self) -> KekRing:
        return cast(KekRing, self.material.keyring)

    @property
    def index_ring(self) -> IndexRing:
        return self.material.index_ring

    # --- KEKs ----------------------------------------------------------------------------------------------------

    def kek_aead(self, kek_id: int) -> Any:
        """The AEAD of a KEK. A KEK this process does not know (another process rotated) makes it load the ring
        from the provider once; if the KEK is still unknown it fails closed (UnknownKey), and for the next few
        seconds it fails at once for that id instead of reading the provider again on every request."""
        try:
            return self.keyring.aead(kek_id)
        except UnknownKey:
            pass
        with self._lock:
            failed_at = self._reloaded.get(kek_id)
            if failed_at is None or self.clock() - failed_at > _RELOAD_BACKOFF:
                self.reload_keks()
                if kek_id not in self.keyring:
                    self._reloaded[kek_id] = self.clock()
        return self.keyring.aead(kek_id)

    def reload_keks(self) -> None:
        """Load the KEK ring from the provider again (keys added or retired by another process)."""
        self.material.keyring = self.provider.load()

    def active_kek(self, session: Session) -> int:
        """The id of the KEK that wraps new data keys: the database's active one (``crypto_keks``), or on a database
        that has none yet the ring's own. Read in the caller's transaction; an id this process does not know yet
        loads the ring once, and fails closed if the provider does not have it either."""
        active = session.execute(_ACTIVE_KEK).scalar()
        if active is None:
            return self.keyring.active_id
        self.kek_aead(active)
        return int(active)

    # --- data keys -----------------------------------------------------------------------------------------------

    def clear_cache(self) -> None:
        with self._lock:
            self._by_id.clear()
            self._by_owner.clear()
            self._next_expiry = math.inf

    def sweep(self) -> int:
        """Drop the cached keys whose TTL has passed; returns how many. Runs at the start of every transaction
        (a Session hook below), so an idle process never reads with a key that expired meanwhile (one another
        process may have shredded). Costs one clock read while no key is due."""
        now = self.clock()
        if now < self._next_expiry:
            return 0
        with self._lock:
            expired = [key for key, handle in self._by_id.items() if handle.expires <= now]
            for key in expired:
                handle = self._by_id.pop(key)
                if self._by_owner.get(_owner_key(handle.owner)) is handle:
                    del self._by_owner[_owner_key(handle.owner)]
            for owner in [owner for owner, handle in self._by_owner.items() if handle.expires <= now]:
                del self._by_owner[owner]
            self._next_expiry = min((h.expires for h in self._by_id.values()), default=math.inf)
        return len(expired)

    def forget_dek(self, dek_id: uuid.UUID) -> None:
        with self._lock:
            handle = self._by_id.pop(_HEADER_START + dek_id.bytes, None)
            if handle is not None:
                self._by_owner.pop(_owner_key(handle.owner), None)

    def _remember(self, handle: DekHandle) -> None:
        handle.row = None
        handle.expires = self.clock() + self.dek_ttl
        with self._lock:
            self._by_id[handle.header_start] = handle
            self._by_owner[_owner_key(handle.owner)] = handle
            self._next_expiry = min(self._next_expiry, handle.expires)

    @staticmethod
    def _pending(session: Session | None) -> dict[Any, DekHandle] | None:
        return None if session is None else session.info.get(_PENDING)

    def _unwrap_row(self, row: Any) -> DekHandle:
        # Positional unpacking: attribute access on a Row costs about a microsecond each (cold-key hot path).
        dek_id, owner_type, owner_id, kek_id, wrapped, destroyed_at = row
        if destroyed_at is not None or wrapped is None:
            raise KeyDestroyed(f"data key {dek_id} of a {owner_type} was destroyed")
        dek = envelope.unwrap_dek(self.kek_aead(kek_id), kek_id, dek_id, owner_type, owner_id, wrapped)
        handle = DekHandle(dek_id, AESGCM(dek), (owner_type, owner_id), 0.0)
        self._remember(handle)
        return handle

    def _select(self, session: Session, where: Any) -> Any:
        # Core select: no autoflush (safe inside before_flush) and no stale ORM objects in the identity map.
        stmt = sa.select(_DK.c.id, _DK.c.owner_type, _DK.c.owner_id, _DK.c.kek_id, _DK.c.wrapped,
                         _DK.c.destroyed_at).where(where)
        return session.execute(stmt).first()

    def dek_by_id(self, session: Session | None, dek_id_bytes: bytes) -> DekHandle:
        handle = self._by_id.get(_HEADER_START + dek_id_bytes)
        if handle is not None and handle.expires > self.clock():
            return handle
        pending = self._pending(session)
        if pending and dek_id_bytes in pending and _alive(pending[dek_id_bytes]):
            return pending[dek_id_bytes]
        if session is None:
            raise UnknownKey("data key not cached and no session to load it from")
        if _miss_hook is not None and _miss_hook(self, session):
            # The ORM preloaded the keys of every loaded row in one query (a page of 50 cases: 1 query, not 50).
            handle = self._by_id.get(_HEADER_START + dek_id_bytes)
            if handle is not None and handle.expires > self.clock():
                return handle
        row = self._select(session, _DK.c.id == uuid.UUID(bytes=dek_id_bytes))
        if row is None:
            raise UnknownKey(f"data key {uuid.UUID(bytes=dek_id_bytes)} does not exist")
        return self._unwrap_row(row)

    def preload(self, session: Session, header_starts: Any) -> int:
        """Unwrap, in one query per 500, the data keys of these ciphertexts (their first 18 bytes, or whole blobs)
        that are not cached yet; returns how many were loaded. For code about to decrypt many rows of many owners
        (search candidates, a page of cases): one round trip instead of one per key. Keys that are missing,
        destroyed or fail to unwrap are skipped here; decrypting their values raises as usual."""
        now = self.clock()
        # SECURITY: keys created in this session and not yet committed are never loaded into the shared cache (a
        # rollback would leave other sessions encrypting under a key that was never stored); the session has them.
        pending = self._pending(session) or {}
        wanted: dict[bytes, None] = {}
        for start in header_starts:
            if type(start) is not bytes or len(start) < 18 or start[:2] != _HEADER_START:
                continue
            handle = self._by_id.get(_HEADER_START + start[2:18])
            if (handle is None or handle.expires <= now) and start[2:18] not in pending:
                wanted[start[2:18]] = None
        loaded = 0
        ids = [uuid.UUID(bytes=b) for b in wanted]
        for i in range(0, len(ids), 500):
            for row in session.execute(_PRELOAD, {"ids": ids[i:i + 500]}):
                try:
                    self._unwrap_row(row)
                    loaded += 1
                except CryptoError:
                    continue
        return loaded

    def dek_for_owner(self, session: Session, owner: Owner, *, create: bool = True) -> DekHandle:
        """The owner's data key, unwrapped; created (wrapped with the active KEK) on first use."""
        try:
            handle = self._by_owner.get(_owner_key(owner))
        except (AttributeError, TypeError, IndexError):
            handle = None     # not a (str, UUID) pair: _create_dek refuses it below
        if handle is not None and handle.expires > self.clock():
            return handle
        pending = self._pending(session)
        if pending and owner in pending and _alive(pending[owner]):
            return pending[owner]
        row = self._select(session, (_DK.c.owner_type == owner[0]) & (_DK.c.owner_id == owner[1]))
        if row is not None:
            return self._unwrap_row(row)
        if not create:
            raise UnknownKey(f"no data key for this {owner[0]}")
        return self._create_dek(session, owner)

    def _create_dek(self, session: Session, owner: Owner) -> DekHandle:
        owner_type, owner_id = owner
        if not isinstance(owner_id, uuid.UUID) or not owner_type or len(owner_type) > 32:
            raise CryptoError("a key owner is (owner_type: str of ≤ 32 chars, owner_id: uuid.UUID)")
        dek = self.rng(envelope.KEY_LEN)
        dek_id = uuid.UUID(bytes=self.rng(16), version=4)
        # SECURITY: new data keys are always wrapped with the active KEK (as the database says now, not as this
        # process last heard), so a rotation started by another process never misses one.
        kek_id = self.active_kek(session)
        wrapped = envelope.wrap_dek(self.kek_aead(kek_id), kek_id, dek_id, owner_type, owner_id, dek, self.rng)
        row = DataKey(id=dek_id, owner_type=owner_type, owner_id=owner_id, kek_id=kek_id, wrapped=wrapped,
                      created_at=datetime.now(UTC))
        session.add(row)
        handle = DekHandle(dek_id, AESGCM(dek), owner, 0.0, row)
        pending = session.info.setdefault(_PENDING, {})
        pending[owner] = handle
        pending[handle.dek_id_bytes] = handle
        session.info[_CTX] = self
        return handle

    def create_deks(self, session: Session, owners: Iterable[Owner], *, chunk: int = 1000) -> dict[Owner, DekHandle]:
        """Create the data keys of many new owners at once (bulk loaders: ``flask demo generate``).

        Each key is wrapped with the active KEK exactly as :meth:`dek_for_owner` would, and the rows are inserted
        with one executemany per ``chunk`` (no ORM objects, no per-key query). Every owner must be new: an owner
        that already has a key, or appears twice, raises :class:`CryptoError` before anything is written. Like keys
        created one at a time, the new keys are visible to this session only until it commits (``encrypt_bound``
        finds them by owner meanwhile); a rollback forgets them. Refused inside a savepoint: rolling the savepoint
        back would remove the rows while their handles stayed usable in this session.
        """
        owners = list(owners)
        seen: set[tuple[str, int]] = set()
        for owner in owners:
            if (not isinstance(owner, tuple) or len(owner) != 2 or not isinstance(owner[0], str) or not owner[0]
                    or len(owner[0]) > 32 or not isinstance(owner[1], uuid.UUID)):
                raise CryptoError("a key owner is (owner_type: str of ≤ 32 chars, owner_id: uuid.UUID)")
            key = _owner_key(owner)
            if key in seen:
                raise CryptoError(f"a {owner[0]} appears twice among the owners of new data keys")
            seen.add(key)
        if not owners:
            return {}
        if session.in_nested_transaction():
            raise CryptoError("data keys cannot be created in bulk inside a savepoint")
        by_type: dict[str, list[uuid.UUID]] = {}
        for owner_type, owner_id in owners:
            by_type.setdefault(owner_type, []).append(owner_id)
        pending = self._pending(session) or {}
        for owner_type, ids in by_type.items():
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                if any((owner_type, owner_id) in pending for owner_id in part) or session.execute(
                        sa.select(_DK.c.id).where(_DK.c.owner_type == owner_type, _DK.c.owner_id.in_(part))
                        .limit(1)).first() is not None:
                    raise CryptoError(f"a {owner_type} among the owners already has a data key")
        kek_id = self.active_kek(session)
        kek = self.kek_aead(kek_id)
        now = datetime.now(UTC)
        handles: dict[Owner, DekHandle] = {}
        pending = session.info.setdefault(_PENDING, {})
        session.info[_CTX] = self
        for i in range(0, len(owners), chunk):
            rows: list[dict[str, Any]] = []
            for owner in owners[i:i + chunk]:
                owner_type, owner_id = owner
                dek = self.rng(envelope.KEY_LEN)
                dek_id = uuid.UUID(bytes=self.rng(16), version=4)
                # SECURITY: wrapped with the active KEK, bound to (kek id, dek id, owner), as in _create_dek.
                wrapped = envelope.wrap_dek(kek, kek_id, dek_id, owner_type, owner_id, dek, self.rng)
                rows.append({"id": dek_id, "owner_type": owner_type, "owner_id": owner_id, "kek_id": kek_id,
                             "wrapped": wrapped, "created_at": now})
                # row=None: no ORM object to track; these handles live in the session's pending map only (never
                # in the shared cache), and the savepoint refusal above keeps them in step with the stored rows.
                handle = DekHandle(dek_id, AESGCM(dek), owner, 0.0)
                handles[owner] = handle
            session.execute(sa.insert(_DK), rows)
            for row in rows:
                handle = handles[(row["owner_type"], row["owner_id"])]
                pending[handle.owner] = handle
                pending[handle.dek_id_bytes] = handle
        return handles

    def _promote_pending(self, session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        session.info.pop(_CTX, None)
        for key, handle in (pending or {}).items():
            if isinstance(key, bytes) and handle.row is not None and sa.inspect(handle.row).persistent:
                self._remember(handle)

    def _refill_nonces(self) -> bytes:
        """One 12-byte nonce, refilling the pool with one os.urandom call for the next _NONCE_BATCH.

        Nonces are public (they are in every ciphertext header), so holding future ones in memory exposes nothing;
        what matters is that none is ever used twice. list.pop() hands each element out once, even across threads
        (two concurrent refills just make two pools of distinct random bytes), and a forked child drops the pool it
        inherited (os.register_at_fork below), so a gunicorn worker never repeats its parent's or a sibling's
        nonces. Saves one getrandom() system call per encryption (≈0.4 µs, a quarter of the raw AES-GCM round trip).
        """
        if self.rng is not os.urandom:
            return self.rng(envelope.NONCE_LEN)
        data = os.urandom(envelope.NONCE_LEN * _NONCE_BATCH)
        pool = [data[i:i + envelope.NONCE_LEN] for i in range(0, len(data), envelope.NONCE_LEN)]
        nonce = pool.pop()
        self._nonce_pool = pool
        self._nonce_pid = _getpid()
        return nonce

    def next_nonce(self) -> bytes:
        """A fresh 12-byte AES-GCM nonce (from the batched pool, or the injected RNG)."""
        if self._nonce_pid != _getpid():
            return self._refill_nonces()
        try:
            return self._nonce_pool.pop()
        except IndexError:
            return self._refill_nonces()

    # --- fields --------------------------------------------------------------------------------------------------

    def encrypt(self, session: Session, owner: Owner, table: str, column: str, row_uid: uuid.UUID, value: Any,
                kind: str = "str") -> bytes:
        """Encrypt one value for (table, column, row uid) under the owner's data key."""
        return self.encrypt_bound(session, owner, envelope.aad_prefix(table, column, kind), row_uid.bytes, value,
                                  kind)

    def decrypt(self, session: Session | None, table: str, column: str, row_uid: uuid.UUID, blob: bytes,
                kind: str = "str") -> Any:
        """Decrypt one value or raise (DecryptionError, KeyDestroyed, UnknownKey) — never returns ciphertext."""
        return self.decrypt_bound(session, envelope.aad_prefix(table, column, kind), row_uid.bytes, blob, kind)

    # The two hot paths below are deliberately lean (no helper calls on a cache hit): the field round trip must stay
    # within 1.5x of raw AESGCM (DESIGN.md §7 P1, bench/crypto_bench.py). Measured choices (CPython 3.11): format v2
    # (AAD = column prefix + row uid, one concatenation; no type tag to add and strip), no clock read (expiry is
    # swept per transaction, see sweep()), str.encode()/bytes.decode() with the default (strict) error handler and a
    # surrogatepass fallback only on error, nonces from a batched pool. Byte layout: see crypto.envelope.

    def encrypt_bound(self, session: Session, owner: Owner, prefix: bytes, uid: bytes, value: Any,
                      kind: str = "str") -> bytes:
        """A v2 ciphertext. ``prefix`` = ``envelope.aad_prefix(table, column, kind)`` (its kind must be ``kind``),
        ``uid`` = the row uid's 16 bytes."""
        try:
            handle = self._by_owner.get((owner[0], owner[1].int))
        except (AttributeError, TypeError, IndexError):
            handle = None
        if handle is None:
            handle = self.dek_for_owner(session, owner)
        if kind == "str" and type(value) is str:
            try:
                plain = value.encode()
            except UnicodeEncodeError:      # lone surrogates: stored with surrogatepass, round-trip exactly
                plain = value.encode("utf-8", "surrogatepass")
        else:
            plain = envelope.encode_plain(kind, value)
        # SECURITY: a pool inherited through a raw fork() (no fork hooks ran: uWSGI without lazy-apps, embedders)
        # belongs to the parent: the pid check makes the child draw its own, never reusing the parent's nonces.
        if self._nonce_pid != _getpid():
            nonce = self._refill_nonces()
        else:
            try:
                nonce = self._nonce_pool.pop()
            except IndexError:
                nonce = self._refill_nonces()
        # SECURITY: AAD = (format, algorithm, table, column, kind) prefix + row uid; GCM authenticates key and nonce.
        return handle.header_start + nonce + handle.aead.encrypt(nonce, plain, prefix + uid)

    def decrypt_bound(self, session: Session | None, prefix: bytes, uid: bytes, blob: bytes,
                      kind: str = "str") -> Any:
        # Cache hit = the first 18 bytes are exactly (v2, AES-256-GCM, a cached dek id); anything else (retired v1,
        # another version, bytearray, None, too short) takes the slow path, which validates the header precisely.
        try:
            handle = self._by_id.get(blob[:18])
        except TypeError:
            handle = None
        if handle is None:
            return self._decrypt_slow(session, prefix, uid, blob, kind)
        try:
            plain = handle.aead.decrypt(blob[18:30], blob[30:], prefix + uid)
        except (InvalidTag, ValueError):    # ValueError: a truncated nonce (a cache hit skips the length check)
            raise DecryptionError("ciphertext failed authentication (tampered, moved, truncated or wrong key)") \
                from None
        if kind == "str":
            try:
                return plain.decode()
            except UnicodeDecodeError:      # lone surrogates were stored with surrogatepass
                return plain.decode("utf-8", "surrogatepass")
        return envelope.decode_plain(kind, plain)

    def _decrypt_slow(self, session: Session | None, prefix: bytes, uid: bytes, blob: Any, kind: str) -> Any:
        envelope.parse_header(blob)     # raises the precise DecryptionError, or accepts bytearray/memoryview
        blob = bytes(blob)
        handle = self.dek_by_id(session, blob[2:18])
        return envelope.decode_plain(kind, envelope.decrypt_field(handle.aead, prefix, uid, blob))

    # --- blind indexes -------------------------------------------------------------------------------------------

    def index_key(self, table: str, column: str, epoch: int) -> bytes:
        cache_key = (table, column, epoch)
        key = self._index_keys.get(cache_key)
        if key is None:
            # SECURITY: one key per (table, column, epoch): equal values in different columns are unlinkable.
            key = HKDF(hashes.SHA256(), 32, salt=None,
                       info=envelope.pack(envelope.BIDX_DOMAIN, table, column)).derive(self.index_ring.key(epoch))
            self._index_keys[cache_key] = key
        return key

    def blind_index(self, table: str, column: str, normalised: str, bits: int, epoch: int | None = None) -> int:
        """Top ``bits`` bits of HMAC-SHA256(index key, normalised value), as a non-negative int."""
        if not 1 <= bits <= 31:
            raise ValueError("blind index bits must be between 1 and 31 (fits a 32-bit INTEGER column)")
        key = self.index_key(table, column, self.index_ring.active_id if epoch is None else epoch)
        digest = hmac.digest(key, normalised.encode("utf-8", "surrogatepass"), "sha256")
        return int.from_bytes(digest[:8], "big") >> (64 - bits)


_KEKS = cast(sa.Table, KekRecord.__table__)
_SHRED = cast(sa.Table, ShredCounter.__table__)
_SHRED_GENERATION = sa.select(_SHRED.c.generation).where(_SHRED.c.id == 1)
_ACTIVE_KEK = sa.select(_KEKS.c.id).where(_KEKS.c.is_active.is_(True))
_HEADER_START = bytes((envelope.FORMAT_V2, envelope.ALG_AES256GCM))      # the cache key: v2 header start
# Built once: an expanding IN keeps one cached compiled form for any number of ids.
_PRELOAD = sa.select(_DK.c.id, _DK.c.owner_type, _DK.c.owner_id, _DK.c.kek_id, _DK.c.wrapped,
                     _DK.c.destroyed_at).where(_DK.c.id.in_(sa.bindparam("ids", expanding=True)))


def _owner_key(owner: Owner) -> tuple[str, int]:
    return (owner[0], owner[1].int)


def _alive(handle: DekHandle) -> bool:
    # A savepoint rollback expunges the pending DataKey; its handle must not be used any more.
    return handle.row is None or sa.inspect(handle.row).pending or sa.inspect(handle.row).persistent


_NONCE_BATCH = 256
_RELOAD_BACKOFF = 5.0       # seconds before an unknown KEK id may make this process read its provider again
_getpid = os.getpid
_CONTEXTS: weakref.WeakSet[CryptoContext] = weakref.WeakSet()


def _drop_nonce_pools() -> None:
    # SECURITY: a forked child must never reuse nonces buffered by its parent (GCM nonce reuse under one key).
    for context in list(_CONTEXTS):
        context._nonce_pool = []


os.register_at_fork(after_in_child=_drop_nonce_pools)

#: Called on a data-key cache miss with a session (crypto.orm installs it); returns True if it loaded keys.
_miss_hook: Callable[[CryptoContext, Session], bool] | None = None


def set_miss_hook(hook: Callable[[CryptoContext, Session], bool] | None) -> None:
    global _miss_hook
    _miss_hook = hook


_current: CryptoContext | None = None


def configure(context: CryptoContext | KeyMaterial | None) -> CryptoContext | None:
    """Install the process-wide context (the app calls this once at start-up; tests may swap it)."""
    global _current
    _current = CryptoContext(context) if isinstance(context, KeyMaterial) else context
    return _current


def get_context() -> CryptoContext:
    if _current is None:
        raise NotConfigured("crypto.configure() has not been called; encrypted fields cannot be used")
    return _current


def _after_commit(session: Session) -> None:
    context = session.info.get(_CTX)
    if context is not None:
        context._promote_pending(session)


def _after_rollback(session: Session) -> None:
    # The DataKey rows were never stored: their handles must not reach the shared cache.
    session.info.pop(_PENDING, None)
    session.info.pop(_CTX, None)


def _after_begin(session: Session, transaction: Any, connection: Any) -> None:
    # SECURITY: an erasure committed by another process since this process cached keys empties the cache before
    # this transaction reads anything, so no process decrypts an erased case after its erasure committed. Costs one
    # primary-key read per transaction while keys are cached (and once per process before that).
    if transaction.parent is not None:
        return
    contexts = [c for c in list(_CONTEXTS) if c._by_id or c._shred_generation is None]
    if not contexts:
        return
    current = connection.execute(_SHRED_GENERATION).scalar() or 0
    for context in contexts:
        if context._shred_generation != current:
            if context._by_id:
                context.clear_cache()       # also when unknown (keys cached before the first check): once
            context._shred_generation = current


def _after_transaction_create(session: Session, transaction: Any) -> None:
    # SECURITY: expired data keys leave every cache before the transaction reads or writes a ciphertext.
    if transaction.parent is None:
        for context in list(_CONTEXTS):
            context.sweep()


def install_session_hooks(target: Any = Session) -> None:
    """Register the commit/rollback/begin hooks (done at import for every Session; idempotent)."""
    for name, fn in (("after_commit", _after_commit), ("after_rollback", _after_rollback),
                     ("after_transaction_create", _after_transaction_create), ("after_begin", _after_begin)):
        if not sa.event.contains(target, name, fn):
            sa.event.listen(target, name, fn)


install_session_hooks()
