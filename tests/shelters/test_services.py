"""Shelter rules as the services apply them (both databases): admission, capacity with children, no double booking
(in the database itself), moves, extensions, discharge, alerts, waitlist order, the resident view."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.shelters.helpers import admit, make_shelter, request_for

D0 = date(2031, 3, 2)
CHILDREN = (("Elif", "girl", 2025), ("Can", "boy", 2024))


@pytest.fixture
def people(make_user):  # type: ignore[no-untyped-def]
    return {"counsellor": make_user("counsellor"), "coordinator": make_user("coordinator"),
            "supervisor": make_user("supervisor"), "admin": make_user("admin")}


def _db(app):  # type: ignore[no-untyped-def]
    from app.db import db

    return db


def test_admission_books_each_person_and_counts_children(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from shelters.admissions import services as stays
    from shelters.core.models import BedAssignment, Shelter, Stay

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],), capacity=10)
    case = make_case(people["counsellor"], children=CHILDREN)
    req = request_for(app, case, shelter, people["counsellor"])
    admitted = admit(app, shelter, req, people["coordinator"], [0, 1, 2], D0)
    assert len(admitted) == 3
    with app.app_context():
        db = _db(app)
        s = db.session.get(Shelter, shelter.id)
        assert stays.occupancy_on(s, D0) == 3  # the woman and both children
        assert stays.occupancy_on(s, D0 - timedelta(days=1)) == 0
        rows = db.session.scalars(sa.select(Stay)).all()
        assert {r.planned_end_on for r in rows} == {D0 + timedelta(days=183)}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedAssignment)) == 3


def test_capacity_counts_children(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.errors import OverCapacity
    from shelters.core.models import AdmissionRequest, Bed, Shelter

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],), capacity=2)
    case = make_case(people["counsellor"], children=CHILDREN)
    req = request_for(app, case, shelter, people["counsellor"])
    with app.app_context():
        db = _db(app)
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        beds = db.session.scalars(sa.select(Bed).order_by(Bed.id)).all()
        ppl = stays.request_people(r)
        with pytest.raises(OverCapacity):
            stays.admit(r, beds={p.id: b for p, b in zip(ppl, beds, strict=False)}, starts_on=D0,
                        actor=db.session.get(User, people["coordinator"].id), today=D0)
        db.session.rollback()
        assert stays.occupancy_on(db.session.get(Shelter, shelter.id), D0) == 0


def test_the_database_refuses_overlapping_bookings_of_one_bed(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    """Bypassing every service check: a raw INSERT of an overlapping booking fails; adjacent ranges are fine."""
    from shelters.core.models import Bed, Stay

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    case = make_case(people["counsellor"])
    req = request_for(app, case, shelter, people["counsellor"], children=False)
    admit(app, shelter, req, people["coordinator"], [0], D0)
    with app.app_context():
        db = _db(app)
        stay = db.session.scalar(sa.select(Stay))
        bed = db.session.scalar(sa.select(Bed).where(Bed.public_id == shelter.bed_ids[0]))
        insert = sa.text("INSERT INTO shelter_bed_assignments (stay_id, bed_id, start_on, end_on) "
                         "VALUES (:s, :b, :start, :end)")
        end = stay.planned_end_on
        for start, stop in ((D0, D0 + timedelta(days=1)), (end - timedelta(days=1), end + timedelta(days=5)),
                            (D0 - timedelta(days=3), D0 + timedelta(days=400))):
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(insert, {"s": stay.id, "b": bed.id, "start": start, "end": stop})
            db.session.rollback()
        # touching ranges do not overlap: [.., D0) and [end, ..)
        db.session.execute(insert, {"s": stay.id, "b": bed.id, "start": D0 - timedelta(days=5), "end": D0})
        db.session.execute(insert, {"s": stay.id, "b": bed.id, "start": end, "end": end + timedelta(days=3)})
        db.session.commit()
        # an UPDATE that creates an overlap is refused too
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("UPDATE shelter_bed_assignments SET end_on = :e WHERE start_on = :s"),
                               {"e": D0 + timedelta(days=2), "s": D0 - timedelta(days=5)})
        db.session.rollback()


def test_second_admission_to_a_booked_bed_is_refused_with_a_message(app, people, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.errors import BedTaken, BedUnavailable
    from shelters.core.models import AdmissionRequest, Bed, Stay

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    first = request_for(app, make_case(people["counsellor"]), shelter, people["counsellor"], children=False)
    second = request_for(app, make_case(people["counsellor"], applicant_name="Zeynep Kaya", tckn=None),
                         shelter, people["counsellor"], children=False)
    admit(app, shelter, first, people["coordinator"], [0], D0)
    with app.app_context():
        db = _db(app)
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == second))
        bed = db.session.scalar(sa.select(Bed).where(Bed.public_id == shelter.bed_ids[0]))
        actor = db.session.get(User, people["coordinator"].id)
        pid = stays.request_people(r)[0].id
        with pytest.raises(BedUnavailable):
            stays.admit(r, beds={pid: bed}, starts_on=D0 + timedelta(days=10), actor=actor, today=D0)
        db.session.rollback()
        # the race: the check passed (someone booked in between); the database still refuses
        monkeypatch.setattr(stays, "bed_free", lambda *a, **k: True)
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == second))
        with pytest.raises(BedTaken, match="just taken"):
            stays.admit(r, beds={pid: bed}, starts_on=D0 + timedelta(days=10), actor=actor, today=D0)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Stay)) == 1


def test_move_extension_and_discharge(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.errors import BedUnavailable
    from shelters.core.models import AdmissionRequest, Bed, ExtensionStatus, Stay

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    case = make_case(people["counsellor"], children=CHILDREN)
    req = request_for(app, case, shelter, people["counsellor"])
    admit(app, shelter, req, people["coordinator"], [0, 1, 2], D0)
    with app.app_context():
        db = _db(app)
        coord = db.session.get(User, people["coordinator"].id)
        sup = db.session.get(User, people["supervisor"].id)
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        child = r.stays[2]
        bed7 = db.session.scalar(sa.select(Bed).where(Bed.public_id == shelter.bed_ids[6]))
        stays.move(child, bed=bed7, on=D0 + timedelta(days=10), actor=coord)
        db.session.commit()
        assert [(a.bed.label, a.start_on, a.end_on) for a in child.assignments] == [
            ("Yatak 1.3", D0, D0 + timedelta(days=10)),
            ("Yatak 3.1", D0 + timedelta(days=10), D0 + timedelta(days=183))]
        # someone else books the woman's bed right after her planned end: extending her is then refused
        other = request_for(app, make_case(people["counsellor"], applicant_name="Zeynep Kaya", tckn=None), shelter,
                            people["counsellor"], children=False)
        planned = D0 + timedelta(days=183)
        admit(app, shelter, other, people["coordinator"], [0], planned + timedelta(days=20), today=planned)
        ext = stays.request_extension(r, new_end_on=planned + timedelta(days=60), reason="housing-pending",
                                      note="Konut başvurusu sürüyor", actor=coord)
        db.session.commit()
        with pytest.raises(BedUnavailable):
            stays.decide_extension(ext, approve=True, actor=sup)
        db.session.rollback()
        # move her first, then the approval goes through and moves every booking's end
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        bed8 = db.session.scalar(sa.select(Bed).where(Bed.public_id == shelter.bed_ids[7]))
        stays.move(r.stays[0], bed=bed8, on=D0 + timedelta(days=20), actor=coord)
        ext = stays.pending_extension(r)
        stays.decide_extension(ext, approve=True, actor=sup)
        db.session.commit()
        assert ext.status == ExtensionStatus.APPROVED
        assert {s.planned_end_on for s in r.stays} == {planned + timedelta(days=60)}
        assert all(s.assignments[-1].end_on == planned + timedelta(days=60) for s in r.stays)
        # discharge everyone: bookings after the date are released, bed-nights counted
        leave = D0 + timedelta(days=30)
        stays.discharge(r, stays=list(r.stays), on=leave, destination="relatives", actor=coord, today=leave)
        db.session.commit()
        assert all(s.ended_on == leave and s.exit_destination == "relatives" for s in r.stays)
        assert all(s.bed_nights(leave) == 30 for s in r.stays)
        assert all(a.end_on <= leave for s in r.stays for a in s.assignments)
        assert stays.occupancy_on(r.shelter, leave) == 0  # the other woman arrives later
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Stay).where(Stay.ended_on.is_(None))) == 1


def test_alerts_boy_age_ending_soon_and_capacity(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from shelters.board.services import alerts
    from shelters.core.models import Shelter

    # Can, born 2019, turns 12 around 1 July 2031 (mid-year estimate): 30 days after 1 June 2031
    start = date(2031, 6, 1)
    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],), capacity=3, max_stay_days=20)
    case = make_case(people["counsellor"], children=(("Elif", "girl", 2025), ("Can", "boy", 2019)))
    req = request_for(app, case, shelter, people["counsellor"])
    admit(app, shelter, req, people["coordinator"], [0, 1, 2], start)
    with app.app_context():
        s = _db(app).session.get(Shelter, shelter.id)
        kinds = {a.kind: a for a in alerts(s, start)}
        assert "age-limit" in kinds
        assert "Can" in kinds["age-limit"].message and "July 1, 2031" in kinds["age-limit"].message
        assert "capacity" in kinds  # 3 people, children counted, capacity 3
        assert "ending-soon" not in kinds  # 20 days left
        later = {a.kind for a in alerts(s, start + timedelta(days=8))}
        assert "ending-soon" in later
        assert "overdue" in {a.kind for a in alerts(s, start + timedelta(days=25))}
        # a girl of the same age raises no age alert
        assert all("Elif" not in a.message for a in alerts(s, start))


def test_a_boy_over_the_age_limit_is_not_admitted(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from shelters.core.errors import ChildOverAgeLimit

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    case = make_case(people["counsellor"], children=(("Emre", "boy", 2018),))
    req = request_for(app, case, shelter, people["counsellor"])
    with pytest.raises(ChildOverAgeLimit):
        admit(app, shelter, req, people["coordinator"], [0, 1], date(2031, 8, 1))


def test_waitlist_orders_by_risk_then_date(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    from shelters.admissions import services as stays
    from shelters.core.models import Shelter

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    ids = {}
    for name, risk in (("Ayla Bir", "standard"), ("Banu İki", None), ("Ceren Üç", "high"), ("Derya Dört", "high")):
        case = make_case(people["counsellor"], applicant_name=name, tckn=None, risk_level=risk)
        ids[request_for(app, case, shelter, people["counsellor"], children=False)] = name
    with app.app_context():
        order = [ids[r.public_id] for r in stays.waitlist(_db(app).session.get(Shelter, shelter.id))]
    assert order == ["Ceren Üç", "Derya Dört", "Ayla Bir", "Banu İki"]


def test_one_open_request_per_case_and_only_own_centre_shelters(app, people, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    from app.users.models import User
    from cases.core.models import Case
    from shelters.admissions import services as stays
    from shelters.core.errors import ShelterError
    from shelters.core.models import Shelter
    from tests import factories

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    other_centre = factories.make_centre(app)
    other_admin = factories.make_user(app, "admin", centre=other_centre)
    elsewhere = make_shelter(app, other_admin)
    case = make_case(people["counsellor"])
    with app.app_context():
        db = _db(app)
        c = db.session.get(Case, case.id)
        actor = db.session.get(User, people["counsellor"].id)
        with pytest.raises(ShelterError):
            stays.request_admission(c, shelter=db.session.get(Shelter, elsewhere.id), child_ids=[], actor=actor)
        with pytest.raises(ShelterError):
            stays.request_admission(c, shelter=db.session.get(Shelter, shelter.id), child_ids=[uuid.uuid4()],
                                    actor=actor)
        stays.request_admission(c, shelter=db.session.get(Shelter, shelter.id), child_ids=[], actor=actor)
        db.session.commit()
        with pytest.raises(ShelterError):
            stays.request_admission(c, shelter=db.session.get(Shelter, shelter.id), child_ids=[], actor=actor)


def test_resident_view_reads_only_the_shelter_fields(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from app.users.models import User
    from cases.core.models import Case, PersonKind
    from cases.core.services import add_person
    from shelters.admissions.resident_view import ResidentView, resident_view
    from shelters.core.models import AdmissionRequest

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    case = make_case(people["counsellor"], children=CHILDREN, risk_level="high")
    with app.app_context():
        db = _db(app)
        c = db.session.get(Case, case.id)
        c.narrative = "NARRATIVE-MARKER"
        c.safe_contact = {"call": False, "text": True, "code_word": "lale", "notes": "SAFE-NOTES-MARKER"}
        add_person(c, PersonKind.PERPETRATOR, full_name="Mehmet Failoğlu", tckn="10000000146",
                   notes="Uzun boylu, siyah araba")
        db.session.commit()
        _ = db.session.get(User, people["counsellor"].id)
    req = request_for(app, case, shelter, people["counsellor"])
    with app.app_context():
        r = _db(app).session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        view = resident_view(r, date(2031, 3, 2))
        assert isinstance(view, ResidentView)
        assert (view.first_name, view.surname) == ("Ayşe", "Yılmaz")
        assert [(ch.name, ch.age) for ch in view.children] == [("Elif", 5), ("Can", 6)]
        assert view.risk_level == "high"
        assert view.safe_contact == {"call": False, "text": True, "code_word": "lale"}
        assert view.do_not_admit == ["Uzun boylu, siyah araba"]
        flat = repr(dataclasses.asdict(view))
        for leaked in ("NARRATIVE-MARKER", "SAFE-NOTES-MARKER", "Mehmet", "Failoğlu", "10000000146", "physical"):
            assert leaked not in flat


def test_demo_shelter_is_idempotent(app, people, centre) -> None:  # type: ignore[no-untyped-def]
    from app.users.models import Centre, User
    from shelters.core.models import Bed, Room, Shelter, ShelterCoordinator
    from shelters.demo import seed_demo_shelter

    with app.app_context():
        db = _db(app)
        c = db.session.get(Centre, centre.id)
        coord = db.session.get(User, people["coordinator"].id)
        actor = db.session.get(User, people["admin"].id)
        first = seed_demo_shelter(c, coord, actor)
        db.session.commit()
        second = seed_demo_shelter(c, coord, actor)
        db.session.commit()
        assert first.id == second.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shelter)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Bed)) == 8
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ShelterCoordinator)) == 1


def test_policy_table() -> None:
    from types import SimpleNamespace

    from app.users.models import Role
    from shelters.core import policies

    shelter = SimpleNamespace(centre_id=1, id=5)
    expected = {
        Role.COORDINATOR: {"view", "operate", "address", "configure"},
        Role.SUPERVISOR: {"view", "approve", "address", "configure", "manage"},
        Role.ADMIN: {"configure", "manage"},
        Role.COUNSELLOR: set(),
        Role.AUDITOR: set(),
    }
    original = policies.coordinates
    policies.coordinates = lambda user, s: True  # type: ignore[assignment]
    try:
        for role, allowed in expected.items():
            user = SimpleNamespace(role=role, centre_id=1, id=9)
            assert {a for a in policies.ACTIONS if policies.can(user, a, shelter)} == allowed, role
            other = SimpleNamespace(role=role, centre_id=2, id=9)
            assert not any(policies.can(other, a, shelter) for a in policies.ACTIONS)
        policies.coordinates = lambda user, s: False  # type: ignore[assignment]
        coordinator = SimpleNamespace(role=Role.COORDINATOR, centre_id=1, id=9)
        assert not any(policies.can(coordinator, a, shelter) for a in policies.ACTIONS)
    finally:
        policies.coordinates = original  # type: ignore[assignment]


def test_a_child_removed_meanwhile_cannot_go_on_a_shelter_request(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    """The request reads the children from the database after locking the case, not from what the request loaded:
    a child deleted by a colleague in between is refused, not kept on the waitlist as a dangling id."""
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from shelters.admissions import services as stays
    from shelters.core.errors import ShelterError
    from shelters.core.models import AdmissionRequest, Shelter

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    info = make_case(people["counsellor"], children=(("Işıl Çocuk", "girl", 2019), ("Ömer Çocuk", "boy", 2017)))
    with app.app_context():
        case = db.session.get(Case, info.id)
        assert case is not None
        loaded = [p.public_id for p in case.children]  # the form was built from these
        gone = case.children[0]
        with db.engine.begin() as other:  # a colleague removes the first child and commits
            other.execute(sa.text("DELETE FROM persons WHERE id = :id"), {"id": gone.id})
        with pytest.raises(ShelterError, match="Choose children of this case"):
            stays.request_admission(case, shelter=db.session.get(Shelter, shelter.id), child_ids=loaded,
                                    actor=db.session.get(User, people["counsellor"].id))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AdmissionRequest)) == 0


def test_erasing_a_case_coarsens_her_stays_and_drops_her_beds(app, people, make_case) -> None:  # type: ignore[no-untyped-def]
    """After erasure her stays keep the shelter, the months and the exit destination; not the days, not the rooms
    and beds she slept in, not the days of her extension; another woman's stay is untouched."""
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest, BedAssignment, ExtensionRequest, Stay

    shelter = make_shelter(app, people["admin"], coordinators=(people["coordinator"],))
    case = make_case(people["counsellor"], children=CHILDREN[:1])
    other = make_case(people["counsellor"], applicant_name="Zeynep Kaya", tckn=None)
    start = date(2026, 3, 17)
    admit(app, shelter, request_for(app, case, shelter, people["counsellor"]), people["coordinator"], [0, 1], start)
    admit(app, shelter, request_for(app, other, shelter, people["counsellor"], children=False), people["coordinator"],
          [4], start)
    leave = date(2026, 4, 9)
    with app.app_context():
        db = _db(app)
        coord = db.session.get(User, people["coordinator"].id)
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.case_id == case.id))
        stays.request_extension(r, new_end_on=start + timedelta(days=200), reason="housing-pending", note=None,
                                actor=coord)
        stays.discharge(r, stays=list(r.stays), on=leave, destination="relatives", actor=coord, today=leave)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/31",
                                                "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db = _db(app)
        mine = db.session.scalars(sa.select(Stay).where(Stay.case_id == case.id)).all()
        assert len(mine) == 2
        for stay in mine:
            assert (stay.starts_on, stay.ended_on, stay.exit_destination) == (date(2026, 3, 1), date(2026, 4, 1),
                                                                              "relatives")
            assert stay.planned_end_on.day == 1 and stay.planned_end_on > stay.starts_on
            assert (stay.created_at.day, stay.created_at.hour, stay.created_at.minute) == (1, 0, 0)
            assert stay.assignments == []
        [extension] = db.session.scalars(sa.select(ExtensionRequest)).all()
        assert extension.new_end_on.day == 1 and extension.requested_at.day == 1
        theirs = db.session.scalars(sa.select(Stay).where(Stay.case_id == other.id)).one()
        assert theirs.starts_on == start and len(theirs.assignments) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BedAssignment)) == 1


