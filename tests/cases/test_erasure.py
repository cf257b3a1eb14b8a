"""Erasing a case by crypto-shredding: unreadable, unsearchable, gone from every page, on record in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

import crypto
from tests.factories import login_as
from tests.security.test_encryption_at_rest import _raw_dump


def test_erased_case_is_unreadable_unsearchable_and_gone(app, make_user, make_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Case, Person

    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Silinecek Kadın Özgül", tckn="10000000146")
    keep = make_case(counsellor, applicant_name="Kalacak Kadın", tckn=None, phone=None)

    runner = app.test_cli_runner()
    assert runner.invoke(args=["cases", "erase", case.number, "--reason", "kısa", "--yes"]).exit_code == 2
    result = runner.invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/17", "--yes"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/17",
                               "--yes"]).exit_code == 2  # once only

    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.public_id == case.applicant_public_id))
        with pytest.raises(crypto.KeyDestroyed):
            _ = person.full_name  # type: ignore[union-attr]
        assert crypto.search(db.session(), Person.tckn, "10000000146") == []
        stored = db.session.get(Case, case.id)
        assert stored is not None and stored.number == case.number and stored.close_reason == "erased"
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.shred")).one()
        # the audit row holds the category only, never the operator's words (append-only, exported, unshreddable)
        assert event.case_number == case.number and event.reason == "kvkk-request"
        assert "2026/17" not in str(db.session.execute(sa.text("SELECT * FROM audit_events")).all())

    # nobody opens or lists it any more; the other case is untouched
    for user in (counsellor, make_user("supervisor")):
        client = app.test_client()
        login_as(client, user)
        assert client.get(f"/cases/{case.public_id}").status_code == 404
        listing = client.get("/cases/").get_data(as_text=True)
        assert case.number not in listing and keep.number in listing
        assert "Kalacak Kadın" in client.get(f"/cases/{keep.public_id}").get_data(as_text=True)
    dump = _raw_dump(app, backend, db_url)
    assert b"Silinecek" not in dump
    assert b"2026/17" not in dump  # nor the operator's reason (the key's destruction record keeps the category)


def test_case_on_a_shelter_waitlist_cannot_be_erased(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case
    from tests.shelters.helpers import make_shelter, request_for

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    shelter = make_shelter(app, make_user("admin"), coordinators=(make_user("coordinator"),))
    request_for(app, case, shelter, counsellor)
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/18",
                                                "--yes"])
    assert result.exit_code == 2 and "waiting list" in result.output
    with app.app_context():
        assert db.session.get(Case, case.id).close_reason is None  # type: ignore[union-attr]


def test_erased_case_household_page_is_gone_after_discharge(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import Shelter
    from tests.shelters.helpers import admit, make_shelter, request_for

    counsellor, coordinator = make_user("counsellor"), make_user("coordinator")
    case = make_case(counsellor)
    shelter = make_shelter(app, make_user("admin"), coordinators=(coordinator,))
    request_id = request_for(app, case, shelter, counsellor, children=False)
    today = local_today()
    admit(app, shelter, request_id, coordinator, [0], starts_on=today - timedelta(days=10))
    with app.app_context():
        req = stays.find_request(db.session.get(Shelter, shelter.id), request_id)  # type: ignore[arg-type]
        assert req is not None
        stays.discharge(req, stays=list(req.stays), on=today - timedelta(days=2), destination="relatives",
                        actor=db.session.get(User, coordinator.id))  # type: ignore[arg-type]
        db.session.commit()
    url = f"/shelters/{shelter.public_id}/households/{request_id}"
    client = app.test_client()
    login_as(client, coordinator)
    before = client.get(url)
    assert before.status_code == 200, url
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/19",
                                                "--yes"])
    assert result.exit_code == 0, result.output
    assert client.get(url).status_code == 404


def _platform_default_secure_delete_off(app) -> None:  # type: ignore[no-untyped-def]
    """Make every new SQLite connection start with ``secure_delete`` OFF before the app's own connect hook runs, as
    on a platform whose SQLite is built with the default off (Debian's is built with it on, which hid a missing
    pragma). Without the app's ``PRAGMA secure_delete=ON`` the erasure test below then finds the old key."""
    from app.db import db

    def off(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA secure_delete=OFF")
        cur.close()

    with app.app_context():
        sa.event.listen(db.engine, "connect", off, insert=True)
        db.engine.dispose()


def _key_table_bytes(app, backend: str, db_url: str) -> bytes:  # type: ignore[no-untyped-def]
    """What is on disk for the key table: the whole SQLite file, or PostgreSQL's relation file after a checkpoint
    (old row versions are there, which pg_dump never shows)."""
    from pathlib import Path

    from app.db import db

    with app.app_context():
        if backend == "sqlite":
            db.session.remove()
            db.engine.dispose()
            return Path(db_url.removeprefix("sqlite:///")).read_bytes()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("CHECKPOINT"))
            data_dir = conn.execute(sa.text("SHOW data_directory")).scalar_one()
            rel = conn.execute(sa.text("SELECT pg_relation_filepath('crypto_data_keys')")).scalar_one()
        db.engine.dispose()
    return b"".join(p.read_bytes() for p in sorted(Path(data_dir).glob(rel + "*")) if p.name.split(".")[0] ==
                    Path(rel).name)


