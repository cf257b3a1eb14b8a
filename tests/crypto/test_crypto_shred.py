"""Crypto-shredding: the owner's data key is destroyed, its values are unreadable and unsearchable, others are not."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from conftest import Case, Person, Tiny
from sqlalchemy.orm import Session

import crypto
from crypto.models import DataKey


def test_shredded_case_is_unreadable_and_unsearchable(session: Session, engine: sa.Engine,
                                                      ctx: crypto.CryptoContext) -> None:
    gone, kept = Case(title="silinecek"), Case(title="kalacak")
    pg = Person(case_public_id=gone.public_id, full_name="Ayşe Yılmaz", tckn="10000000146", phone="05321234567")
    pk = Person(case_public_id=kept.public_id, full_name="Ayşe Yılmaz", phone="05321234567")
    session.add_all([gone, kept, pg, pk])
    session.commit()
    assert pg.full_name == "Ayşe Yılmaz"      # plaintext cached on the instance before shredding

    result = crypto.shred(session, "case", gone.public_id, models=crypto.encrypted_models(Case.__mro__[1]) or
                          [Case, Person, Tiny], reason="KVKK başvurusu")
    session.commit()
    assert result.owner_type == "case" and result.owner_id == gone.public_id and len(result.dek_ids) == 1
    assert result.cleared_indexes["t_persons.full_name_ct"] == 1
    assert result.cleared_indexes["t_persons.tckn_ct"] == 1 and not result.already_destroyed
    assert "KVKK" in (result.reason or "")

    key = session.get(DataKey, result.dek_ids[0])
    assert key is not None and key.wrapped is None and key.destroyed_at is not None
    with pytest.raises(crypto.KeyDestroyed):
        _ = pg.full_name                      # same session: cached plaintext was dropped
    ctx.clear_cache()
    with Session(engine) as s:
        p = s.get(Person, pg.id)
        assert p is not None and p.full_name_ct is not None          # ciphertext stays, unreadable
        assert all(crypto.index_buckets(s, Person, n, p.public_id) == [] for n in ("full_name", "tckn", "phone"))
        for attr in ("full_name", "tckn", "phone"):
            with pytest.raises(crypto.KeyDestroyed):
                getattr(p, attr)
        with pytest.raises(crypto.KeyDestroyed):
            _ = s.get(Case, gone.id).title  # type: ignore[union-attr]
        assert crypto.search(s, Person.full_name, "ayse yilmaz") == [s.get(Person, pk.id)]
        assert crypto.search(s, Person.tckn, "10000000146") == []
        assert s.get(Case, kept.id).title == "kalacak"  # type: ignore[union-attr]


def test_other_process_stops_decrypting_once_the_erasure_commits(session: Session, engine: sa.Engine,
                                                                 ctx: crypto.CryptoContext) -> None:
    case = Case(title="x")
    session.add(case)
    session.commit()
    other_process = crypto.CryptoContext(ctx.material)
    with Session(engine) as s:
        assert case.title_ct is not None
        assert other_process.decrypt(s, "t_cases", "title_ct", case.public_id, case.title_ct) == "x"
    blob, uid = case.title_ct, case.public_id
    crypto.shred(session, "case", case.public_id, models=[Case])
    session.commit()
    # Well within its TTL, the other process's next transaction (every request begins one) sees that an erasure
    # committed and drops its cached keys: the destroyed key is not loaded again.
    assert other_process._by_id, "the other process holds the key in its cache"
    with Session(engine) as s, s.begin():
        s.connection()
        with pytest.raises(crypto.KeyDestroyed):
            other_process.decrypt(s, "t_cases", "title_ct", uid, blob)
    # A process whose transaction began before the erasure committed is not interrupted; a later one is.


def test_shredded_owner_cannot_get_new_data(session: Session, ctx: crypto.CryptoContext) -> None:
    owner = uuid.uuid4()
    result = crypto.shred(session, "case", owner, models=[Person])   # never had a key: a tombstone is written
    session.commit()
    assert len(result.dek_ids) == 1
    session.add(Person(case_public_id=owner, full_name="yeni"))
    with pytest.raises(crypto.KeyDestroyed):
        session.flush()
    session.rollback()
    again = crypto.shred(session, "case", owner, models=[Person])
    assert again.already_destroyed


def test_shred_inside_the_creating_transaction(session: Session, ctx: crypto.CryptoContext) -> None:
    case = Case(title="x")
    session.add(case)
    session.flush()
    crypto.shred(session, "case", case.public_id, models=[Case])
    with pytest.raises(crypto.KeyDestroyed):
        _ = case.title
    session.add(Case(public_id=uuid.uuid4(), title="other"))
    session.commit()


def test_user_owner_for_one_off_values(session: Session, ctx: crypto.CryptoContext) -> None:
    user = uuid.uuid4()
    blob = ctx.encrypt(session, ("user", user), "users", "totp_secret_ct", user, "JBSWY3DPEHPK3PXP")
    session.commit()
    assert ctx.decrypt(session, "users", "totp_secret_ct", user, blob) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(crypto.DecryptionError):
        ctx.decrypt(session, "users", "totp_secret_ct", uuid.uuid4(), blob)
    crypto.shred(session, "user", user, models=[])
    with pytest.raises(crypto.KeyDestroyed):
        ctx.decrypt(session, "users", "totp_secret_ct", user, blob)
