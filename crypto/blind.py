"""Blind indexes that cannot be joined into a fingerprint of a person (DESIGN.md §3 inv. 8, §4, §7 P9).

A row never carries its own blind indexes. Every indexed value is one entry in ``crypto_blind_indexes``::

    (scope, generation, bucket, id, pointer)
    scope      "table.column" of the ciphertext column, e.g. "persons.tckn_ct"
    bucket     top ``bits`` bits of HMAC-SHA256(index key of (table, column, key epoch), normalised value)
    id         HMAC-SHA256(tag key of (scope, generation), row uid)[:16]: looks random, unique per row and scope
    pointer    nonce ‖ AES-256-GCM(pointer key, row uid, aad = pack(domain, scope, generation, bucket))

So the entries of one person (name, TCKN, phone) share nothing a dump shows: no row id, no common column, no equal
bytes (each scope and generation has its own tag key; pointers have random nonces). The table's key is (scope,
generation, bucket, id), and on SQLite it is ``WITHOUT ROWID``: rows are stored in that order, not in insertion
order. PostgreSQL stores rows in a heap in insertion order, with the inserting transaction id (``xmin``) on each;
:func:`reindex` rewrites a scope in (bucket, id) order in batches of one scope each, so a dump taken after a
re-index has no insertion order left; entries written since the last re-index still have theirs (README, residual
leakage). Search: bucket → pointers → row uids → rows decrypted and compared (``crypto.search``), as before.

Generations: a scope's entries are built under one (key epoch, bits) pair, its generation. Widening an index (more
bits once the population grows, so a search at 10^6 persons still reads few candidates) or rotating its key builds a
new generation beside the active one (``building``: every write goes to both), then switches with one committed row
and deletes the old one. A scope with no recorded generation uses generation 1 = (lowest index key epoch in the
ring, the field's default bits).
"""

from __future__ import annotations

import hmac
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from crypto import envelope
from crypto.errors import CryptoError
from crypto.models import BlindIndexEntry, IndexGeneration

if TYPE_CHECKING:
    from crypto.context import CryptoContext
    from crypto.orm import Encrypted

TAG_DOMAIN = b"dayanisma/bidx-tag/v1"
POINTER_DOMAIN = b"dayanisma/bidx-pointer/v1"
MIN_BUCKET = 5        # persons per bucket on average, at least, when a width is chosen from the population
MIN_BITS = 8
MAX_BITS = 31

_IDX = cast(sa.Table, BlindIndexEntry.__table__)
_GEN = cast(sa.Table, IndexGeneration.__table__)
_GENS = "crypto.index_generations"


@dataclass(frozen=True)
class Generation:
    scope: str
    generation: int
    key_epoch: int
    bits: int
    state: str        # "active" (searched and written) or "building" (written only)


def scope_of(cls: type, descriptor: Encrypted[Any]) -> str:
    table, column, _ = descriptor.place(cls)
    return f"{table}.{column}"


def bits_for(population: int, min_bucket: int = MIN_BUCKET) -> int:
    """The widest index whose buckets still hold ``min_bucket`` values on average among ``population``."""
    if population <= 0:
        return MIN_BITS
    return max(MIN_BITS, min(MAX_BITS, int(math.floor(math.log2(population / min_bucket)))))


# --- keys ---


def _derive(ctx: CryptoContext, epoch: int, *info: bytes | str) -> bytes:
    cache = ctx._derived_keys
    key = cache.get((epoch, info))
    if key is None:
        key = HKDF(hashes.SHA256(), 32, salt=None, info=envelope.pack(*info)).derive(ctx.index_ring.key(epoch))
        cache[(epoch, info)] = key
    return key


def entry_id(ctx: CryptoContext, gen: Generation, uid: uuid.UUID) -> bytes:
    # SECURITY: a tag key per (scope, generation): the entries of one row in two scopes share no bytes.
    key = _derive(ctx, gen.key_epoch, TAG_DOMAIN, gen.scope, str(gen.generation), str(gen.key_epoch))
    return hmac.digest(key, uid.bytes, "sha256")[:16]


def _pointer_aead(ctx: CryptoContext, gen: Generation) -> AESGCM:
    cache = ctx._index_aeads
    aead = cache.get((gen.scope, gen.key_epoch))
    if aead is None:
        aead = cache[(gen.scope, gen.key_epoch)] = AESGCM(
            _derive(ctx, gen.key_epoch, POINTER_DOMAIN, gen.scope, str(gen.key_epoch)))
    return aead