def test_erasure_leaves_no_copy_of_the_wrapped_data_key_on_disk(app, make_user, make_case, backend,  # type: ignore[no-untyped-def]
                                                                  db_url) -> None:
    """Shredding NULLs the wrapped key. On SQLite the app's ``secure_delete`` zeroes the freed bytes (tested with the
    platform default off, so the test fails without the app's pragma); on PostgreSQL the old row version stays in
    the table's pages until ``VACUUM FULL crypto_data_keys``, which the erasure commands run after committing."""
    from app.db import db
    from crypto.models import DataKey

    if backend == "sqlite":
        _platform_default_secure_delete_off(app)
        with app.app_context():
            assert db.session.execute(sa.text("PRAGMA secure_delete")).scalar_one() == 1  # the app's hook set it
            db.session.rollback()
    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, applicant_name=f"Kadın {i}", tckn=None, phone=None) for i in range(12)]
    case = cases[5]  # a key in the middle of a full page of keys: its cell is freed, not the page rebuilt
    with app.app_context():
        wrapped = db.session.scalars(sa.select(DataKey.wrapped).where(
            DataKey.owner_type == "case", DataKey.owner_id == case.public_id)).one()
        db.session.rollback()

    def copies(dump: bytes) -> list[bytes]:  # any 16-byte window of the key, raw (files) or as hex (pg_dump)
        windows = [wrapped[i:i + 16] for i in range(len(wrapped) - 15)]
        return [w for w in windows if w in dump or w.hex().encode() in dump]

    assert wrapped and copies(_key_table_bytes(app, backend, db_url))
    # A long reason makes the new row larger than the old one: SQLite moves it and frees the old cell.
    reason = "KVKK kapsamında ilgili kişinin silme talebi, dilekçe 2026/18, Şubat ayında alındı; İlçe müdürlüğü onaylı"
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", reason, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert copies(_key_table_bytes(app, backend, db_url)) == []
    assert copies(_raw_dump(app, backend, db_url)) == []


