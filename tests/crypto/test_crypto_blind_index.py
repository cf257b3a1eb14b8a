"""Blind indexes: domain separation, truncation, epochs, and search returning verified matches only."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from conftest import Person, Tiny
from sqlalchemy.orm import Session

import crypto
from crypto.keys import add_index_epoch
from crypto.models import BlindIndexEntry


def test_domain_separation_per_table_and_column(ctx: crypto.CryptoContext) -> None:
    values = {ctx.blind_index(t, c, "10000000146", 31) for t, c in
              [("persons", "tckn_ct"), ("persons", "phone_ct"), ("contacts", "tckn_ct"), ("person", "stckn_ct")]}
    assert len(values) == 4


def test_other_index_ring_gives_other_values(ctx: crypto.CryptoContext) -> None:
    other = crypto.CryptoContext(crypto.generate_key_material())
    assert ctx.blind_index("p", "c", "ayse", 31) != other.blind_index("p", "c", "ayse", 31)


@pytest.mark.parametrize("bits", [1, 2, 10, 12, 31])
def test_truncation_bounds(ctx: crypto.CryptoContext, bits: int) -> None:
    values = [ctx.blind_index("t", "c", str(i), bits) for i in range(2000)]
    assert all(0 <= v < 2 ** bits for v in values)
    # The full range is used (a wrong shift would leave the high bits empty).
    assert max(values) >= 2 ** bits * 0.9 - 1


def test_bits_out_of_range(ctx: crypto.CryptoContext) -> None:
    with pytest.raises(ValueError):
        ctx.blind_index("t", "c", "x", 32)
    with pytest.raises(ValueError):
        ctx.blind_index("t", "c", "x", 0)


def test_roughly_uniform(ctx: crypto.CryptoContext) -> None:
    counts = [0] * 16
    for i in range(16000):
        counts[ctx.blind_index("t", "c", f"v{i}", 4)] += 1
    assert max(counts) < 1250 and min(counts) > 750


def test_default_bits() -> None:
    assert Person.full_name.descriptor.index.bits == 10
    assert Person.tckn.descriptor.index.bits == 12
    assert Person.phone.descriptor.index.bits == 12


def test_false_positives_are_filtered(session: Session, ctx: crypto.CryptoContext) -> None:
    rnd = random.Random(4)
    names = [f"{rnd.choice(['Ayşe', 'Fatma', 'Emine', 'Zeynep', 'Hatice'])} {i}" for i in range(40)]
    rows = [Tiny(name=n) for n in names]
    session.add_all(rows)
    session.commit()
    target = rows[7]
    candidates = session.query(Tiny).filter(Tiny.name.matches(session, target.name)).all()
    assert len(candidates) >= 2, "a 2-bit index must collide"
    assert crypto.search(session, Tiny.name, target.name.upper()) == [target]
    assert crypto.search(session, Tiny.name, "nobody at all") == []


def test_search_finds_every_spelling_and_only_matches(session: Session, ctx: crypto.CryptoContext) -> None:
    import uuid

    case = uuid.uuid4()
    a = Person(case_public_id=case, full_name="İsmail Işık", tckn="10000000146", phone="0532 123 45 67")
    b = Person(case_public_id=case, full_name="Ismail Isık", phone="+90 (532) 765-4321")
    c = Person(case_public_id=case, full_name="Ayşe Yılmaz")
    session.add_all([a, b, c])
    session.commit()
    assert {p.id for p in crypto.search(session, Person.full_name, "ISMAIL ISIK")} == {a.id, b.id}
    assert crypto.search(session, Person.tckn, "100 000 001 46") == [a]
    assert crypto.search(session, Person.phone, "5327654321") == [b]
    assert crypto.search(session, Person.full_name, "ismail isik", limit=1)[0].id in {a.id, b.id}
    assert crypto.search(session, Person.full_name, "Ayşe Yılmaz", where=Person.case_public_id == case) == [c]
    assert crypto.search(session, Person.full_name, "Ayşe Yılmaz", where=Person.case_public_id == uuid.uuid4()) == []
    with pytest.raises(crypto.InvalidTCKN):
        crypto.search(session, Person.tckn, "12345678901")


def test_reindex_under_a_new_key_epoch_and_width_keeps_finding_everyone(session: Session,
                                                                        ctx: crypto.CryptoContext) -> None:
    import uuid

    old = Person(case_public_id=uuid.uuid4(), full_name="Elif Demir", tckn="10000000146")
    session.add(old)
    session.commit()
    before = crypto.index_buckets(session, Person, "full_name", old.public_id)
    add_index_epoch(ctx.material, activate=True)
    result = crypto.reindex(session, Person, "full_name", bits=20, key_epoch=2)
    assert (result.generation, result.bits, result.key_epoch, result.entries, result.retired) == (2, 20, 2, 1, 1)
    new = Person(case_public_id=uuid.uuid4(), full_name="ELİF DEMİR")
    session.add(new)
    session.commit()
    after = crypto.index_buckets(session, Person, "full_name", old.public_id)
    assert len(after) == 1 and after != before and after[0] < 2 ** 20
    assert {p.id for p in crypto.search(session, Person.full_name, "elif demir")} == {old.id, new.id}
    assert crypto.search(session, Person.tckn, "10000000146") == [old]      # other scopes untouched
    # The old generation's entries are gone: one entry per row and scope remains.
    rows = session.execute(sa.select(BlindIndexEntry.generation).where(
        BlindIndexEntry.scope == "t_persons.full_name_ct")).scalars().all()
    assert sorted(rows) == [2, 2]
