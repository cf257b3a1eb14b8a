"""The ORM integration on SQLite and PostgreSQL: round trips, empty vs None, place binding (swaps), key caching,
and the at-rest marker scan of the raw SQLite file and a pg_dump."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from conftest import DB, Case, Person
from sqlalchemy.orm import Session

import crypto
from crypto.models import DataKey


def new_session(engine: sa.Engine) -> Session:
    return Session(engine)


def test_empty_and_none_are_preserved(session: Session, engine: sa.Engine) -> None:
    case = Case(title="", narrative=None)
    session.add(case)
    session.commit()
    assert case.title_ct is not None and case.narrative_ct is None
    with new_session(engine) as s:
        c = s.get(Case, case.id)
        assert c is not None and c.title == "" and c.narrative is None
        c.title = None
        c.narrative = ""
        s.commit()
    with new_session(engine) as s:
        c = s.get(Case, case.id)
        assert c is not None and c.title is None and c.narrative == ""


def test_update_reencrypts_and_reindexes(session: Session, engine: sa.Engine) -> None:
    p = Person(case_public_id=uuid.uuid4(), full_name="Ayşe", tckn="10000000146")
    session.add(p)
    session.commit()
    before_ct, before_bidx = p.full_name_ct, crypto.index_buckets(session, Person, "full_name", p.public_id)
    p.full_name = "Fatma"
    p.tckn = None
    session.commit()
    assert p.full_name_ct != before_ct and p.tckn_ct is None
    assert crypto.index_buckets(session, Person, "tckn", p.public_id) == []
    assert len(crypto.index_buckets(session, Person, "full_name", p.public_id)) == 1   # replaced, not added
    with new_session(engine) as s:
        q = s.get(Person, p.id)
        assert q is not None and q.full_name == "Fatma" and q.tckn is None
        assert crypto.search(s, Person.full_name, "fatma") == [q]
        if before_bidx != crypto.index_buckets(s, Person, "full_name", q.public_id):
            assert crypto.search(s, Person.full_name, "ayse") == []


def test_invalid_identifier_refused_at_assignment(ctx: crypto.CryptoContext) -> None:
    with pytest.raises(crypto.InvalidTCKN):
        Person(case_public_id=uuid.uuid4(), tckn="12345678901")
    with pytest.raises(crypto.InvalidPhone):
        Person(case_public_id=uuid.uuid4(), phone="12")
    with pytest.raises(TypeError):
        Person(case_public_id=uuid.uuid4(), children="2")


def test_large_text_round_trips(session: Session, engine: sa.Engine) -> None:
    text = "Şiddet öyküsü \x00 " * 70000   # > 1 MiB of UTF-8
    c = Case(narrative=text)
    session.add(c)
    session.commit()
    with new_session(engine) as s:
        assert s.get(Case, c.id).narrative == text  # type: ignore[union-attr]


def test_person_uses_its_case_key(session: Session) -> None:
    case = Case(title="t")
    p1 = Person(case_public_id=case.public_id, full_name="A")
    p2 = Person(case_public_id=case.public_id, full_name="B")
    session.add_all([case, p1, p2])
    session.commit()
    assert case.title_ct[2:18] == p1.full_name_ct[2:18] == p2.full_name_ct[2:18]  # type: ignore[index]
    keys = session.scalars(sa.select(DataKey)).all()
    assert [(k.owner_type, k.owner_id) for k in keys] == [("case", case.public_id)]
    assert len(keys[0].wrapped) == 60 and keys[0].kek_id == 1  # type: ignore[arg-type]


def test_data_key_unwrapped_once_and_cached(session: Session, engine: sa.Engine, ctx: crypto.CryptoContext,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    case = Case(title="x", narrative="y")
    session.add(case)
    session.commit()
    ctx.clear_cache()
    calls = []
    real = crypto.envelope.unwrap_dek

    def counting(*args: object) -> bytes:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(crypto.context.envelope, "unwrap_dek", counting)
    with new_session(engine) as s:
        for c in s.scalars(sa.select(Case)):
            assert (c.title, c.narrative) == ("x", "y")
    with new_session(engine) as s:
        assert s.get(Case, case.id).title == "x"  # type: ignore[union-attr]
    assert len(calls) == 1
    later = ctx.clock() + ctx.dek_ttl + 1
    ctx.clock = lambda: later  # the cached key has expired: unwrapped again
    with new_session(engine) as s:
        assert s.get(Case, case.id).title == "x"  # type: ignore[union-attr]
    assert len(calls) == 2


def test_rolled_back_key_never_used(session: Session, engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    case = Case(title="lost")
    session.add(case)
    session.flush()
    lost_dek = case.title_ct[2:18]  # type: ignore[index]
    session.rollback()
    c2 = Case(public_id=case.public_id, title="kept")
    session.add(c2)
    session.commit()
    assert c2.title_ct[2:18] != lost_dek  # type: ignore[index]
    with new_session(engine) as s:
        assert s.get(Case, c2.id).title == "kept"  # type: ignore[union-attr]


def test_savepoint_rollback_drops_pending_key(session: Session, engine: sa.Engine) -> None:
    owner = uuid.uuid4()
    with session.begin_nested() as nested:
        session.add(Person(case_public_id=owner, full_name="gone"))
        session.flush()
        nested.rollback()
    p = Person(case_public_id=owner, full_name="kept")
    session.add(p)
    session.commit()
    with new_session(engine) as s:
        assert s.get(Person, p.id).full_name == "kept"  # type: ignore[union-attr]


def test_repr_and_errors_leak_nothing(session: Session, engine: sa.Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = Person(case_public_id=uuid.uuid4(), full_name="Gizli Ad", phone="05321234567")
    session.add(p)
    session.commit()
    key = session.scalars(sa.select(DataKey)).one()
    assert "Gizli" not in repr(p) and key.wrapped.hex() not in repr(key)  # type: ignore[union-attr]
    # Errors raised where the code holds the secret value: a refused identifier, a value of the wrong kind. Their
    # messages (and the chained exceptions a traceback would print) must not quote it.
    for attr, secret in (("tckn", "Gizli12345678"), ("phone", "Gizli 0532"), ("tckn", "12345678901")):
        with pytest.raises(crypto.InvalidIdentifier) as bad:
            setattr(p, attr, secret)
        _assert_quiet(bad.value, secret)
    with pytest.raises(TypeError) as wrong_kind:
        p.birth_date = "Gizli 1990"  # type: ignore[assignment]
    _assert_quiet(wrong_kind.value, "Gizli")
    with engine.begin() as conn:
        tag_flipped = p.full_name_ct[:-1] + bytes([p.full_name_ct[-1] ^ 1])  # type: ignore[index]
        conn.execute(sa.update(Person).values(full_name_ct=tag_flipped))
    with new_session(engine) as s:
        q = s.get(Person, p.id)
        with pytest.raises(crypto.DecryptionError) as err:
            _ = q.full_name  # type: ignore[union-attr]
        # The message names the place, never the bytes: no ciphertext, no key, and no chained InvalidTag.
        _assert_quiet(err.value, tag_flipped.hex()[:16])
        assert key.wrapped.hex()[:16] not in str(err.value)  # type: ignore[union-attr]
        assert err.value.__cause__ is None and err.value.__suppress_context__
    assert "Gizli" not in caplog.text and "12345678901" not in caplog.text


def _assert_quiet(exc: BaseException, secret: str) -> None:
    for e in (exc, exc.__cause__, exc.__context__):
        if e is not None:
            assert secret not in str(e) and secret not in repr(e), f"{type(e).__name__} quotes the value"
            assert all(secret not in str(a) for a in e.args)


def test_not_configured_is_clear(session: Session) -> None:
    crypto.configure(None)
    p = Person(case_public_id=uuid.uuid4(), full_name="x")
    session.add(p)
    with pytest.raises(crypto.NotConfigured):
        session.flush()


def test_model_without_key_owner_is_refused(ctx: crypto.CryptoContext) -> None:
    class NoOwner:
        public_id = uuid.uuid4()

    with pytest.raises(crypto.CryptoError, match="__key_owner__"):
        crypto.key_owner(NoOwner())


# --- swaps: every one must fail, on both databases -----------------------------------------------------------------


def _two_people(session: Session) -> tuple[Person, Person]:
    case = uuid.uuid4()
    a = Person(case_public_id=case, full_name="Ayşe Kaya", phone="05321111111")
    b = Person(case_public_id=case, full_name="Fatma Demir", phone="05322222222")
    session.add_all([a, b])
    session.commit()
    return a, b


def test_swap_to_another_row_fails(session: Session, engine: sa.Engine) -> None:
    a, b = _two_people(session)   # same case, same data key: only the row uid in the AAD protects
    with engine.begin() as conn:
        conn.execute(sa.update(Person).where(Person.id == b.id).values(full_name_ct=a.full_name_ct))
    with new_session(engine) as s:
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Person, b.id).full_name  # type: ignore[union-attr]
        assert s.get(Person, a.id).full_name == "Ayşe Kaya"  # type: ignore[union-attr]


def test_changed_row_uid_fails(session: Session, engine: sa.Engine) -> None:
    a, _ = _two_people(session)
    with engine.begin() as conn:
        conn.execute(sa.update(Person).where(Person.id == a.id).values(public_id=uuid.uuid4()))
    with new_session(engine) as s:
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Person, a.id).full_name  # type: ignore[union-attr]


def test_row_moved_to_another_case_with_its_uid_fails(session: Session, engine: sa.Engine,
                                                     ctx: crypto.CryptoContext) -> None:
    """An insider moves a person row (uid and ciphertexts intact, so the AAD still matches) into another case:
    its values must not open there, nor be found by a search scoped to that case."""
    a, _ = _two_people(session)
    other = Person(case_public_id=uuid.uuid4(), full_name="Başka Dosya")
    session.add(other)
    session.commit()
    with engine.begin() as conn:
        conn.execute(sa.update(Person).where(Person.id == a.id).values(case_public_id=other.case_public_id))
    ctx.clear_cache()
    with new_session(engine) as s:
        moved = s.get(Person, a.id)
        with pytest.raises(crypto.DecryptionError):
            _ = moved.full_name  # type: ignore[union-attr]
        assert crypto.search(s, Person.full_name, "Ayşe Kaya",
                             where=Person.case_public_id == other.case_public_id) == []
    with new_session(engine) as s:   # warm key cache this time
        assert s.get(Person, other.id).full_name == "Başka Dosya"  # type: ignore[union-attr]
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Person, a.id).phone  # type: ignore[union-attr]


def test_swap_to_another_column_fails(session: Session, engine: sa.Engine) -> None:
    a, _ = _two_people(session)
    with engine.begin() as conn:
        conn.execute(sa.update(Person).where(Person.id == a.id).values(phone_ct=a.full_name_ct))
    with new_session(engine) as s:
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Person, a.id).phone  # type: ignore[union-attr]


def test_swap_to_another_table_fails(session: Session, engine: sa.Engine) -> None:
    case = Case(title="t")
    p = Person(case_public_id=case.public_id, full_name="x")
    session.add_all([case, p])
    session.commit()
    with engine.begin() as conn:   # same key owner; table differs in the AAD
        conn.execute(sa.update(Case).values(title_ct=p.full_name_ct, public_id=p.public_id))
    with new_session(engine) as s:
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Case, case.id).title  # type: ignore[union-attr]


def test_wrapped_keys_swapped_between_owners_fail(session: Session, engine: sa.Engine,
                                                  ctx: crypto.CryptoContext) -> None:
    c1, c2 = Case(title="one"), Case(title="two")
    session.add_all([c1, c2])
    session.commit()
    k1, k2 = session.scalars(sa.select(DataKey).order_by(DataKey.created_at)).all()
    w1, w2 = k1.wrapped, k2.wrapped
    with engine.begin() as conn:
        conn.execute(sa.update(DataKey).where(DataKey.id == k1.id).values(wrapped=w2))
        conn.execute(sa.update(DataKey).where(DataKey.id == k2.id).values(wrapped=w1))
    ctx.clear_cache()
    with new_session(engine) as s:
        for case_id in (c1.id, c2.id):
            with pytest.raises(crypto.DecryptionError, match="unwrap"):
                _ = s.get(Case, case_id).title  # type: ignore[union-attr]


def test_key_row_reassigned_to_another_owner_fails(session: Session, engine: sa.Engine,
                                                   ctx: crypto.CryptoContext) -> None:
    c1 = Case(title="one")
    session.add(c1)
    session.commit()
    with engine.begin() as conn:
        conn.execute(sa.update(DataKey).values(owner_id=uuid.uuid4()))
    ctx.clear_cache()
    with new_session(engine) as s:
        with pytest.raises(crypto.DecryptionError):
            _ = s.get(Case, c1.id).title  # type: ignore[union-attr]


def test_missing_key_row_is_unknown_key(session: Session, engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    c1 = Case(title="one")
    session.add(c1)
    session.commit()
    with engine.begin() as conn:
        conn.execute(sa.delete(DataKey))
    ctx.clear_cache()
    with new_session(engine) as s:
        with pytest.raises(crypto.UnknownKey):
            _ = s.get(Case, c1.id).title  # type: ignore[union-attr]


# --- nothing readable at rest --------------------------------------------------------------------------------------

MARKERS = {"full_name": "Zümrüt Markerova Işıkgil", "tckn": "10000000146", "phone": "0532 987 65 43",
           "needs": {"adres": "Gizlisokak Markerevi 77"}, "title": "Markerdosya Başlık", "narrative": "Markeranlatı"}
NEEDLES = ["Markerova", "Işıkgil", "10000000146", "987 65 43", "5329876543", "Gizlisokak", "Markerevi",
           "Markerdosya", "Markeranlat", "1990-04-03"]


def _raw_bytes(database: DB) -> bytes:
    if database.kind == "sqlite":
        database.engine.dispose()
        with open(database.sqlite_path, "rb") as fh:  # type: ignore[arg-type]
            return fh.read()
    pg = database.pg
    assert pg is not None
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    cmd = [pg_dump, "-h", str(pg.sock), "-p", str(pg.port), "-U", pg.user, database.dbname]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def test_no_plaintext_at_rest(session: Session, database: DB) -> None:
    case = Case(title=MARKERS["title"], narrative=MARKERS["narrative"])
    p = Person(case_public_id=case.public_id, full_name=MARKERS["full_name"], tckn=MARKERS["tckn"],
               phone=MARKERS["phone"], needs=MARKERS["needs"], birth_date=dt.date(1990, 4, 3))
    session.add_all([case, p])
    session.commit()
    p.full_name = MARKERS["full_name"] + " (updated)"   # old versions must not linger either
    session.commit()
    session.close()
    raw = _raw_bytes(database)
    assert len(raw) > 1000
    if database.kind == "postgresql":
        assert b"t_persons" in raw      # the dump really contains our table
    for needle in NEEDLES:
        for encoding in ("utf-8", "utf-16-le"):
            assert needle.encode(encoding) not in raw, f"{needle!r} found in the raw {database.kind} data"
