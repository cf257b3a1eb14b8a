"""Key operations over the database: KEK rotation (rewrap data keys), KEK retirement, status, crypto-shredding.

Rotation (:func:`rotate`) creates a KEK in the provider, makes it active with one committed row in ``crypto_keks``
(every process reads the active id from there when it creates a data key, and loads its ring from the provider when
it meets a KEK id it does not know: no restart), then rewraps data keys from any other KEK to it in batches,
committing each batch, so it is online (old KEKs keep decrypting throughout) and resumable after a kill (rows record
their KEK id; a rerun finds keys still to rewrap and finishes them instead of adding another KEK). Field ciphertexts
are never touched.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from sqlalchemy.orm import Session

from crypto import blind, envelope
from crypto.context import CryptoContext, get_context
from crypto.errors import CryptoError, DecryptionError, KekInUse, KeyFileError, UnknownKey
from crypto.keys import KeyRing, write_key_file
from crypto.models import DataKey, KekRecord, ShredCounter
from crypto.orm import search_columns

_DK = cast(sa.Table, DataKey.__table__)
_KEKS = cast(sa.Table, KekRecord.__table__)


@dataclass(frozen=True)
class KeyStatus:
    active_kek: int
    kek_ids: list[int]
    deks_per_kek: dict[int, int]      # live (not destroyed) data keys by KEK id
    destroyed: int
    index_epochs: list[int]
    active_index_epoch: int

    @property
    def pending_rewrap(self) -> int:
        return sum(n for k, n in self.deks_per_kek.items() if k != self.active_kek)


def key_status(session: Session, ctx: CryptoContext | None = None) -> KeyStatus:
    ctx = ctx or get_context()
    active = ctx.active_kek(session)
    rows = session.execute(sa.select(_DK.c.kek_id, sa.func.count()).where(_DK.c.destroyed_at.is_(None))
                           .group_by(_DK.c.kek_id)).all()
    destroyed = session.execute(sa.select(sa.func.count()).where(_DK.c.destroyed_at.is_not(None))).scalar_one()
    return KeyStatus(active_kek=active, kek_ids=ctx.keyring.ids,
                     deks_per_kek={int(k): int(n) for k, n in rows}, destroyed=int(destroyed),
                     index_epochs=ctx.index_ring.ids, active_index_epoch=ctx.index_ring.active_id)


@dataclass
class RotationResult:
    active_kek: int
    rewrapped: int = 0
    batches: int = 0
    remaining_at_start: int = 0


Progress = Callable[[int, int], None]


def set_active_kek(session: Session, ctx: CryptoContext | None, kek_id: int) -> None:
    """Make ``kek_id`` the active KEK in the database (committed by the caller). Every process wraps the data keys
    it creates from then on with it. Refused (UnknownKey) if the provider does not hold that KEK."""
    ctx = ctx or get_context()
    ctx.kek_aead(kek_id)
    now = datetime.now(UTC)
    known = set(session.execute(sa.select(_KEKS.c.id)).scalars())
    for other in ctx.keyring.ids:
        if other not in known:
            session.execute(_KEKS.insert().values(id=other, provider=ctx.provider.name, is_active=False,
                                                  created_at=now))
    # Two statements, in this order: the partial unique index allows one active row at a time.
    session.execute(_KEKS.update().where(_KEKS.c.is_active.is_(True)).values(is_active=False))
    session.execute(_KEKS.update().where(_KEKS.c.id == kek_id).values(is_active=True, activated_at=now,
                                                                       retired_at=None))


def rotate(session: Session, ctx: CryptoContext | None = None, *, batch_size: int = 5000,
           progress: Progress | None = None, on_start: Callable[[int, bool, int], None] | None = None,
           workers: int | None = None) -> RotationResult:
    """``keys rotate``: add a KEK to the provider, activate it in the database, rewrap every data key to it.

    If data keys still wait for a rewrap (a rotation that was killed), the rotation resumes instead: no new KEK.
    ``on_start(active kek, resumed, keys to rewrap)`` is called once the active KEK is committed.
    """
    ctx = ctx or get_context()
    active = ctx.active_kek(session)
    pending = session.execute(sa.select(sa.func.count()).where(_todo(active))).scalar_one()
    resumed = bool(pending)
    if not resumed:
        new_id = ctx.provider.create()
        ctx.reload_keks()
        set_active_kek(session, ctx, new_id)
        session.commit()
        active = new_id
        pending = session.execute(sa.select(sa.func.count()).where(_todo(active))).scalar_one()
    session.commit()
    if on_start is not None:
        on_start(active, resumed, int(pending))
    return rotate_keks(session, ctx, batch_size=batch_size, progress=progress, workers=workers)


def _todo(active: int) -> sa.ColumnElement[bool]:
    return (_DK.c.kek_id != active) & _DK.c.wrapped.is_not(None) & _DK.c.destroyed_at.is_(None)


def rotate_keks(session: Session, ctx: CryptoContext | None = None, *, batch_size: int = 5000,
                progress: Progress | None = None, workers: int | None = None) -> RotationResult:
    """Rewrap every live data key not wrapped with the active KEK. ``progress(done, total)`` after each batch.

    Each batch is committed before ``progress`` is called, so an exception from anywhere (a kill) loses at most the
    batches in flight (two with worker processes); calling again resumes. Each batch holds the write lock only for
    its own UPDATE, so the app keeps writing meanwhile (DESIGN.md §7 P5: 10^5 keys in ≤ 5 s; bench/crypto_bench.py).

    On SQLite and PostgreSQL the batch is read and written with driver-level statements (no per-row SQLAlchemy type
    processing: it was over half the time); other databases use the portable Core statements.

    A provider whose every unwrap and wrap is a round trip to a token (PKCS#11: two token operations per data key,
    ~15-40 µs each on SoftHSM2) rewraps each batch in ``workers`` processes, each with its own token session
    (default: one per CPU when there are at least ``PARALLEL_MIN_KEYS`` keys to rewrap; ``workers=1``: never),
    pipelined: this process writes the previous batch and reads the next one while the workers rewrap.
    The token library cannot be shared by threads, and the file provider's in-process AES is faster than the
    hand-over to another process.
    """
    ctx = ctx or get_context()
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    active = ctx.active_kek(session)
    todo = _todo(active)
    total = session.execute(sa.select(sa.func.count()).where(todo)).scalar_one()
    session.commit()
    result = RotationResult(active_kek=active, remaining_at_start=int(total))
    if not total:
        return result
    dialect = session.get_bind().dialect.name
    batches = _raw_batches if dialect in ("sqlite", "postgresql") else _core_batches
    rewrap = _Rewrapper(ctx, active)
    pool = _token_pool(ctx, active, int(total), workers)

    def finish(rows: Sequence[Any], write: Callable[[list[tuple[Any, ...]]], None],
               params: list[tuple[Any, ...]]) -> None:
        write(params)
        session.commit()
        result.rewrapped += len(rows)
        result.batches += 1
        if progress is not None:
            progress(result.rewrapped, max(int(total), result.rewrapped))

    try:
        for _pass in range(3):
            before = result.rewrapped
            if pool is None:
                for rows, write in batches(session, active, todo, batch_size):
                    # rows: (row key, id, owner type, owner id, kek id, wrapped)
                    finish(rows, write, [rewrap(*row) for row in rows])
            else:
                # A pipeline: while the workers rewrap batch i in the token, this process writes and commits
                # batch i-1 and reads batch i+1 (the token work and the database work overlap).
                in_flight: tuple[Sequence[Any], Any, Any] | None = None
                for rows, write in batches(session, active, todo, batch_size):
                    started = pool.start(rows)
                    if in_flight is not None:
                        finish(in_flight[0], in_flight[1], pool.collect(in_flight[2]))
                    in_flight = (rows, write, started)
                if in_flight is not None:
                    finish(in_flight[0], in_flight[1], pool.collect(in_flight[2]))
            # A process that read the previous active KEK just before the switch may have committed a key wrapped
            # with it behind this walk: look again (bounded; `keys status` shows any left, `keys rotate` finishes).
            left = session.execute(sa.select(sa.func.count()).where(todo)).scalar_one()
            session.commit()
            if not left or result.rewrapped == before:
                break
    finally:
        if pool is not None:
            pool.close()
    return result


PARALLEL_MIN_KEYS = 5000


def _token_pool(ctx: CryptoContext, active: int, total: int, workers: int | None) -> _TokenPool | None:
    session_args = getattr(ctx.provider, "session_args", None)
    if session_args is None:
        return None
    if workers is None:
        workers = (os.cpu_count() or 1) if total >= PARALLEL_MIN_KEYS else 1
    if workers < 2:
        return None
    return _TokenPool(session_args(), active, workers)


class _TokenPool:
    """Worker processes (spawned: a fresh token library each), each with its own token session, rewrapping a
    share of every batch. The PIN reaches them over the pool's pipe, never through an environment or argv."""

    def __init__(self, session_args: tuple[str, str, str], active: int, workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self.pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_token_worker_init,
                                                              initargs=(session_args, active))

    def start(self, rows: Sequence[Any]) -> Any:
        """Hand a batch to the workers (one share each); :meth:`collect` waits for its UPDATE parameters."""
        # Plain tuples with bytes (a psycopg memoryview does not pickle); the ids stay as the driver gave them.
        plain = [(k, d, t, o, kek, bytes(w) if w is not None else None) for k, d, t, o, kek, w in rows]
        size = -(-len(plain) // self.workers)
        return self.pool.map_async(_token_worker_rewrap, [plain[i:i + size] for i in range(0, len(plain), size)],
                                   chunksize=1)

    @staticmethod
    def collect(started: Any) -> list[tuple[Any, ...]]:
        return [params for part in started.get() for params in part]

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


class _TokenRing:
    """What :class:`_Rewrapper` needs of a context, in a worker: the provider's ring and fresh random nonces."""

    def __init__(self, ring: Any) -> None:
        self.ring = ring

    def kek_aead(self, kek_id: int) -> Any:
        return self.ring.aead(kek_id)

    def next_nonce(self) -> bytes:
        return os.urandom(envelope.NONCE_LEN)


_WORKER_REWRAP: _Rewrapper | CryptoError | None = None


def _token_worker_init(session_args: tuple[str, str, str], active: int) -> None:
    global _WORKER_REWRAP
    from crypto.providers import Pkcs11KekProvider

    module, label, pin = session_args
    provider = Pkcs11KekProvider(module, label, pin)
    for attempt in range(_WORKER_OPEN_ATTEMPTS):
        if attempt:
            # SoftHSM2 lists its tokens once, when the library is initialised; a process that started while another
            # one was writing the token's files (the parent creating a KEK, another worker starting) could find no
            # token ("NoSuchToken") and keep that view. This worker holds no other session: initialise the library
            # again (it reads the token directory anew) and retry. A token that really is absent still fails.
            time.sleep(0.1 * attempt)
            from pkcs11.exceptions import PKCS11Error

            with provider._lock, contextlib.suppress(PKCS11Error):    # the next attempt reports the token's error
                if provider._lib is not None:
                    provider._lib.reinitialize()
        try:
            ring = provider.load()
            _WORKER_REWRAP = _Rewrapper(cast(CryptoContext, _TokenRing(ring)), active)
            return
        except CryptoError as exc:
            # Raised with the first batch instead: a Pool replaces a worker whose initializer raises, for ever.
            _WORKER_REWRAP = exc
            # SECURITY: never retry a refused login (PinIncorrect, PinLocked…): each attempt counts against the
            # token's PIN, and a real HSM locks the PIN after a few.
            if getattr(exc, "token_error", None) not in _WORKER_RETRY_ERRORS:
                return


_WORKER_OPEN_ATTEMPTS = 3
_WORKER_RETRY_ERRORS = ("NoSuchToken", "TokenNotPresent", "TokenNotRecognised", "GeneralError")


def _token_worker_rewrap(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    rewrap = _WORKER_REWRAP
    if not isinstance(rewrap, _Rewrapper):
        raise rewrap or CryptoError("the rotation worker was not initialised")
    return [rewrap(*row) for row in rows]


class _Rewrapper:
    """Unwrap with the old KEK and wrap with the active one, for rows (row key, id, owner type, owner id, kek id,
    wrapped) whose ids are raw driver values (a hex string on SQLite, a UUID on PostgreSQL) or UUIDs; returns the
    UPDATE parameters (new kek id, new wrapped key, row key, id, old kek id)."""

    def __init__(self, ctx: CryptoContext, active: int) -> None:
        self.ctx = ctx
        self.active = active
        self.new_kek = ctx.kek_aead(active)
        self.new_head = envelope.dek_aad_head(active)
        self.heads: dict[int, bytes] = {}
        self.otypes: dict[str, bytes] = {}

    def __call__(self, key: Any, dek_id: Any, owner_type: str, owner_id: Any, kek_id: int,
                 wrapped: bytes) -> tuple[Any, ...]:
        head = self.heads.get(kek_id)
        if head is None:
            head = self.heads[kek_id] = envelope.dek_aad_head(kek_id)
        otype = self.otypes.get(owner_type)
        if otype is None:
            otype = self.otypes[owner_type] = envelope.dek_aad_owner_type(owner_type)
        # SECURITY: the same binding as envelope.dek_aad (kek id, dek id, owner): a wrapped key copied to another
        # owner or row fails here and stops the batch (nothing of it is written).
        tail = envelope.dek_aad_tail(_uuid_bytes(dek_id), otype, _uuid_bytes(owner_id))
        if type(wrapped) is not bytes:
            if wrapped is None:
                raise UnknownKey(f"data key {dek_id} has no wrapped key")
            wrapped = bytes(wrapped)    # psycopg may give a memoryview
        if len(wrapped) != envelope.WRAPPED_LEN:
            raise UnknownKey(f"wrapped data key {dek_id} has the wrong length")
        try:
            dek = self.ctx.kek_aead(kek_id).decrypt(wrapped[:12], wrapped[12:], head + tail)
        except InvalidTag:
            raise DecryptionError(f"data key {dek_id} failed to unwrap with KEK {kek_id} "
                                  "(tampered, swapped between owners, or wrong KEK)") from None
        nonce = self.ctx.next_nonce()
        return (self.active, nonce + self.new_kek.encrypt(nonce, dek, self.new_head + tail), key, dek_id, kek_id)


def _uuid_bytes(value: Any) -> bytes:
    if type(value) is str and len(value) == 32:
        return bytes.fromhex(value)     # SQLite stores sa.Uuid as 32 hex digits
    if type(value) is bytes and len(value) == 16:
        return value                    # PostgreSQL: uuid_send(id)
    if isinstance(value, memoryview) and len(value) == 16:
        return bytes(value)
    if isinstance(value, str):
        return bytes.fromhex(value.replace("-", ""))
    if isinstance(value, uuid.UUID):
        return value.bytes
    raise TypeError(f"unexpected uuid value {type(value).__name__}")


# SECURITY: the WHERE re-checks kek_id and wrapped, so a key shredded or rotated concurrently is never resurrected
# or double-wrapped by this job.
_RAW_SELECT = ("SELECT {key}, id, owner_type, owner_id, kek_id, wrapped FROM crypto_data_keys WHERE kek_id <> {p} "
               "AND wrapped IS NOT NULL AND destroyed_at IS NULL{after} ORDER BY {key} LIMIT {p}")
_RAW_UPDATE = ("UPDATE crypto_data_keys SET kek_id = {p}, wrapped = {p}, rewrapped_at = CURRENT_TIMESTAMP "
               "WHERE {key} = {p} AND id = {p} AND kek_id = {p} AND wrapped IS NOT NULL AND destroyed_at IS NULL")

# PostgreSQL: ids travel as 16-byte strings (uuid_send), and a batch is written with one statement per old KEK
# whose parameters are two concatenated byte strings (ids, wrapped keys), split server-side. Per-row statements,
# even pipelined, and array parameters (dumped element by element in Python) were 2-3x slower.
_PG_SELECT = ("SELECT uuid_send(id), uuid_send(id), owner_type, uuid_send(owner_id), kek_id, wrapped "
              "FROM crypto_data_keys WHERE kek_id <> %s AND wrapped IS NOT NULL AND destroyed_at IS NULL{after} "
              "ORDER BY id LIMIT %s")
_PG_UPDATE = ("UPDATE crypto_data_keys AS d SET kek_id = %s, rewrapped_at = CURRENT_TIMESTAMP, "
              "wrapped = substring(%s::bytea from v.i * 60 + 1 for 60) "
              "FROM (SELECT i, encode(substring(%s::bytea from i * 16 + 1 for 16), 'hex')::uuid AS id "
              "      FROM generate_series(0, %s - 1) AS i) AS v "
              "WHERE d.id = v.id AND d.kek_id = %s AND d.wrapped IS NOT NULL AND d.destroyed_at IS NULL "
              "AND d.id BETWEEN encode(%s::bytea, 'hex')::uuid AND encode(%s::bytea, 'hex')::uuid")


def _raw_batches(session: Session, active: int, todo: Any, batch_size: int) -> Iterator[tuple[Sequence[Any], Any]]:
    # SQLite walks the table in rowid (storage) order: each batch then rewrites a contiguous run of pages. In id
    # order (random UUIDs) every batch touched nearly every page of the table, and each commit rewrote all of it.
    # The UPDATE matches id as well as rowid, so a renumbered rowid (VACUUM) can never rewrap another row.
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        first = _RAW_SELECT.format(p="?", key="rowid", after="")
        more = _RAW_SELECT.format(p="?", key="rowid", after=" AND rowid > ?")
    else:
        first = _PG_SELECT.format(after="")
        more = _PG_SELECT.format(after=" AND id > encode(%s::bytea, 'hex')::uuid")
    update = _RAW_UPDATE.format(p="?", key="rowid")

    def write_pg(conn: Any, params: list[tuple[Any, ...]]) -> None:
        by_old: dict[int, tuple[list[bytes], list[bytes]]] = {}
        for _new, wrapped, _key, dek_id, old in params:
            ids, keys = by_old.setdefault(old, ([], []))
            ids.append(dek_id)
            keys.append(wrapped)
        # The plan must stay a hash join over this batch's id range whatever the statistics say: right after a bulk
        # load (no ANALYZE yet) PostgreSQL estimated ~2 matching rows and chose a nested loop that re-ran the
        # generate_series side for each of 50,000 rows (minutes per batch). No nested loop + an id range = bounded.
        conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        for old, (ids, keys) in by_old.items():
            if any(len(k) != envelope.WRAPPED_LEN for k in keys) or any(len(i) != 16 for i in ids):
                raise CryptoError("internal error: unexpected wrapped key or id length")
            conn.exec_driver_sql(_PG_UPDATE, (params[0][0], b"".join(keys), b"".join(ids), len(ids), old,
                                              min(ids), max(ids)))

    last = None
    while True:
        conn = session.connection()
        if last is None:
            rows = conn.exec_driver_sql(first, (active, batch_size)).all()
        else:
            rows = conn.exec_driver_sql(more, (active, last, batch_size)).all()
        if not rows:
            return
        last = rows[-1][0]
        # The write takes the session's connection when it runs: in the pipelined rotation a commit (of the
        # previous batch) comes between this batch's read and its write.
        if sqlite:
            yield rows, lambda params: session.connection().exec_driver_sql(update, params)
        else:
            yield rows, lambda params: write_pg(session.connection(), params)


def _core_batches(session: Session, active: int, todo: Any, batch_size: int) -> Iterator[tuple[Sequence[Any], Any]]:
    update = (_DK.update()
              .where(_DK.c.id == sa.bindparam("b_id"), _DK.c.kek_id == sa.bindparam("b_old"),
                     _DK.c.wrapped.is_not(None), _DK.c.destroyed_at.is_(None))
              .values(kek_id=sa.bindparam("b_new"), wrapped=sa.bindparam("b_wrapped"), rewrapped_at=sa.func.now()))
    last: uuid.UUID | None = None
    while True:
        stmt = (sa.select(_DK.c.id.label("row_key"), _DK.c.id, _DK.c.owner_type, _DK.c.owner_id, _DK.c.kek_id,
                          _DK.c.wrapped).where(todo).order_by(_DK.c.id).limit(batch_size))
        if last is not None:
            stmt = stmt.where(_DK.c.id > last)
        rows = session.execute(stmt).all()
        if not rows:
            return
        last = rows[-1][0]

        def write(params: list[tuple[Any, ...]]) -> None:
            session.connection().execute(update, [{"b_new": n, "b_wrapped": w, "b_id": i, "b_old": o}
                                                  for n, w, _, i, o in params])
        yield rows, write


def retire_kek(session: Session, ctx: CryptoContext | None, kek_id: int, *, save: bool = True) -> None:
    """Destroy a KEK in the provider (key file or token) once no data key, live or destroyed-but-wrapped, uses it.

    Refused (KekInUse) while it is active or while any data key is still wrapped with it. ``save=False`` drops it
    from this process's ring only (tests). Records the retirement in ``crypto_keks`` (caller commits).
    """
    ctx = ctx or get_context()
    if kek_id == ctx.active_kek(session):
        raise KekInUse(f"KEK {kek_id} is the active KEK; run `keys rotate` first")
    ctx.kek_aead(kek_id)
    in_use = session.execute(sa.select(sa.func.count()).where(_DK.c.kek_id == kek_id,
                                                              _DK.c.wrapped.is_not(None))).scalar_one()
    if in_use:
        raise KekInUse(f"KEK {kek_id} still wraps {in_use} data keys; run `keys rotate` first")
    if save:
        ctx.provider.destroy(kek_id)
        ctx.reload_keks()
    else:
        ring = ctx.keyring
        if isinstance(ring, KeyRing):
            keep = [k for k in ring.ids if k != kek_id]
            active = ring.active_id if ring.active_id != kek_id else max(keep)
            ctx.material.keyring = KeyRing({k: ring.key(k) for k in keep}, active)
    session.execute(_KEKS.update().where(_KEKS.c.id == kek_id).values(retired_at=datetime.now(UTC)))


def save_key_material(ctx: CryptoContext) -> Path:
    path = ctx.material.source_path
    if path is None:
        raise KeyFileError("the keys came from an environment variable; update the secret store instead")
    write_key_file(path, ctx.material)
    return path


# --- crypto-shredding --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShredResult:
    """What was destroyed; the app writes its audit event from this (no key bytes, no personal data)."""

    owner_type: str
    owner_id: uuid.UUID
    dek_ids: list[uuid.UUID]
    destroyed_at: datetime
    reason: str | None
    cleared_indexes: dict[str, int] = field(default_factory=dict)   # "table.column" -> rows whose index was nulled
    already_destroyed: bool = False


def shred(session: Session, owner_type: str, owner_id: uuid.UUID, *, models: Iterable[type],
          reason: str | None = None, ctx: CryptoContext | None = None) -> ShredResult:
    """Destroy the owner's data key and null the blind indexes of every value encrypted under it.

    ``models``: the mapped classes to clear indexes in (e.g. ``crypto.encrypted_models(Base)``). Does not commit:
    the caller commits together with its audit event. Ciphertexts stay, unreadable (reading raises KeyDestroyed).
    """
    ctx = ctx or get_context()
    session.flush()
    rows = session.execute(sa.select(_DK.c.id, _DK.c.destroyed_at)
                           .where(_DK.c.owner_type == owner_type, _DK.c.owner_id == owner_id)).all()
    now = datetime.now(UTC)
    dek_ids = [r[0] for r in rows]
    already = bool(rows) and all(r[1] is not None for r in rows)
    if not dek_ids:
        # A tombstone key: the owner can never get a fresh data key, so erased data cannot quietly reappear.
        tomb = uuid.UUID(bytes=ctx.rng(16), version=4)
        session.execute(_DK.insert().values(id=tomb, owner_type=owner_type, owner_id=owner_id,
                                            kek_id=ctx.keyring.active_id, wrapped=None, created_at=now,
                                            destroyed_at=now, destroyed_reason=(reason or "")[:200] or None))
        dek_ids = [tomb]
    else:
        # SECURITY: the wrapped bytes are overwritten (NULL), not just flagged.
        session.execute(_DK.update().where(_DK.c.id.in_(dek_ids), _DK.c.destroyed_at.is_(None))
                        .values(wrapped=None, destroyed_at=now, destroyed_reason=(reason or "")[:200] or None))
    cleared: dict[str, int] = {}
    for cls, d in blind.indexed_fields(models):
        _, uid_col, ct_col = search_columns(cls, d)
        # The dek id sits at bytes 3..18 (1-based) of every ciphertext header; substr works on BLOB and bytea.
        header_dek = sa.func.substr(ct_col, 3, 16)
        uids = [r[0] for r in session.execute(sa.select(uid_col).where(header_dek.in_([i.bytes for i in dek_ids])))]
        scope = blind.scope_of(cls, d)
        # SECURITY: the erased rows' blind-index entries are deleted (found by their keyed tags, no value needed).
        cleared[scope] = blind.remove(session, ctx, scope, uids)
    # SECURITY: every process empties its key cache at its next transaction after this commits (crypto.context).
    counter = cast(sa.Table, ShredCounter.__table__)
    bumped = session.execute(counter.update().where(counter.c.id == 1).values(generation=counter.c.generation + 1))
    if not cast(sa.CursorResult[Any], bumped).rowcount:
        session.execute(counter.insert().values(id=1, generation=1))
    pending = session.info.get("crypto.pending_deks") or {}
    pending.pop((owner_type, owner_id), None)
    for dek_id in dek_ids:
        ctx.forget_dek(dek_id)
        pending.pop(dek_id.bytes, None)
    # SECURITY: drop plaintext cached on loaded instances and reload the nulled indexes.
    for obj in list(session.identity_map.values()):
        obj.__dict__.pop("_crypto_plain", None)
    session.expire_all()
    return ShredResult(owner_type, owner_id, dek_ids, now, reason, cleared, already)
