"""``flask demo generate --cases N``: synthetic cases written in bulk that the app reads like any other — values
decrypt through the ORM, search finds generated identifiers, numbers continue the centre's serials, shelter bookings
never overlap, one summary audit event, refused in production."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

import crypto
from tests.security.test_encryption_at_rest import _raw_dump


def _run(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


def _seed_and_generate(app, n: int = 30, *extra: str):  # type: ignore[no-untyped-def]
    assert _run(app, "demo", "seed").exit_code == 0
    result = _run(app, "demo", "generate", "--cases", str(n), *extra)
    assert result.exit_code == 0, result.output
    assert f"Added {n} synthetic cases to centre BYK" in result.output
    return result


def _count(model, *where) -> int:  # type: ignore[no-untyped-def]
    from app.db import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def test_generated_cases_are_complete_and_read_back_through_the_orm(app) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Case, Person, PersonKind
    from cases.orders.models import ProtectiveOrder
    from cases.plans.models import SafetyPlanVersion
    from cases.referrals.models import ConsentRecord, Referral
    from cases.risk.models import RiskAssessment

    assert _run(app, "demo", "seed").exit_code == 0
    with app.app_context():
        events_before = _count(AuditEvent)
    _seed_and_generate(app, 30, "--seed", "7", "--batch-size", "8")   # several batches
    with app.app_context():
        assert _count(Case) == 33
        generated = db.session.scalars(sa.select(Case).order_by(Case.id).offset(3)).all()
        assert len(generated) == 30
        assert _count(Person, Person.kind == PersonKind.APPLICANT) == 33
        assert _count(Person, Person.kind == PersonKind.PERPETRATOR) == 33
        assert sum(c.children_count for c in generated) == _count(
            Person, Person.kind == PersonKind.CHILD, Person.case_id.in_([c.id for c in generated]))
        assert _count(crypto.DataKey, crypto.DataKey.owner_type == "case") == 33   # one key per case
        # every generated value decrypts through the normal ORM attributes
        for case in generated:
            assert case.narrative.endswith("(Sentetik demo kaydı.)")
            assert isinstance(case.safe_contact, dict) and "code_word" in case.safe_contact
            assert case.applicant_age_band in ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
            applicant = case.applicant
            assert applicant is not None and len(applicant.full_name.split()) >= 2
            assert applicant.date_of_birth is not None
            for child in case.children:
                assert child.sex in ("girl", "boy") and child.birth_year <= case.applied_on.year
                assert child.full_name
            assert case.perpetrators[0].full_name
        people = db.session.scalars(sa.select(Person).where(Person.kind == PersonKind.APPLICANT,
                                                            Person.tckn_ct.is_not(None))).all()
        assert people, "some applicants have a TCKN"
        person = people[-1]
        assert crypto.normalise_tckn(person.tckn) == person.tckn           # a valid TCKN (checksum)
        phones = [p.phone for p in db.session.scalars(sa.select(Person).where(Person.phone_ct.is_not(None)))]
        assert phones and all(crypto.normalise_phone(p).startswith("+905") for p in phones)
        # the blind indexes are the app's own: search finds a generated TCKN, phone and name
        assert person in crypto.search(db.session, Person.tckn, person.tckn)
        assert person in crypto.search(db.session, Person.full_name, person.full_name)
        # the other generated rows decrypt too
        for assessment in db.session.scalars(sa.select(RiskAssessment)):
            assert set(assessment.answers.values()) <= {"yes", "no", "unknown"}
        for plan in db.session.scalars(sa.select(SafetyPlanVersion)):
            assert plan.status in ("approved", "submitted") and "kades" in plan.sections
        for referral in db.session.scalars(sa.select(Referral)):
            assert referral.institution_name and referral.consent is not None
            assert set(referral.data_classes) <= set(referral.consent.data_classes)
            assert referral.institution_type == referral.consent.institution_type
        for order in db.session.scalars(sa.select(ProtectiveOrder)):
            assert order.details and order.expires_on >= order.starts_on
        assert _count(ConsentRecord) == _count(Referral)
        # one summary audit event, no per-row change events
        new_events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > events_before)).all()
        actions = Counter(e.action for e in new_events)
        assert actions["demo.generate"] == 1 and not any(a.startswith("data.cases") for a in actions), actions
        summary = next(e for e in new_events if e.action == "demo.generate")
        assert json.loads(summary.details) == {"cases": 30}


def test_numbers_continue_the_centres_serials(app) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    _seed_and_generate(app, 30)
    assert _run(app, "demo", "generate", "--cases", "25").exit_code == 0   # not idempotent: adds more
    with app.app_context():
        rows = db.session.execute(sa.select(Case.year, Case.serial, Case.number)).all()
        assert len(rows) == 58 and len({r.number for r in rows}) == 58
        for year in {r.year for r in rows}:
            serials = sorted(r.serial for r in rows if r.year == year)
            assert serials == list(range(1, len(serials) + 1))          # no gaps, no repeats
        assert all(r.number == f"BYK-{r.year}-{r.serial:04d}" for r in rows)
        # the generated applications are spread over the last three years
        assert len({r.year for r in rows}) >= 3


def test_same_seed_same_content(app) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Person, PersonKind

    _seed_and_generate(app, 20, "--seed", "42")
    assert _run(app, "demo", "generate", "--cases", "20", "--seed", "42").exit_code == 0
    with app.app_context():
        names = [p.full_name for p in db.session.scalars(
            sa.select(Person).where(Person.kind == PersonKind.APPLICANT).order_by(Person.id).offset(3))]
        assert len(names) == 40 and names[:20] == names[20:]
        assert any(ch in "".join(names) for ch in "İıŞşĞğÇçÖöÜü")


def test_shelter_stays_never_overlap(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Person, PersonKind
    from shelters import generate
    from shelters.core.models import AdmissionRequest, BedAssignment, Shelter, Stay

    monkeypatch.setattr(generate, "SHARE", 0.9)     # most cases ask for a place: beds are reused and added
    _seed_and_generate(app, 60, "--seed", "3")
    with app.app_context():
        stays = db.session.scalars(sa.select(Stay)).all()
        assert len(stays) > 30
        assert _count(Shelter) >= 2                     # the demo shelter's 8 beds were not enough
        assignments = db.session.scalars(sa.select(BedAssignment).order_by(BedAssignment.bed_id,
                                                                            BedAssignment.start_on)).all()
        assert len(assignments) == len(stays)
        for a, b in zip(assignments, assignments[1:], strict=False):
            if a.bed_id == b.bed_id:
                assert a.end_on <= b.start_on           # half-open ranges: no overlap on one bed
        for stay in stays:
            assert stay.person.case_id == stay.case_id and stay.request.status == "admitted"
            assert stay.person.kind in (PersonKind.APPLICANT, PersonKind.CHILD)
            assert stay.assignments[0].bed.room.shelter_id == stay.shelter_id
            assert stay.ended_on is None or stay.ended_on >= stay.starts_on
        assert {r.status for r in db.session.scalars(sa.select(AdmissionRequest))} <= {"admitted", "declined"}
        # a household sleeps in one shelter, each person on her own bed
        for request in db.session.scalars(sa.select(AdmissionRequest).where(AdmissionRequest.status == "admitted")):
            beds = [s.assignments[0].bed_id for s in request.stays]
            assert len(set(beds)) == len(beds) and sorted(s.person_id for s in request.stays) == sorted(
                request.person_ids)
        # generated shelters keep their address encrypted and readable
        for shelter in db.session.scalars(sa.select(Shelter)):
            assert "gerçek" in shelter.address
        assert _count(Person, Person.kind == PersonKind.APPLICANT) == 63


def test_generated_identifiers_are_encrypted_at_rest(app, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Person

    _seed_and_generate(app, 30, "--seed", "11")
    with app.app_context():
        people = db.session.scalars(sa.select(Person)).all()
        markers = [p.tckn for p in people if p.tckn] + [p.phone for p in people if p.phone]
        markers += [p.full_name for p in people if len(p.full_name) > 12]
    assert len(markers) > 20
    dump = _raw_dump(app, backend, db_url)
    assert b"BYK-" in dump                              # the scan sees plaintext columns
    leaked = [m for m in markers if m.encode() in dump]
    assert not leaked


def test_bad_options_and_missing_centre(app) -> None:  # type: ignore[no-untyped-def]
    from cases.core.models import Case

    r = _run(app, "demo", "generate", "--cases", "5")
    assert r.exit_code == 2 and "demo seed" in r.output          # no demo centre yet
    assert _run(app, "demo", "seed").exit_code == 0
    for bad in (["--cases", "0"], ["--cases", "1000001"], ["--cases", "x"], [], ["--cases", "5", "--batch-size", "0"]):
        assert _run(app, "demo", "generate", *bad).exit_code == 2, bad
    r = _run(app, "demo", "generate", "--cases", "5", "--centre", "NOPE")
    assert r.exit_code == 2 and "NOPE" in r.output
    assert _run(app, "centres", "create", "ŞIS2", "x").exit_code == 2
    assert _run(app, "centres", "create", "EMPTY", "Boş merkez").exit_code == 0
    r = _run(app, "demo", "generate", "--cases", "5", "--centre", "empty")
    assert r.exit_code == 2 and "counsellor" in r.output
    with app.app_context():
        assert _count(Case) == 3


def test_refused_when_demo_is_not_allowed(app) -> None:  # type: ignore[no-untyped-def]
    from cases.core.models import Case

    assert _run(app, "demo", "seed").exit_code == 0
    app.config["DEMO_ALLOWED"] = False
    r = _run(app, "demo", "generate", "--cases", "5")
    assert r.exit_code == 2 and "development only" in r.output
    with app.app_context():
        assert _count(Case) == 3


def test_refused_in_production(tmp_path: Path) -> None:
    from app import create_app

    keyfile = tmp_path / "keys.json"
    crypto.write_key_file(keyfile, crypto.generate_key_material())
    app = create_app("production", SECRET_KEY=secrets.token_urlsafe(48), KEY_FILE=str(keyfile),
                     RATELIMIT_STORAGE_URI="redis://127.0.0.1:6399", PROXY_HOPS=0,
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    r = app.test_cli_runner().invoke(args=["demo", "generate", "--cases", "5"])
    assert r.exit_code == 2 and "development only" in r.output


def test_a_single_case(app) -> None:  # type: ignore[no-untyped-def]
    from cases.core.models import Case

    _seed_and_generate(app, 1)
    with app.app_context():
        assert _count(Case) == 4
