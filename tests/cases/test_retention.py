"""Retention: ``flask --app wsgi retention run`` crypto-shreds cases closed longer ago than
RETENTION_CLOSED_CASE_DAYS, keeps what must be kept, and leaves one audit event per run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import crypto
from app import create_app
from config import ConfigError
from tests.security.test_encryption_at_rest import _raw_dump

DAYS = 2557  # the default


def _close(app, case, *, days_ago: int | None, counsellor) -> None:  # type: ignore[no-untyped-def]
    """Close the case through the lifecycle service, then move its closing date ``days_ago`` days back."""
    from app.db import db, utcnow
    from app.users.models import User
    from cases.core.labels import CLOSURE_CHECKLIST
    from cases.core.models import Case
    from cases.lifecycle.services import close_case

    with app.test_request_context():
        obj = db.session.get(Case, case.id)
        close_case(obj, actor=db.session.get(User, counsellor.id), reason="goals-met",  # type: ignore[arg-type]
                   checklist=CLOSURE_CHECKLIST, explanation=None)
        obj.closed_at = None if days_ago is None else utcnow() - dt.timedelta(days=days_ago)  # type: ignore[union-attr]
        db.session.commit()


def _run(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["retention", "run", *args])


def _line(output: str, number: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(f"{number}:")]
    assert len(lines) == 1, output
    return lines[0]


def _readable(app, case) -> bool:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Person

    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.public_id == case.applicant_public_id))
        assert person is not None
        try:
            _ = person.full_name
        except crypto.KeyDestroyed:
            return False
        return True


def _events(app, action: str) -> list[Any]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                       .order_by(AuditEvent.seq)))


def _stored_secrets(app, case) -> tuple[list[Any], list[Any]]:  # type: ignore[no-untyped-def]
    """The case's ciphertexts and blind indexes, and its data key rows, as stored."""
    from app.db import db
    from cases.core.models import Case, Person
    from crypto.models import DataKey

    with app.app_context():
        people = [(p.full_name_ct, p.tckn_ct, *(tuple(crypto.index_buckets(db.session(), Person, n, p.public_id))
                                                for n in ("full_name", "tckn", "phone")))
                  for p in db.session.scalars(sa.select(Person).where(Person.case_id == case.id)
                                              .order_by(Person.id))]
        narrative = db.session.scalar(sa.select(Case.narrative_ct).where(Case.id == case.id))
        keys = db.session.execute(sa.select(DataKey.id, DataKey.wrapped, DataKey.destroyed_at)
                                  .where(DataKey.owner_type == "case", DataKey.owner_id == case.public_id)).all()
        return [tuple(p) for p in people] + [narrative], [tuple(k) for k in keys]


def test_case_closed_past_the_period_is_erased_and_recent_or_open_ones_kept(  # type: ignore[no-untyped-def]
        app, make_user, make_case, backend, db_url) -> None:
    from app.db import db
    from cases.core.models import Case, Person

    counsellor = make_user("counsellor")
    old = make_case(counsellor, applicant_name="Süresi Dolan Şükriye Işıl", tckn="10000000146")
    recent = make_case(counsellor, applicant_name="Yeni Kapanan Gülşen", tckn=None, phone=None)
    open_case = make_case(counsellor, applicant_name="Açık Dosya İpek", tckn=None, phone=None)
    _close(app, old, days_ago=DAYS + 1, counsellor=counsellor)
    _close(app, recent, days_ago=DAYS - 1, counsellor=counsellor)

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert _line(result.output, old.number).startswith(f"{old.number}: erased")
    assert recent.number not in result.output and open_case.number not in result.output
    assert "1 due, 1 erased, 0 skipped, 0 failed" in result.output

    assert not _readable(app, old)
    assert _readable(app, recent) and _readable(app, open_case)
    with app.app_context():
        assert crypto.search(db.session(), Person.tckn, "10000000146") == []
        assert [p.full_name for p in crypto.search(db.session(), Person.full_name, "Yeni Kapanan Gülşen")] == \
            ["Yeni Kapanan Gülşen"]
        erased = db.session.get(Case, old.id)
        assert erased is not None and erased.close_reason == "erased" and erased.number == old.number
        assert db.session.get(Case, recent.id).close_reason == "goals-met"  # type: ignore[union-attr]
    shred = _events(app, "case.shred")
    assert [(e.case_number, e.reason) for e in shred] == [(old.number, "retention")]
    [run] = _events(app, "retention.run")
    assert run.outcome == "success" and run.case_number is None
    assert json.loads(run.details) == {"days": DAYS, "due": 1, "erased": 1, "skipped": {}, "failed": 0}
    dump = _raw_dump(app, backend, db_url)
    assert "Şükriye".encode() not in dump and b"retention" in dump


