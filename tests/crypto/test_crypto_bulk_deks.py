"""CryptoContext.create_deks: many data keys in one executemany, usable at once, readable after commit, never
duplicated, forgotten on rollback, refused inside a savepoint."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import crypto
from crypto.envelope import aad_prefix
from tests.crypto.conftest import Case, Person

_DK = crypto.DataKey.__table__


def _count_keys(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_DK)) or 0


def _insert_person(session: Session, ctx: crypto.CryptoContext, case_uid: uuid.UUID, name: str) -> uuid.UUID:
    """A person row written with Core, its ciphertext and blind index computed by hand (the bulk loader's way)."""
    d = Person.full_name.descriptor
    table, column, prefix = d.place(Person)
    uid = uuid.uuid4()
    session.execute(sa.insert(Person.__table__), [{
        "public_id": uid, "case_public_id": case_uid,
        "full_name_ct": ctx.encrypt_bound(session, ("case", case_uid), prefix, uid.bytes, name),
    }])
    gens = crypto.blind.generations(session, ctx, f"{table}.{column}", d.index.bits)  # type: ignore[union-attr]
    crypto.blind.insert_entries(session, [crypto.blind.entry(ctx, g, table, column, uid,
                                                             d.index.normalise(name)) for g in gens])  # type: ignore[union-attr]
    return uid


def test_bulk_keys_encrypt_now_and_decrypt_after_commit(engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    owners = [("case", uuid.uuid4()) for _ in range(1200)]   # more than one chunk
    statements: list[str] = []

    def spy(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", spy)
    with Session(engine) as session:
        try:
            handles = ctx.create_deks(session, owners)
        finally:
            sa.event.remove(engine, "before_cursor_execute", spy)
        inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO CRYPTO_DATA_KEYS")]
        assert len(inserts) == 2      # 1000 + 200: one executemany per chunk, not one statement per key
        assert set(handles) == set(owners) and len({h.dek_id for h in handles.values()}) == 1200
        # usable in this session before commit, found by owner like any key made by dek_for_owner
        assert ctx.dek_for_owner(session, owners[0]) is handles[owners[0]]
        uids = [_insert_person(session, ctx, owner[1], f"Ayşe İnce {n}") for n, owner in enumerate(owners[:3])]
        session.commit()
    ctx.clear_cache()
    with Session(engine) as session:
        assert _count_keys(session) == 1200
        rows = session.execute(sa.select(_DK.c.owner_type, _DK.c.owner_id, _DK.c.kek_id, _DK.c.wrapped)).all()
        assert {(t, o) for t, o, _, _ in rows} == set(owners)
        assert {k for _, _, k, _ in rows} == {ctx.keyring.active_id}
        assert all(w is not None and len(w) == 60 for _, _, _, w in rows)
        # the ORM reads the bulk-written values, and search finds them through the blind index
        people = session.scalars(sa.select(Person).where(Person.public_id.in_(uids)).order_by(Person.id)).all()
        assert [p.full_name for p in people] == ["Ayşe İnce 0", "Ayşe İnce 1", "Ayşe İnce 2"]
        found = crypto.search(session, Person.full_name, "AYŞE İNCE 1")
        assert [p.public_id for p in found] == [uids[1]]


def test_ciphertexts_are_bound_like_orm_ones(session: Session, ctx: crypto.CryptoContext) -> None:
    owner = ("case", uuid.uuid4())
    ctx.create_deks(session, [owner])
    uid = _insert_person(session, ctx, owner[1], "Gülizar Işık")
    session.commit()
    blob = session.scalar(sa.select(Person.full_name_ct).where(Person.public_id == uid))
    assert ctx.decrypt(session, "t_persons", "full_name_ct", uid, blob) == "Gülizar Işık"
    with pytest.raises(crypto.DecryptionError):   # moved to another row: refused
        ctx.decrypt_bound(session, aad_prefix("t_persons", "full_name_ct", "str"), uuid.uuid4().bytes, blob)


def test_existing_or_repeated_owner_refused_before_writing(session: Session, ctx: crypto.CryptoContext) -> None:
    case = Case(title="Şule")
    session.add(case)
    session.commit()                                   # this owner has a key (made by the ORM path)
    new = ("case", uuid.uuid4())
    with pytest.raises(crypto.CryptoError, match="already has"):
        ctx.create_deks(session, [new, ("case", case.public_id)])
    with pytest.raises(crypto.CryptoError, match="twice"):
        ctx.create_deks(session, [new, ("case", uuid.UUID(str(new[1])))])
    pending_owner = ("case", uuid.uuid4())
    ctx.dek_for_owner(session, pending_owner)          # created, not committed yet
    with pytest.raises(crypto.CryptoError, match="already has"):
        ctx.create_deks(session, [pending_owner])
    for bad in [("case", "not-a-uuid"), ("", uuid.uuid4()), ("x" * 33, uuid.uuid4()), "case"]:
        with pytest.raises(crypto.CryptoError):
            ctx.create_deks(session, [bad])  # type: ignore[list-item]
    session.rollback()
    assert _count_keys(session) == 1                   # only the committed case's key
    assert ctx.create_deks(session, []) == {}


def test_rollback_forgets_the_keys(session: Session, ctx: crypto.CryptoContext) -> None:
    owner = ("case", uuid.uuid4())
    ctx.create_deks(session, [owner])
    session.rollback()
    assert _count_keys(session) == 0
    # not usable any more: a new key is made (and it is a different one)
    with pytest.raises(crypto.UnknownKey):
        ctx.dek_for_owner(session, owner, create=False)


def test_refused_inside_a_savepoint(session: Session, ctx: crypto.CryptoContext) -> None:
    session.execute(sa.select(1))
    with session.begin_nested():
        with pytest.raises(crypto.CryptoError, match="savepoint"):
            ctx.create_deks(session, [("case", uuid.uuid4())])
    session.rollback()
    assert _count_keys(session) == 0