def _pointer_aad(gen: Generation, bucket: int) -> bytes:
    return envelope.pack(POINTER_DOMAIN, gen.scope, str(gen.generation), str(bucket))


def entry(ctx: CryptoContext, gen: Generation, table: str, column: str, uid: uuid.UUID,
          normalised: str) -> dict[str, Any]:
    """The stored row of one indexed value."""
    bucket = ctx.blind_index(table, column, normalised, gen.bits, gen.key_epoch)
    nonce = ctx.rng(envelope.NONCE_LEN)
    # SECURITY: the pointer is bound to its scope, generation and bucket; random nonce, so equal uids never repeat.
    pointer = nonce + _pointer_aead(ctx, gen).encrypt(nonce, uid.bytes, _pointer_aad(gen, bucket))
    return {"scope": gen.scope, "generation": gen.generation, "bucket": bucket, "id": entry_id(ctx, gen, uid),
            "pointer": pointer}


def open_pointer(ctx: CryptoContext, gen: Generation, bucket: int, pointer: bytes) -> uuid.UUID | None:
    try:
        raw = _pointer_aead(ctx, gen).decrypt(pointer[:envelope.NONCE_LEN], pointer[envelope.NONCE_LEN:],
                                              _pointer_aad(gen, bucket))
    except (InvalidTag, ValueError):
        return None     # a pointer moved to another bucket or scope, or damaged: not a candidate
    return uuid.UUID(bytes=raw)


# --- generations ---


def generations(session: Session, ctx: CryptoContext, scope: str, default_bits: int) -> list[Generation]:
    """The scope's active generation first, then one being built (if any). Read once per transaction."""
    cached: dict[str, list[Generation]] | None = session.info.get(_GENS)
    if cached is None:
        cached = {}
        for row in session.execute(sa.select(_GEN.c.scope, _GEN.c.generation, _GEN.c.key_epoch, _GEN.c.bits,
                                             _GEN.c.state).where(_GEN.c.state.in_(("active", "building")))):
            cached.setdefault(row[0], []).append(Generation(*row))
        for gens in cached.values():
            gens.sort(key=lambda g: g.state != "active")
        session.info[_GENS] = cached
    found = cached.get(scope)
    if not found:
        return [Generation(scope, 1, ctx.index_ring.ids[0], default_bits, "active")]
    return found


def forget_generations(session: Session, *_: Any) -> None:
    session.info.pop(_GENS, None)


def _forget_on_begin(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_GENS, None)


for _name, _fn in (("after_transaction_create", _forget_on_begin), ("after_rollback", forget_generations)):
    if not sa.event.contains(Session, _name, _fn):
        sa.event.listen(Session, _name, _fn)


# --- writes ---


def write(session: Session, ctx: CryptoContext, cls: type, descriptor: Encrypted[Any], uid: uuid.UUID,
          normalised: str | None, *, is_new: bool) -> None:
    """Replace the entry of (row, column) by one for ``normalised`` (None: no entry) in every live generation."""
    assert descriptor.index is not None
    table, column, _ = descriptor.place(cls)
    scope = f"{table}.{column}"
    gens = generations(session, ctx, scope, descriptor.index.bits)
    conn = session.connection()
    if not is_new:
        ids = [entry_id(ctx, g, uid) for g in gens]
        conn.execute(_IDX.delete().where(_IDX.c.scope == scope, _IDX.c.id.in_(ids)))
    if normalised:
        conn.execute(_IDX.insert(), [entry(ctx, g, table, column, uid, normalised) for g in gens])


def remove(session: Session, ctx: CryptoContext, scope: str, uids: Sequence[uuid.UUID]) -> int:
    """Delete every entry (all generations, whatever their state) of these rows in ``scope``; returns how many."""
    if not uids:
        return 0
    gens = [Generation(scope, g, e, b, s) for g, e, b, s in session.execute(
        sa.select(_GEN.c.generation, _GEN.c.key_epoch, _GEN.c.bits, _GEN.c.state).where(_GEN.c.scope == scope))]
    if not any(g.generation == 1 for g in gens):
        gens.append(Generation(scope, 1, ctx.index_ring.ids[0], 1, "active"))
    deleted = 0
    for g in gens:
        if g.key_epoch not in ctx.index_ring:
            continue
        ids = [entry_id(ctx, g, uid) for uid in uids]
        for i in range(0, len(ids), 500):
            res = session.connection().execute(_IDX.delete().where(
                _IDX.c.scope == scope, _IDX.c.generation == g.generation, _IDX.c.id.in_(ids[i:i + 500])))
            deleted += cast(sa.CursorResult[Any], res).rowcount or 0
    return deleted