@pytest.mark.only_postgresql  # SQLite's secure_delete zeroes freed space at once (its own test above)
def test_without_vacuum_postgresql_keeps_the_old_key_version(app, make_user, make_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    """Why the erasure commands vacuum: the shredding UPDATE alone leaves the wrapped key in the table's pages."""
    import crypto
    from app.db import db
    from crypto.models import DataKey

    case = make_case(make_user("counsellor"), tckn=None, phone=None)
    with app.app_context():
        wrapped = db.session.scalars(sa.select(DataKey.wrapped).where(DataKey.owner_id == case.public_id)).one()
        crypto.shred(db.session(), "case", case.public_id, models=[], reason="test")
        db.session.commit()
    assert wrapped[:16] in _key_table_bytes(app, backend, db_url)
    from cases.retention.services import reclaim_destroyed_keys

    with app.app_context():
        assert reclaim_destroyed_keys() is None
    assert wrapped[:16] not in _key_table_bytes(app, backend, db_url)


def test_manual_erasure_of_a_case_under_a_protective_order_needs_despite_order(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from app.dates import local_today
    from app.db import db, utcnow
    from app.users.models import User
    from cases.core.models import Case
    from cases.orders import services as orders
    from cases.retention.services import is_erased

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    with app.test_request_context():
        orders.record_order(db.session.get(Case, case.id), actor=db.session.get(User, counsellor.id),  # type: ignore[arg-type]
                            kind="protective", issuer="governor", measures=["shelter"], starts_on=local_today(),
                            issued_at=utcnow() - dt.timedelta(hours=1))
        db.session.commit()
    runner = app.test_cli_runner()
    args = ["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/19", "--yes"]
    refused = runner.invoke(args=args)
    assert refused.exit_code == 2
    assert "protective order in force" in refused.stderr and "--despite-order" in refused.stderr
    with app.app_context():
        assert not is_erased(db.session.get(Case, case.id))  # type: ignore[arg-type]
    done = runner.invoke(args=[*args, "--despite-order"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert is_erased(db.session.get(Case, case.id))  # type: ignore[arg-type]


def test_erasure_keeps_no_quasi_identifiers(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """After erasure the case and every row of it keep the month and year of their dates, nothing finer, and lose
    the categories no statistic publishes; what the yearly statistics count is unchanged."""
    from app.dates import centre_zone
    from app.db import Base, db
    from app.users.models import User
    from cases.core.models import Case, Person
    from cases.notes.services import add_note

    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Yarı Tanımlayıcı Nurten", children=(("Çocuk Bir", "girl", 2019),),
                     relationship_to_perpetrator="spouse", previous_applications=["police", "kades"])
    with app.app_context():
        stored = db.session.get(Case, case.id)
        add_note(stored, actor=db.session.get(User, counsellor.id), kind="phone",  # type: ignore[arg-type]
                 occurred_on=dt.date(2026, 11, 17), text="Görüşme notu")
        db.session.commit()
        before = (stored.applied_on.year, stored.applied_on.month, stored.channel,  # type: ignore[union-attr]
                  list(stored.violence_types), stored.applicant_age_band)  # type: ignore[union-attr]

    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/19",
                                                "--yes"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        stored = db.session.get(Case, case.id)
        assert stored is not None
        assert (stored.applied_on.year, stored.applied_on.month, stored.channel, list(stored.violence_types),
                stored.applicant_age_band) == before
        assert stored.relationship_to_perpetrator is None and stored.previous_applications == []
        people = db.session.scalars(sa.select(Person).where(Person.case_id == case.id)).all()
        assert people and all(p.birth_year is None and p.relationship_to_applicant is None for p in people)
        checked = 0
        for mapper in Base.registry.mappers:
            table = mapper.local_table
            if not isinstance(table, sa.Table):
                continue
            key = table.c.id if mapper.class_ is Case else table.c.get("case_id")
            if key is None:
                continue
            temporal = [c for c in table.c if isinstance(getattr(c.type, "impl", c.type), (sa.Date, sa.DateTime))]
            for row in db.session.execute(sa.select(*temporal).where(key == case.id)) if temporal else ():
                for value in row:
                    if value is None:
                        continue
                    checked += 1
                    if isinstance(value, dt.datetime):   # a moment: midnight of the 1st in the centre's calendar
                        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
                        value = aware.astimezone(centre_zone())
                        assert (value.hour, value.minute, value.second) == (0, 0, 0), (table.name, value)
                    assert value.day == 1, (table.name, value)
        assert checked >= 7   # the case's 3 dates, its 2 people's and the note's 2 were all looked at


@pytest.mark.parametrize(("moment", "month_start"), [
    # 00:30 on 1 January in Istanbul is 21:30 on 31 December in UTC: it stays in the new year.
    (dt.datetime(2025, 12, 31, 21, 30, tzinfo=dt.UTC), dt.datetime(2025, 12, 31, 21, 0, tzinfo=dt.UTC)),
    (dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 2, 28, 21, 0, tzinfo=dt.UTC)),
    # 02:59 on 1 June local is still 31 May in UTC (naive values are UTC as stored)
    (dt.datetime(2026, 5, 31, 23, 59), dt.datetime(2026, 5, 31, 21, 0)),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
    (dt.date(2026, 12, 31), dt.date(2026, 12, 1)),
])
def test_a_moment_is_coarsened_to_its_month_in_the_centres_calendar(app, moment, month_start) -> None:  # type: ignore[no-untyped-def]
    from cases.retention.services import _month_start

    with app.app_context():
        assert _month_start(moment) == month_start
