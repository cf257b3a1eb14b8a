"""Format v1 lives only in crypto.legacy: its known answer, its bindings, and `upgrade_format`, which rewrites every
v1 value as v2 under the same data key (ORM attributes and registered one-off columns), in batches, resumable, with
a dry run that changes nothing; shredded and tampered values are counted and left alone."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from conftest import MODELS, Case, Person
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

import crypto
from crypto import envelope, legacy
from crypto.errors import DecryptionError

DEK = bytes(range(32))
DEK_ID = bytes([0x11]) * 16
UID = uuid.UUID("00000000-0000-4000-8000-000000000001")
KAT_FIELD_V1 = ("0101" + "11" * 16 + "22" * 12 + "0e554703f195443de481da0b24cefcebeeabc84b68aa")
KAT_PREFIX_V1 = ("03000000" "1200000000000000" + b"dayanisma/field/v1".hex() + "0700000000000000" + b"persons".hex()
                 + "0c00000000000000" + b"full_name_ct".hex())


def test_v1_known_answer() -> None:
    blob = legacy.encrypt_field_v1(AESGCM(DEK), DEK_ID, "persons", "full_name_ct", UID.bytes,
                                   legacy.encode_tagged("str", "Ayşe"), lambda n: b"\x22" * n)
    assert blob.hex() == KAT_FIELD_V1
    assert legacy.aad_prefix_v1("persons", "full_name_ct").hex() == KAT_PREFIX_V1
    # The documented v1 layout: AAD = header || pack(domain, table, column) || row uid, plaintext = tag + UTF-8.
    assert AESGCM(DEK).decrypt(b"\x22" * 12, blob[30:], blob[:30] + bytes.fromhex(KAT_PREFIX_V1) + UID.bytes) \
        == b"s" + "Ayşe".encode()
    assert legacy.decrypt_field_v1(AESGCM(DEK), "persons", "full_name_ct", "str", UID.bytes, blob) == "Ayşe".encode()


def test_v1_bindings() -> None:
    aead = AESGCM(DEK)
    blob = legacy.encrypt_field_v1(aead, DEK_ID, "persons", "full_name_ct", UID.bytes,
                                   legacy.encode_tagged("str", "12"))
    for table, column, kind, uid in (("persons", "full_name_ct", "str", uuid.uuid4()),
                                     ("persons", "phone_ct", "str", UID), ("contacts", "full_name_ct", "str", UID)):
        with pytest.raises(DecryptionError, match="authentication"):
            legacy.decrypt_field_v1(aead, table, column, kind, uid.bytes, blob)
    with pytest.raises(DecryptionError, match="type tag"):
        legacy.decrypt_field_v1(aead, "persons", "full_name_ct", "int", UID.bytes, blob)
    tampered = blob[:-1] + bytes((blob[-1] ^ 1,))
    with pytest.raises(DecryptionError):
        legacy.decrypt_field_v1(aead, "persons", "full_name_ct", "str", UID.bytes, tampered)


def _to_v1(session: Session, ctx: crypto.CryptoContext, obj: object, name: str, value: object) -> bytes:
    """Overwrite one stored value with its v1 form (as a database written before v2 would hold it)."""
    cls = type(obj)
    d = cls.__dict__[name]
    table, column, _ = d.place(cls)
    blob = getattr(obj, d.ct_attr)
    handle = ctx.dek_by_id(session, blob[2:18])
    old = legacy.encrypt_field_v1(handle.aead, handle.dek_id_bytes, table, column, obj.public_id.bytes,  # type: ignore[attr-defined]
                                  legacy.encode_tagged(d.kind, value))
    session.execute(sa.update(cls).where(cls.id == obj.id).values({d.ct_attr: old}))  # type: ignore[attr-defined]
    return old


def _stored(session: Session, column: sa.ColumnElement[bytes], pk: int, model: type) -> bytes:
    return bytes(session.execute(sa.select(column).where(model.id == pk)).scalar_one())  # type: ignore[attr-defined]


def test_upgrade_rewrites_every_v1_value_as_v2(session: Session, ctx: crypto.CryptoContext) -> None:
    case = Case(title="Dosya", narrative="Anlatı")
    session.add(case)
    session.flush()
    people = [Person(case_public_id=case.public_id, full_name=f"Ayşe Kaya {i}", birth_date=dt.date(1990, 1, i + 1),
                     children=i, needs={"n": i}) for i in range(7)]
    session.add_all(people)
    session.commit()
    for i, p in enumerate(people):
        _to_v1(session, ctx, p, "full_name", f"Ayşe Kaya {i}")
        _to_v1(session, ctx, p, "birth_date", dt.date(1990, 1, i + 1))
        _to_v1(session, ctx, p, "children", i)
        _to_v1(session, ctx, p, "needs", {"n": i})
    _to_v1(session, ctx, case, "narrative", "Anlatı")
    # A one-off column written with ctx.encrypt, registered for the upgrade (like the app's TOTP secrets).
    one_off = sa.Table("t_one_off", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("uid", sa.Uuid), sa.Column("secret", sa.LargeBinary))
    one_off.create(session.connection())
    handle = ctx.dek_for_owner(session, ("user", uuid.uuid4()))
    ouid = uuid.uuid4()
    session.execute(one_off.insert().values(id=1, uid=ouid, secret=legacy.encrypt_field_v1(
        handle.aead, handle.dek_id_bytes, "users", "totp_secret", ouid.bytes, legacy.encode_tagged("str", "S3CR"))))
    session.commit()
    places = legacy.orm_places(MODELS) + [legacy.Place(one_off, "id", "uid", "secret", "users", "totp_secret")]
    try:
        assert legacy.count_v1(session, places) == 7 * 4 + 2
        session.expire_all()
        with pytest.raises(crypto.RetiredFormat):
            _ = session.get(Person, people[0].id).full_name  # type: ignore[union-attr]
        session.rollback()

        dry = legacy.upgrade_format(session, ctx, places, batch_size=3, dry_run=True)
        assert (dry.found, dry.upgraded, dry.unreadable) == (30, 30, 0)
        assert legacy.count_v1(session, places) == 30         # a dry run changes nothing

        ticks: list[int] = []
        result = legacy.upgrade_format(session, ctx, places, batch_size=3, progress=ticks.append)
        assert (result.found, result.upgraded, result.unreadable, result.destroyed) == (30, 30, 0, 0)
        assert sum(ticks) == 30 and max(ticks) == 3          # committed in batches of 3
        assert result.per_place["t_persons.full_name_ct"] == 7 and result.per_place["t_one_off.secret"] == 1
        assert legacy.count_v1(session, places) == 0
        session.expire_all()
        for i, p in enumerate(session.scalars(sa.select(Person).order_by(Person.id))):
            assert (p.full_name, p.birth_date, p.children, p.needs) == (f"Ayşe Kaya {i}", dt.date(1990, 1, i + 1),
                                                                        i, {"n": i})
            assert _stored(session, Person.full_name_ct, p.id, Person)[0] == envelope.FORMAT_V2
        assert session.get(Case, case.id).narrative == "Anlatı"  # type: ignore[union-attr]
        secret = session.execute(sa.select(one_off.c.secret)).scalar_one()
        assert ctx.decrypt(session, "users", "totp_secret", ouid, secret) == "S3CR"
        again = legacy.upgrade_format(session, ctx, places)
        assert again.found == 0                                # nothing left: running it again is harmless
    finally:
        session.rollback()
        one_off.drop(session.connection())
        session.commit()


def test_upgrade_leaves_shredded_and_tampered_values(session: Session, ctx: crypto.CryptoContext) -> None:
    kept, erased = Case(title="a", narrative="x"), Case(title="b")
    session.add_all([kept, erased])
    session.commit()
    good = _to_v1(session, ctx, kept, "title", "a")
    _to_v1(session, ctx, erased, "title", "b")
    bad = _to_v1(session, ctx, kept, "narrative", "x")
    session.execute(sa.update(Case).where(Case.id == kept.id).values(narrative_ct=bad[:-1] + bytes((bad[-1] ^ 1,))))
    session.commit()
    crypto.shred(session, "case", erased.public_id, models=MODELS, reason="test")
    session.commit()
    session.execute(sa.update(Case).where(Case.id == erased.id).values(title_ct=good[:2] + bytes(16) + good[18:]))
    session.commit()
    places = legacy.orm_places([Case])
    result = legacy.upgrade_format(session, ctx, places)
    # kept.title upgraded; kept.narrative tampered; erased.title names a key that does not exist (or was shredded)
    assert result.upgraded == 1 and result.unreadable + result.destroyed == 2
    assert _stored(session, Case.narrative_ct, kept.id, Case)[0] == envelope.FORMAT_V1     # left as it was
    session.expire_all()
    assert session.get(Case, kept.id).title == "a"  # type: ignore[union-attr]