# --- reads ---


def candidates(session: Session, ctx: CryptoContext, cls: type, descriptor: Encrypted[Any],
               normalised: str) -> list[uuid.UUID]:
    """Row uids whose entry in the active generation has ``normalised``'s bucket (false positives included)."""
    assert descriptor.index is not None
    table, column, _ = descriptor.place(cls)
    gen = generations(session, ctx, f"{table}.{column}", descriptor.index.bits)[0]
    bucket = ctx.blind_index(table, column, normalised, gen.bits, gen.key_epoch)
    rows = session.execute(sa.select(_IDX.c.pointer).where(
        _IDX.c.scope == gen.scope, _IDX.c.generation == gen.generation, _IDX.c.bucket == bucket))
    # open_pointer for a whole bucket: the AEAD and the associated data (scope, generation, bucket) are the same for
    # every pointer of it, so they are made once here, not once per candidate.
    aead, aad, n = _pointer_aead(ctx, gen), _pointer_aad(gen, bucket), envelope.NONCE_LEN
    uids = []
    for (pointer,) in rows:
        pointer = bytes(pointer)
        try:
            raw = aead.decrypt(pointer[:n], pointer[n:], aad)
        except (InvalidTag, ValueError):
            continue    # a pointer moved to another bucket or scope, or damaged: not a candidate
        uids.append(uuid.UUID(bytes=raw))
    return uids


# --- re-index: a new generation built online, then switched ---


@dataclass(frozen=True)
class ReindexResult:
    scope: str
    generation: int
    bits: int
    key_epoch: int
    entries: int
    retired: int | None


def indexed_fields(models: Iterable[type]) -> list[tuple[type, Encrypted[Any]]]:
    from crypto.orm import encrypted_attributes

    return [(cls, d) for cls in models for d in encrypted_attributes(cls) if d.index is not None]


