"""The fast paths kept every security property: AAD binding on a cache hit, fresh nonces (batched, fork-safe), precise
errors for malformed blobs, the rotation's binding checks, and the preloaded keys behaving like loaded ones."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from conftest import Case, Person
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

import crypto
from crypto import envelope, legacy
from crypto.keys import add_kek
from crypto.models import DataKey

PREFIX = envelope.aad_prefix("persons", "full_name_ct", "str")


def _cached_blob(session: Session, ctx: crypto.CryptoContext, value: str = "Ayşe Yılmaz") -> tuple[bytes, bytes]:
    uid = uuid.uuid4().bytes
    blob = ctx.encrypt_bound(session, ("case", uuid.uuid4()), PREFIX, uid, value)
    session.commit()    # the key is now in the shared cache: decrypt_bound takes its fast path
    return blob, uid


def test_fast_path_ciphertext_is_the_documented_format(session: Session, ctx: crypto.CryptoContext) -> None:
    blob, uid = _cached_blob(session, ctx)
    assert blob[:2] == b"\x02\x01" and len(blob) == 30 + len("Ayşe Yılmaz".encode()) + 16
    # Rebuild the data key from the database with the documented wrap (AES-GCM under the KEK, AAD = pack(DEK_DOMAIN,
    # kek id, dek id, owner)), not through the context's cache: the bytes must follow the documented layout alone.
    row = session.execute(sa.select(DataKey).where(DataKey.id == uuid.UUID(bytes=blob[2:18]))).scalar_one()
    aad = envelope.pack(envelope.DEK_DOMAIN, str(row.kek_id), row.id.bytes, row.owner_type, row.owner_id.bytes)
    assert row.wrapped is not None
    dek = AESGCM(ctx.keyring.key(row.kek_id)).decrypt(row.wrapped[:12], row.wrapped[12:], aad)   # type: ignore[attr-defined]
    # An independent decryption with the documented v2 AAD (column prefix || row uid) succeeds ...
    assert AESGCM(dek).decrypt(blob[18:30], blob[30:], PREFIX + uid) == "Ayşe Yılmaz".encode()
    assert envelope.decrypt_field(AESGCM(dek), PREFIX, uid, blob) == "Ayşe Yılmaz".encode()
    # ... a random key fails (the check above is not vacuous) ...
    with pytest.raises(crypto.DecryptionError):
        envelope.decrypt_field(AESGCM(os.urandom(32)), PREFIX, uid, blob)
    # ... and without the row uid or the prefix in the AAD it fails: both are bound.
    with pytest.raises(crypto.DecryptionError):
        envelope.decrypt_field(AESGCM(dek), envelope.aad_prefix("", "", "str"), uid, blob)
    with pytest.raises(crypto.DecryptionError):
        envelope.decrypt_field(AESGCM(dek), PREFIX, b"", blob)


def test_cache_hit_still_checks_row_column_kind_and_header(session: Session, ctx: crypto.CryptoContext) -> None:
    blob, uid = _cached_blob(session, ctx)
    assert ctx.decrypt_bound(session, PREFIX, uid, blob) == "Ayşe Yılmaz"
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, PREFIX, uuid.uuid4().bytes, blob)        # moved to another row
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, envelope.aad_prefix("persons", "phone_ct", "str"), uid, blob)   # another column
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, envelope.aad_prefix("persons", "full_name_ct", "json"), uid, blob, "json")
    for i in range(len(blob)):          # every byte: version, algorithm, dek id, nonce, body, tag
        tampered = bytearray(blob)
        tampered[i] ^= 1
        # A flipped dek id byte names a key that does not exist (UnknownKey); everything else fails to decrypt.
        with pytest.raises((crypto.DecryptionError, crypto.UnknownKey)):
            ctx.decrypt_bound(session, PREFIX, uid, bytes(tampered))
    for bad in (b"\x03" + blob[1:], blob[:1] + b"\x02" + blob[2:]):         # unknown version / algorithm
        with pytest.raises(crypto.DecryptionError, match="unknown ciphertext"):
            ctx.decrypt_bound(session, PREFIX, uid, bad)


def test_dek_id_pointing_at_another_owners_key_fails(session: Session, ctx: crypto.CryptoContext) -> None:
    mine, uid = _cached_blob(session, ctx, "benim")
    theirs, _ = _cached_blob(session, ctx, "onların")
    swapped = mine[:2] + theirs[2:18] + mine[18:]       # my value, relabelled with their (cached) key's id
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, PREFIX, uid, swapped)


def test_values_in_format_v1_are_never_read(session: Session, ctx: crypto.CryptoContext) -> None:
    """Format v1 is retired: a valid v1 value is refused on every read path, cached key or not, before its key is
    used (only crypto.legacy reads it, for `keys upgrade-format`)."""
    owner = ("case", uuid.uuid4())
    handle = ctx.dek_for_owner(session, owner)
    session.commit()
    uid = uuid.uuid4()
    old = legacy.encrypt_field_v1(handle.aead, handle.dek_id_bytes, "persons", "full_name_ct", uid.bytes,
                                  legacy.encode_tagged("str", "Ayşe Yılmaz"))
    for _ in range(2):
        with pytest.raises(crypto.RetiredFormat):
            ctx.decrypt_bound(session, PREFIX, uid.bytes, old)
        with pytest.raises(crypto.RetiredFormat):
            ctx.decrypt(session, "persons", "full_name_ct", uid, old)
        ctx.clear_cache()
    assert ctx.preload(session, [old]) == 0          # no key is loaded for a retired value


@pytest.mark.parametrize("cut", [18, 20, 29, 30, 45])
def test_truncated_blob_with_a_cached_key_is_a_decryption_error(session: Session, ctx: crypto.CryptoContext,
                                                                cut: int) -> None:
    blob, uid = _cached_blob(session, ctx)
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, PREFIX, uid, blob[:cut])


@pytest.mark.parametrize("bad", [None, "text", 5, b""])
def test_non_bytes_blob_is_a_decryption_error(session: Session, ctx: crypto.CryptoContext, bad: object) -> None:
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt_bound(session, PREFIX, uuid.uuid4().bytes, bad)  # type: ignore[arg-type]


def test_buffer_types_and_lone_surrogates_round_trip(session: Session, ctx: crypto.CryptoContext) -> None:
    for value in ("\ud800 yalnız", "", "İı" * 300):
        blob, uid = _cached_blob(session, ctx, value)
        for form in (blob, bytearray(blob), memoryview(blob)):
            assert ctx.decrypt_bound(session, PREFIX, uid, form) == value  # type: ignore[arg-type]


def test_empty_values_round_trip_and_stay_distinct_from_missing(session: Session, ctx: crypto.CryptoContext) -> None:
    blob, uid = _cached_blob(session, ctx, "")
    assert len(blob) == 30 + 16 and ctx.decrypt_bound(session, PREFIX, uid, blob) == ""
    handle = ctx.dek_by_id(session, blob[2:18])
    # An empty plaintext under an int column is not an int: a clear DecryptionError, never 0 or an IndexError.
    prefix = envelope.aad_prefix("persons", "age_ct", "int")
    empty = envelope.encrypt_field(handle.aead, handle.dek_id_bytes, prefix, uid, b"", os.urandom)
    with pytest.raises(crypto.DecryptionError, match="not a valid int"):
        ctx.decrypt_bound(session, prefix, uid, empty, "int")


def test_expired_keys_are_swept_when_a_transaction_begins(engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    with Session(engine) as s:
        blob, uid = _cached_blob(s, ctx, "süre")
    assert ctx._by_id and ctx.sweep() == 0               # nothing due yet
    now = ctx.clock()
    ctx.clock = lambda: now + ctx.dek_ttl + 1            # the TTL has passed ...
    assert ctx.decrypt_bound(None, PREFIX, uid, blob) == "süre"     # ... but no transaction has begun yet
    with Session(engine) as s, s.begin():                # a request begins its transaction: the key is dropped
        assert not ctx._by_id and not ctx._by_owner
        with pytest.raises(crypto.UnknownKey):
            ctx.decrypt_bound(None, PREFIX, uid, blob)   # not cached, no session to load it from
        assert ctx.decrypt_bound(s, PREFIX, uid, blob) == "süre"   # unwrapped again, cached afresh
    assert ctx._next_expiry == now + 2 * ctx.dek_ttl + 1


def test_nonces_are_fresh_and_the_injected_rng_is_still_used(session: Session, ctx: crypto.CryptoContext) -> None:
    owner = ("case", uuid.uuid4())
    nonces = {ctx.encrypt_bound(session, owner, PREFIX, b"u" * 16, "x")[18:30] for _ in range(3000)}
    assert len(nonces) == 3000
    fixed = crypto.CryptoContext(crypto.generate_key_material(), rng=lambda n: b"\x22" * n)
    assert fixed.next_nonce() == b"\x22" * 12        # known-answer tests inject the RNG: never batched


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_reuses_the_parents_buffered_nonces(ctx: crypto.CryptoContext) -> None:
    ctx.next_nonce()                     # fill the pool in the parent
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                         # child: report its next nonces, then leave at once
        os.close(read)
        os.write(write, b"".join(ctx.next_nonce() for _ in range(50)))
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    child = {data[i:i + 12] for i in range(0, len(data), 12)}
    parent = {ctx.next_nonce() for _ in range(50)}
    assert len(child) == 50 and not child & parent


def test_search_preloads_keys_and_returns_verified_objects(session: Session, engine: sa.Engine,
                                                           ctx: crypto.CryptoContext) -> None:
    cases = [Case(title=f"dosya {i}") for i in range(6)]
    session.add_all(cases)
    session.flush()
    for i, c in enumerate(cases):
        session.add(Person(case_public_id=c.public_id, full_name="Ayşe Yılmaz" if i % 2 else f"Kişi {i}"))
    session.commit()
    ctx.clear_cache()
    queries: list[str] = []

    def count(*args: object) -> None:
        queries.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            found = crypto.search(s, Person.full_name, "AYSE YILMAZ")
            assert sorted(p.full_name for p in found) == ["Ayşe Yılmaz"] * 3
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    key_queries = [q for q in queries if "crypto_data_keys" in q]
    assert len(key_queries) == 1, key_queries   # all candidates' keys in one query, none per row


def test_search_with_a_limit_unwraps_only_the_keys_it_needs_and_keeps_the_newest(
        session: Session, engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    """A name shared by many people: with ``limit`` the search stops once it has that many verified matches, and
    unwraps the data keys of the candidates it examines only (not of every namesake); the matches kept are the
    newest rows, the same on every call."""
    cases = [Case(title=f"dosya {i}") for i in range(24)]
    session.add_all(cases)
    session.flush()
    for i, c in enumerate(cases):
        session.add(Person(case_public_id=c.public_id, full_name="Ayşe Yılmaz" if i % 6 else f"Kişi {i}"))
    session.commit()
    namesakes = sorted(session.scalars(sa.select(Person.id).where(Person.full_name_ct.is_not(None))).all())
    ids = {p.id for p in session.scalars(sa.select(Person)) if p.full_name == "Ayşe Yılmaz"}
    assert len(ids) == 20 and set(namesakes) >= ids
    newest = sorted(ids, reverse=True)[:3]
    for _ in range(2):
        ctx.clear_cache()
        with Session(engine) as s:
            found = crypto.search(s, Person.full_name, "AYSE YILMAZ", limit=3)
            assert [p.id for p in found] == newest
            assert all(p.full_name == "Ayşe Yılmaz" for p in found)
            assert len(ctx._by_id) < len(ids)   # not one key per namesake (3 + crypto.orm._MARGIN)
    ctx.clear_cache()
    with Session(engine) as s:   # without a limit: every namesake, newest first, keys still in one query
        assert [p.id for p in crypto.search(s, Person.full_name, "ayşe yılmaz")] == sorted(ids, reverse=True)
        assert len(ctx._by_id) >= 20   # every namesake examined
        assert crypto.search(s, Person.full_name, "ayşe yılmaz", limit=0) == []


def test_list_page_keys_are_loaded_in_one_query(session: Session, engine: sa.Engine,
                                                ctx: crypto.CryptoContext) -> None:
    cases = [Case(title=f"dosya {i}") for i in range(8)]
    session.add_all(cases)
    session.commit()
    ctx.clear_cache()
    with Session(engine) as s:
        rows = s.scalars(sa.select(Case).order_by(Case.id)).all()
        queries: list[str] = []

        def count(*args: object) -> None:
            queries.append(str(args[2]))

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert [c.title for c in rows] == [f"dosya {i}" for i in range(8)]
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(queries) == 1 and "crypto_data_keys" in queries[0]


def test_preload_never_resurrects_a_destroyed_key(session: Session, engine: sa.Engine,
                                                  ctx: crypto.CryptoContext) -> None:
    keep, gone = Case(title="kalır"), Case(title="silinir")
    session.add_all([keep, gone])
    session.commit()
    crypto.shred(session, "case", gone.public_id, models=[Case], ctx=ctx)
    session.commit()
    ctx.clear_cache()
    with Session(engine) as s:
        rows = {c.public_id: c for c in s.scalars(sa.select(Case))}
        assert rows[keep.public_id].title == "kalır"
        with pytest.raises(crypto.KeyDestroyed):
            _ = rows[gone.public_id].title


def test_rotation_fast_path_refuses_a_key_swapped_between_owners(session: Session, engine: sa.Engine,
                                                                 ctx: crypto.CryptoContext) -> None:
    c1, c2, c3 = Case(title="bir"), Case(title="iki"), Case(title="üç")
    session.add_all([c1, c2, c3])
    session.commit()
    k1, k2 = session.scalars(sa.select(DataKey).order_by(DataKey.created_at).limit(2)).all()
    w1, w2 = k1.wrapped, k2.wrapped
    with engine.begin() as conn:
        conn.execute(sa.update(DataKey).where(DataKey.id == k1.id).values(wrapped=w2))
        conn.execute(sa.update(DataKey).where(DataKey.id == k2.id).values(wrapped=w1))
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)
    session.expire_all()
    with pytest.raises(crypto.DecryptionError, match="unwrap"):
        crypto.rotate_keks(session, ctx, batch_size=10)
    session.rollback()
    # Nothing of the failed batch was written: every key is still on KEK 1.
    assert set(session.scalars(sa.select(DataKey.kek_id))) == {1}


def test_rotation_fast_path_rewraps_readably(session: Session, engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    cases = [Case(title=f"dosya {i}") for i in range(7)]
    session.add_all(cases)
    session.commit()
    before = {k.id: k.wrapped for k in session.scalars(sa.select(DataKey))}
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)
    result = crypto.rotate_keks(session, ctx, batch_size=3)
    assert (result.rewrapped, result.batches) == (7, 3)
    session.expire_all()
    keys = session.scalars(sa.select(DataKey)).all()
    assert {k.kek_id for k in keys} == {2} and all(before[k.id] != k.wrapped for k in keys)
    # The new wraps are bound to (KEK 2, dek id, owner): check one independently of the rotation code.
    k = keys[0]
    aad = envelope.dek_aad(2, k.id, k.owner_type, k.owner_id)
    assert len(AESGCM(ctx.keyring.key(2)).decrypt(k.wrapped[:12], k.wrapped[12:], aad)) == 32
    ctx.clear_cache()
    with Session(engine) as s:
        assert sorted(c.title for c in s.scalars(sa.select(Case))) == sorted(f"dosya {i}" for i in range(7))


def test_preload_never_shares_an_uncommitted_key(session: Session, engine: sa.Engine,
                                                 ctx: crypto.CryptoContext) -> None:
    case = Case(title="geçici")
    session.add(case)
    session.flush()
    session.add(Person(case_public_id=case.public_id, full_name="Elif Demir"))
    session.flush()
    blob = case.title_ct
    assert blob is not None
    assert ctx.preload(session, [blob]) == 0
    assert crypto.search(session, Person.full_name, "elif demir")[0].full_name == "Elif Demir"
    session.rollback()
    # Nothing of the rolled-back key reached the shared cache: another session cannot use it.
    assert blob[:18] not in ctx._by_id
    assert not any(h.owner == ("case", case.public_id) for h in ctx._by_owner.values())


def test_raw_fork_never_reuses_the_parents_nonces(session: Session, ctx: crypto.CryptoContext) -> None:
    """A raw fork() (uWSGI without lazy-apps, embedders) runs no Python fork hooks: the child inherits the parent's
    nonce pool as it was. Emulated by putting the pool back in the child; it must draw its own nonces anyway."""
    blob, uid = _cached_blob(session, ctx)
    inherited = list(ctx._nonce_pool)
    assert len(inherited) > 10
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # pragma: no cover (child)
        try:
            ctx._nonce_pool = list(inherited)       # what a raw fork leaves behind
            nonces = [ctx.encrypt_bound(session, ("case", uuid.uuid4()), PREFIX, uid, "x")[18:30] for _ in range(3)]
            os.write(write, b"".join(nonces))
        finally:
            os._exit(0)
    os.close(write)
    data = os.read(read, 36)
    os.waitpid(pid, 0)
    os.close(read)
    assert len(data) == 36
    assert not {data[i:i + 12] for i in range(0, 36, 12)} & set(inherited)