def test_board_lists_who_arrives_and_who_leaves_today(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """Arrivals and departures are read together (issue 20) and split: a stay starting today arrives; one ended
    today, or still open with its planned end today, leaves; a stay touching neither is in neither list."""
    import datetime as dt

    from app.dates import local_today
    from app.db import db
    from shelters.board import services as board_service
    from shelters.core.models import Shelter, Stay

    counsellor, coordinator, admin = make_user("counsellor"), make_user("coordinator"), make_user("admin")
    shelter = make_shelter(app, admin, coordinators=(coordinator,), rooms=(4, 4))
    with app.app_context():
        today = local_today()
    names = ("Arzu Yıldız", "Bahar Şen", "Ceren Öztürk", "Derya Işık")
    stays = {}
    for n, name in enumerate(names):
        case = make_case(counsellor, applicant_name=name, tckn=None, phone=None, children=())
        starts = today if n == 0 else today - dt.timedelta(days=5)
        stays[name] = admit(app, shelter, request_for(app, case, shelter, counsellor, children=False), coordinator,
                            [n], starts, today=starts)[0]
    with app.app_context():
        by_id = {name: db.session.scalar(sa.select(Stay).where(Stay.public_id == public_id))
                 for name, public_id in stays.items()}
        by_id["Arzu Yıldız"].planned_end_on = today + dt.timedelta(days=30)  # type: ignore[union-attr]
        by_id["Bahar Şen"].planned_end_on = today  # type: ignore[union-attr]
        by_id["Ceren Öztürk"].ended_on = today  # type: ignore[union-attr]
        by_id["Derya Işık"].planned_end_on = today + dt.timedelta(days=30)  # type: ignore[union-attr]
        db.session.commit()
        board = board_service.board(db.session.get(Shelter, shelter.id), today)
    assert board.arrivals == ["Arzu"]
    assert board.departures == ["Bahar", "Ceren"]