def test_holds_order_in_force_shelter_and_missing_closing_date(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.db import db, utcnow
    from app.users.models import User
    from cases.core.models import Case
    from cases.orders import services as orders
    from tests.shelters.helpers import admit, make_shelter, request_for

    counsellor, coordinator = make_user("counsellor"), make_user("coordinator")
    with_order, expired_order, sheltered, undated = (make_case(counsellor, tckn=None, phone=None) for _ in range(4))
    today = local_today()
    with app.test_request_context():
        user = db.session.get(User, counsellor.id)
        for info, starts_on in ((with_order, today), (expired_order, today - dt.timedelta(days=400))):
            orders.record_order(db.session.get(Case, info.id), actor=user, kind="protective",  # type: ignore[arg-type]
                                issuer="governor", measures=["shelter"], starts_on=starts_on,
                                issued_at=utcnow() - dt.timedelta(days=(today - starts_on).days))
        db.session.commit()
    shelter = make_shelter(app, make_user("admin"), coordinators=(coordinator,))
    request_id = request_for(app, sheltered, shelter, counsellor, children=False)
    admit(app, shelter, request_id, coordinator, [0], starts_on=today - dt.timedelta(days=3))
    for info in (with_order, expired_order, sheltered):
        _close(app, info, days_ago=DAYS + 30, counsellor=counsellor)
    _close(app, undated, days_ago=None, counsellor=counsellor)

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert "protective order is still in force" in _line(result.output, with_order.number)
    assert "skipped" in _line(result.output, sheltered.number) and "in a shelter" in result.output
    assert "no closing date" in _line(result.output, undated.number)
    assert "erased" in _line(result.output, expired_order.number)  # an expired order no longer holds the case
    assert "4 due, 1 erased, 3 skipped, 0 failed" in result.output
    assert [_readable(app, c) for c in (with_order, expired_order, sheltered, undated)] == [True, False, True, True]
    [run] = _events(app, "retention.run")
    assert json.loads(run.details)["skipped"] == {"erasure-guard": 1, "no-closing-date": 1, "order-in-force": 1}
    with app.app_context():
        assert db.session.get(Case, sheltered.id).close_reason == "goals-met"  # type: ignore[union-attr]


def test_dry_run_changes_nothing_and_is_audited(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    old = make_case(counsellor, applicant_name="Deneme Çalıştırma Ayşegül", narrative="Öykü metni")
    _close(app, old, days_ago=DAYS + 1, counsellor=counsellor)
    before = _stored_secrets(app, old)
    assert before[1] and all(wrapped is not None for _id, wrapped, _destroyed in before[1])

    result = _run(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert _line(result.output, old.number) == f"{old.number}: would erase"
    assert "Dry run, nothing changed" in result.output and "1 would be erased" in result.output
    assert _stored_secrets(app, old) == before and _readable(app, old)
    assert _events(app, "case.shred") == [] and _events(app, "retention.run") == []
    [dry] = _events(app, "retention.dry-run")
    assert json.loads(dry.details) == {"days": DAYS, "due": 1, "would_erase": 1, "skipped": {}, "failed": 0}

    assert _run(app).exit_code == 0  # the real run still finds it
    assert not _readable(app, old) and _stored_secrets(app, old) != before


def test_second_run_is_a_no_op(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    old = make_case(counsellor)
    _close(app, old, days_ago=DAYS + 1, counsellor=counsellor)
    assert _run(app).exit_code == 0
    after_first = _stored_secrets(app, old)

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert old.number not in result.output and "0 due, 0 erased, 0 skipped, 0 failed" in result.output
    assert _stored_secrets(app, old) == after_first
    assert len(_events(app, "case.shred")) == 1 and len(_events(app, "retention.run")) == 2


def test_one_failing_case_does_not_stop_the_others(app, make_user, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cases.retention import services as retention

    counsellor = make_user("counsellor")
    first, failing, last = (make_case(counsellor, tckn=None, phone=None) for _ in range(3))
    for info in (first, failing, last):
        _close(app, info, days_ago=DAYS + 5, counsellor=counsellor)
    real_erase = retention.erase_case

    def flaky_erase(case, **kwargs):  # type: ignore[no-untyped-def]
        result = real_erase(case, **kwargs)  # the key is destroyed in this transaction …
        if case.id == failing.id:
            raise RuntimeError("disk full: Ayşe")  # … and rolled back with it
        return result

    monkeypatch.setattr(retention, "erase_case", flaky_erase)
    result = _run(app)
    assert result.exit_code == 1, result.output
    assert "FAILED (RuntimeError)" in _line(result.output, failing.number) and "Ayşe" not in result.output
    assert "erased" in _line(result.output, first.number) and "erased" in _line(result.output, last.number)
    assert "3 due, 2 erased, 0 skipped, 1 failed" in result.output
    assert [_readable(app, c) for c in (first, failing, last)] == [False, True, False]
    assert sorted(e.case_number for e in _events(app, "case.shred")) == sorted([first.number, last.number])
    [run] = _events(app, "retention.run")
    assert run.outcome == "failure" and json.loads(run.details)["failed"] == 1

    monkeypatch.setattr(retention, "erase_case", real_erase)
    retry = _run(app)
    assert retry.exit_code == 0 and "1 due, 1 erased" in retry.output and not _readable(app, failing)


def test_erasure_refusal_names_the_guard(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case
    from cases.retention.services import erasure_refusal
    from tests.shelters.helpers import make_shelter, request_for

    counsellor = make_user("counsellor")
    waiting, free = make_case(counsellor), make_case(counsellor, tckn=None, phone=None)
    shelter = make_shelter(app, make_user("admin"), coordinators=(make_user("coordinator"),))
    request_for(app, waiting, shelter, counsellor)
    with app.app_context():
        assert "waiting list" in (erasure_refusal(db.session.get(Case, waiting.id)) or "")  # type: ignore[arg-type]
        assert erasure_refusal(db.session.get(Case, free.id)) is None  # type: ignore[arg-type]


# --- configuration -----------------------------------------------------------------------------------------------

def _app(tmp_path: Path, env: str = "test", **overrides: Any):  # type: ignore[no-untyped-def]
    keyfile = tmp_path / "keys.json"
    if not keyfile.exists():
        crypto.write_key_file(keyfile, crypto.generate_key_material())
    settings: dict[str, Any] = {"KEY_FILE": str(keyfile), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'r.db'}"}
    if env == "production":
        settings.update(SECRET_KEY="Zq8-u1Vr0Xw3Pk5Tn7Ly9Hb2Gd4Fs6Ja_Mc1Ee3Ri5Uo7", RATELIMIT_STORAGE_URI="redis://x:1",
                        PROXY_HOPS=0)
    settings.update(overrides)
    return create_app(env, **settings)


@pytest.mark.parametrize("value", ["abc", "", "7y", "3.5", "-400", "364", 364, "36501", 100000, True, None, "٣٦٥٠"])
@pytest.mark.parametrize("env", ["test", "production"])
def test_invalid_retention_period_stops_start_up(tmp_path: Path, env: str, value: object) -> None:
    with pytest.raises(ConfigError, match=r"DAYANISMA_RETENTION_CLOSED_CASE_DAYS .* from 365 to 36500"):
        _app(tmp_path, env, RETENTION_CLOSED_CASE_DAYS=value)


@pytest.mark.parametrize(("value", "days"), [("2557", 2557), (" 365 ", 365), ("36500", 36500), (4000, 4000)])
def test_valid_retention_period_is_an_int(tmp_path: Path, value: object, days: int) -> None:
    assert _app(tmp_path, RETENTION_CLOSED_CASE_DAYS=value).config["RETENTION_CLOSED_CASE_DAYS"] == days


def test_retention_period_default(tmp_path: Path) -> None:
    assert _app(tmp_path, "production").config["RETENTION_CLOSED_CASE_DAYS"] == DAYS


@pytest.mark.parametrize(("value", "ok"), [("seven years", False), ("400", True)])
def test_retention_period_from_the_environment(tmp_path: Path, value: str, ok: bool) -> None:
    """The real start-up path: ``flask --app wsgi`` reads DAYANISMA_RETENTION_CLOSED_CASE_DAYS."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DAYANISMA_ENV": "test", "DAYANISMA_INSTANCE_DIR": str(tmp_path),
           "DAYANISMA_RETENTION_CLOSED_CASE_DAYS": value}
    code = "from wsgi import app; print(app.config['RETENTION_CLOSED_CASE_DAYS'] + 1)"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    if ok:
        assert done.returncode == 0 and done.stdout.strip() == "401", done.stderr
    else:
        assert done.returncode != 0 and "ConfigError: DAYANISMA_RETENTION_CLOSED_CASE_DAYS" in done.stderr
        assert "got 'seven years'" in done.stderr