def reindex(session: Session, ctx: CryptoContext, cls: type, descriptor: Encrypted[Any], *, bits: int | None = None,
            key_epoch: int | None = None, batch_size: int = 2000, progress: Any = None) -> ReindexResult:
    """Build a new generation of one scope online, switch to it, delete the old one. Commits as it goes.

    ``bits``: default chosen from the number of stored values (:func:`bits_for`); ``key_epoch``: default the index
    ring's active epoch. Rows are visited in the order of their new entry id (pseudo-random, different per scope),
    and each batch is inserted sorted by (bucket, id): batches of two scopes never cover the same persons, and no
    batch's insertion order follows the rows' own. Writers add to the new generation as soon as it is recorded as
    ``building``; rows committed by a transaction older than that are caught by the passes that look for rows
    without an entry, repeated until none is left.
    """
    from crypto.orm import search_columns

    assert descriptor.index is not None
    table, column, _ = descriptor.place(cls)
    scope = f"{table}.{column}"
    pk, uid_col, ct_col = search_columns(cls, descriptor)
    session.commit()
    current = generations(session, ctx, scope, descriptor.index.bits)
    if any(g.state == "building" for g in current):
        building = next(g for g in current if g.state == "building")    # a killed re-index: resume it
        new = building
    else:
        population = session.execute(sa.select(sa.func.count()).where(ct_col.is_not(None))).scalar_one()
        number = (session.execute(sa.select(sa.func.max(_GEN.c.generation)).where(_GEN.c.scope == scope))
                  .scalar() or 1) + 1
        new = Generation(scope, number, key_epoch or ctx.index_ring.active_id,
                         bits or bits_for(population), "building")
        ctx.index_ring.key(new.key_epoch)
        now = datetime.now(UTC)
        if not session.execute(sa.select(_GEN.c.scope).where(_GEN.c.scope == scope)).first():
            # Record the implicit generation 1, so that the switch below has a row to retire.
            old = current[0]
            session.execute(_GEN.insert().values(scope=scope, generation=old.generation, key_epoch=old.key_epoch,
                                                 bits=old.bits, state="active", created_at=now, activated_at=now))
        session.execute(_GEN.insert().values(scope=scope, generation=new.generation, key_epoch=new.key_epoch,
                                             bits=new.bits, state="building", created_at=now))
        session.commit()
    forget_generations(session)
    normalise = descriptor.index.normalise
    written = 0
    for _ in range(5):      # pass 1 builds; later passes catch rows committed by older transactions
        have = {bytes(r[0]) for r in session.execute(sa.select(_IDX.c.id).where(
            _IDX.c.scope == scope, _IDX.c.generation == new.generation))}
        todo = [(entry_id(ctx, new, uid), key) for key, uid in session.execute(
            sa.select(pk, uid_col).where(ct_col.is_not(None)))]
        todo = sorted(t for t in todo if t[0] not in have)
        session.rollback()
        if not todo:
            break
        for i in range(0, len(todo), batch_size):
            keys = [key for _, key in todo[i:i + batch_size]]
            rows = session.execute(sa.select(uid_col, ct_col).where(pk.in_(keys))).all()
            ctx.preload(session, [blob for _, blob in rows])
            entries = []
            for uid, blob in rows:
                if blob is None:
                    continue
                try:
                    plain = ctx.decrypt_bound(session, descriptor.place(cls)[2], uid.bytes, blob, descriptor.kind)
                except CryptoError:
                    continue        # a shredded row has no entry
                value = normalise(plain) if plain is not None else None
                if value:
                    entries.append(entry(ctx, new, table, column, uid, value))
            entries.sort(key=lambda e: (e["bucket"], e["id"]))
            if entries:
                session.execute(_insert_ignore(session), entries)
            session.commit()
            written += len(entries)
            if progress is not None:
                progress(len(keys))
    # Switch: one committed change; then the old generation's entries go.
    old_gens = [g for g in current if g.state == "active"]
    session.execute(_GEN.update().where(_GEN.c.scope == scope, _GEN.c.state == "active")
                    .values(state="retired"))
    session.execute(_GEN.update().where(_GEN.c.scope == scope, _GEN.c.generation == new.generation)
                    .values(state="active", activated_at=datetime.now(UTC)))
    session.commit()
    forget_generations(session)
    for g in old_gens:
        while True:
            ids = [r[0] for r in session.execute(sa.select(_IDX.c.id).where(
                _IDX.c.scope == scope, _IDX.c.generation == g.generation).limit(batch_size))]
            if not ids:
                break
            session.execute(_IDX.delete().where(_IDX.c.scope == scope, _IDX.c.generation == g.generation,
                                                _IDX.c.id.in_(ids)))
            session.commit()
    # A row shredded while its batch was in flight could have had its entry written after the shred removed it.
    destroyed = _rows_with_destroyed_keys(session, cls, pk, uid_col, ct_col)
    if destroyed:
        remove(session, ctx, scope, destroyed)
        session.commit()
    return ReindexResult(scope, new.generation, new.bits, new.key_epoch, written,
                         old_gens[0].generation if old_gens else None)


def _rows_with_destroyed_keys(session: Session, cls: type, pk: Any, uid_col: Any, ct_col: Any) -> list[uuid.UUID]:
    from crypto.models import DataKey

    dk = cast(sa.Table, DataKey.__table__)
    destroyed = {r[0].bytes for r in session.execute(sa.select(dk.c.id).where(dk.c.destroyed_at.is_not(None)))}
    if not destroyed:
        return []
    header = sa.func.substr(ct_col, 3, 16)
    out = []
    chunk = list(destroyed)
    for i in range(0, len(chunk), 500):
        out += [r[0] for r in session.execute(sa.select(uid_col).where(header.in_(chunk[i:i + 500])))]
    return out


def _insert_ignore(session: Session) -> Any:
    # Idempotent: a writer (or an earlier pass) that already wrote the row's entry in this generation wins.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(_IDX).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_IDX).on_conflict_do_nothing()


def insert_entries(session: Session, rows: list[dict[str, Any]], chunk: int = 20_000) -> None:
    """Bulk loaders (demo generate): entries made with :func:`entry`, inserted in (bucket, id) order."""
    rows = sorted(rows, key=lambda e: (e["scope"], e["generation"], e["bucket"], e["id"]))
    for i in range(0, len(rows), chunk):
        session.execute(sa.insert(_IDX), rows[i:i + chunk])
