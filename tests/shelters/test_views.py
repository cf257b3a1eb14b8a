"""Shelter pages as users and attackers see them (both databases): scoping (404s), the address shown only to the
right roles and never at rest in plaintext, no surnames on the board, extension approval by supervisors only,
malformed input answered 404/422 (never 500), and the request-from-case flow."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import csrf_token
from tests.security.test_encryption_at_rest import _raw_dump
from tests.shelters.helpers import admit, make_shelter, request_for

ADDRESS = "GIZLI-ADRES-7Q Papatya Sk. No:3 Şişli"
CHILDREN = (("Elif", "girl", 2018), ("Can", "boy", 2016))


def _today(app):  # type: ignore[no-untyped-def]
    from app.dates import local_today

    with app.app_context():
        return local_today()


@pytest.fixture
def world(app, client, make_user, make_case):  # type: ignore[no-untyped-def]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English text
    counsellor = make_user("counsellor")
    coord_a, coord_b = make_user("coordinator"), make_user("coordinator")
    supervisor, admin = make_user("supervisor"), make_user("admin")
    shelter_a = make_shelter(app, admin, coordinators=(coord_a,), address=ADDRESS)
    shelter_b = make_shelter(app, admin, coordinators=(coord_b,), name="Lale Evi")
    case = make_case(counsellor, applicant_name="Gülten Yılmaz", children=CHILDREN, risk_level="high")
    return {"counsellor": counsellor, "coord_a": coord_a, "coord_b": coord_b, "supervisor": supervisor,
            "admin": admin, "a": shelter_a, "b": shelter_b, "case": case}


def _admitted(app, world):  # type: ignore[no-untyped-def]
    req = request_for(app, world["case"], world["a"], world["counsellor"])
    admit(app, world["a"], req, world["coord_a"], [0, 1, 2], _today(app))
    return req


def test_coordinator_sees_only_her_shelter_and_never_case_pages(app, client, world, login_as, page) -> None:  # type: ignore[no-untyped-def]
    req = _admitted(app, world)
    login_as(client, world["coord_b"])
    page(client, f"/shelters/{world['b'].public_id}")
    for url in (f"/shelters/{world['a'].public_id}", f"/shelters/{world['a'].public_id}/waitlist",
                f"/shelters/{world['a'].public_id}/households/{req}", f"/shelters/{world['a'].public_id}/address",
                f"/shelters/{world['b'].public_id}/households/{req}",  # A's household through B's shelter
                f"/cases/{world['case'].public_id}", "/cases/",
                f"/shelters/requests/new?case={world['case'].public_id}"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Gülten" not in r.get_data(as_text=True)
    listing = page(client, "/shelters/").get_data(as_text=True)
    assert "Lale Evi" in listing and "Papatya Evi" not in listing
    from app.audit import AuditEvent

    with app.app_context():
        from app.db import db

        denied = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert any(e.object_id == str(world["a"].public_id) for e in denied)


def test_board_shows_first_names_never_surnames_and_no_address(app, client, world, login_as, page) -> None:  # type: ignore[no-untyped-def]
    _admitted(app, world)
    login_as(client, world["coord_a"])
    html = page(client, f"/shelters/{world['a'].public_id}").get_data(as_text=True)
    assert "Gülten" in html and "Elif" in html and "Can" in html
    assert "Yılmaz" not in html
    assert "GIZLI-ADRES-7Q" not in html
    assert "3 of 20 places taken" in html
    occ = page(client, f"/shelters/{world['a'].public_id}/occupancy").get_data(as_text=True)
    assert "<svg" in occ and "<table" in occ and "Yılmaz" not in occ


def test_address_is_shown_only_to_coordinators_and_supervisors(app, client, world, login_as, page,  # type: ignore[no-untyped-def]
                                                               backend, db_url, make_user) -> None:
    _admitted(app, world)
    sid = world["a"].public_id
    login_as(client, world["coord_a"])
    assert ADDRESS in page(client, f"/shelters/{sid}/address").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login_as(client, world["admin"])
    for url in (f"/shelters/{sid}/settings", f"/shelters/{sid}/rooms", "/shelters/"):
        html = page(client, url).get_data(as_text=True)
        assert "GIZLI-ADRES-7Q" not in html and "Gülten" not in html, url
    for url in (f"/shelters/{sid}/address", f"/shelters/{sid}", f"/shelters/{sid}/waitlist"):
        assert client.get(url).status_code == 404, url
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    sup = world["supervisor"]
    login_as(client, sup)
    assert ADDRESS in page(client, f"/shelters/{sid}/address").get_data(as_text=True)

    # the counsellor's case partial: status without the address
    from flask import g, render_template

    from app.db import db
    from app.users.models import User
    from cases.core.models import Case

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        g._login_user = db.session.get(User, world["counsellor"].id)
        html = render_template("cases/partials/_shelter.html", case=db.session.get(Case, world["case"].id))
        assert "Admitted" in html and "Papatya Evi" in html
        assert "GIZLI-ADRES-7Q" not in html and "Oda" not in html and "Yatak" not in html
        db.session.remove()

    dump = _raw_dump(app, backend, db_url)
    assert b"GIZLI-ADRES-7Q" not in dump
    assert b"Papatya Evi" in dump  # the scan sees plaintext columns


def test_encrypted_notes_not_at_rest(app, world, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest

    req_id = _admitted(app, world)
    with app.app_context():
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req_id))
        stays.request_extension(r, new_end_on=max(s.planned_end_on for s in r.stays) + timedelta(days=30),
                                reason="other", note="UZATMA-NOTU-9X", actor=db.session.get(User, world["coord_a"].id))
        db.session.commit()
    from cases.core.models import Case

    with app.app_context():
        c2 = db.session.get(Case, world["case"].id)
        r2 = AdmissionRequest(shelter_id=world["b"].id, case=c2, case_id=c2.id, case_public_id=c2.public_id,
                              requested_by_id=world["counsellor"].id, person_ids=[])
        db.session.add(r2)
        db.session.flush()
        stays.decline(r2, reason="other", note="RET-NOTU-5K", actor=db.session.get(User, world["coord_b"].id))
        db.session.commit()
    dump = _raw_dump(app, backend, db_url)
    assert b"UZATMA-NOTU-9X" not in dump and b"RET-NOTU-5K" not in dump


def test_extension_needs_a_supervisor(app, client, world, login_as, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from shelters.core.models import AdmissionRequest, ExtensionRequest, ExtensionStatus

    req = _admitted(app, world)
    sid = world["a"].public_id
    login_as(client, world["coord_a"])
    household = f"/shelters/{sid}/households/{req}"
    token = csrf_token(client, household)
    with app.app_context():
        planned = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req)).stays[0] \
            .planned_end_on
    r = client.post(f"{household}/extension", data={"csrf_token": token, "reason": "housing-pending",
                                                   "new_end_on": (planned + timedelta(days=45)).isoformat(),
                                                   "note": "İş başvurusu"})
    assert r.status_code == 302
    with app.app_context():
        ext = db.session.scalar(sa.select(ExtensionRequest))
        ext_id = ext.public_id
    r = client.post(f"/shelters/{sid}/extensions/{ext_id}/approve", data={"csrf_token": token})
    assert r.status_code == 404  # a coordinator cannot approve
    with app.app_context():
        assert db.session.scalar(sa.select(ExtensionRequest)).status == ExtensionStatus.PENDING
    client.post("/logout", data={"csrf_token": token})

    login_as(client, world["supervisor"])
    token = csrf_token(client, household)
    assert "Approve the extension" in client.get(household).get_data(as_text=True)
    dash = client.get("/").get_data(as_text=True)
    assert "Extensions awaiting your approval" in dash
    r = client.post(f"/shelters/{sid}/extensions/{ext_id}/approve", data={"csrf_token": token})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(ExtensionRequest)).status == ExtensionStatus.APPROVED
        stays_ = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req)).stays
        assert {s.planned_end_on for s in stays_} == {planned + timedelta(days=45)}


def test_malformed_input_is_404_or_422_never_500(app, client, world, login_as) -> None:  # type: ignore[no-untyped-def]
    req = request_for(app, world["case"], world["a"], world["counsellor"])
    sid = world["a"].public_id
    login_as(client, world["coord_a"])
    token = csrf_token(client, f"/shelters/{sid}/rooms")
    for url in ("/shelters/not-a-uuid", f"/shelters/{uuid.uuid4()}", f"/shelters/{sid}/households/{uuid.uuid4()}",
                f"/shelters/{sid}/requests/{uuid.uuid4()}/admit", f"/shelters/{sid}/households/{req}"):
        assert client.get(url).status_code == 404, url
    cases = [
        (f"/shelters/{sid}/rooms", {"name": "x" * 61}),
        (f"/shelters/{sid}/rooms", {"name": "Oda\x00"}),
        (f"/shelters/{sid}/out-of-service", {"target": "bed:zzz", "reason": "repair", "starts_on": "2031-01-01"}),
        (f"/shelters/{sid}/out-of-service", {"target": f"room:{world['a'].room_ids[0]}", "reason": "repair",
                                            "starts_on": "31/02/2031"}),
        (f"/shelters/{sid}/out-of-service", {"target": f"room:{world['a'].room_ids[0]}", "reason": "repair",
                                            "starts_on": "9999-12-31"}),
        (f"/shelters/{sid}/requests/{req}/admit", {"starts_on": "2031-13-01"}),
        (f"/shelters/{sid}/requests/{req}/admit", {"starts_on": _today(app).isoformat(),
                                                   **{f"bed_{x}": str(uuid.uuid4()) for x in range(3)}}),
        (f"/shelters/{sid}/requests/{req}/decline", {"reason": "no-such-reason"}),
        (f"/shelters/{sid}/requests/{req}/decline", {"reason": "other", "note": "İ" * 2001}),
    ]
    for url, data in cases:
        r = client.post(url, data={"csrf_token": token, **data})
        assert r.status_code == 422, (url, data, r.status_code)
    for url in (f"/shelters/{sid}/stays/{uuid.uuid4()}/move", f"/shelters/{sid}/extensions/{uuid.uuid4()}/approve",
                f"/shelters/{sid}/out-of-service/{uuid.uuid4()}/end", f"/shelters/{sid}/rooms/{uuid.uuid4()}/beds"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    # Turkish characters are fine
    r = client.post(f"/shelters/{sid}/rooms", data={"csrf_token": token, "name": "Işık Odası İĞŞ ığş"})
    assert r.status_code == 302
    assert "Işık Odası İĞŞ ığş" in client.get(f"/shelters/{sid}/rooms").get_data(as_text=True)


def test_admission_conflict_is_a_message_not_a_500(app, client, world, login_as, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from shelters.admissions import services as stays

    first = request_for(app, world["case"], world["a"], world["counsellor"], children=False)
    second_case = make_case(world["counsellor"], applicant_name="Zeynep Kaya", tckn=None)
    second = request_for(app, second_case, world["a"], world["counsellor"], children=False)
    admit(app, world["a"], first, world["coord_a"], [0], _today(app))
    sid = world["a"].public_id
    login_as(client, world["coord_a"])
    url = f"/shelters/{sid}/requests/{second}/admit"
    html = client.get(url).get_data(as_text=True)
    field = re.search(r'name="(bed_[0-9a-f]{32})"', html).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": csrf_token(client, url), "starts_on": _today(app).isoformat(),
            field: str(world["a"].bed_ids[0])}
    r = client.post(url, data=data)
    assert r.status_code == 422 and "booked for those dates" in r.get_data(as_text=True)
    monkeypatch.setattr(stays, "bed_free", lambda *a, **k: True)  # as if another coordinator booked it just now
    r = client.post(url, data=data)
    assert r.status_code == 409 and "That bed was just taken; choose another." in r.get_data(as_text=True)


def test_counsellor_requests_a_place_from_her_case(app, client, world, login_as, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from shelters.core.models import AdmissionRequest

    case = world["case"]
    other = make_user("counsellor")
    url = f"/shelters/requests/new?case={case.public_id}"
    login_as(client, other)  # not her case: 404
    assert client.get(url).status_code == 404
    assert client.get("/shelters/requests/new?case=zzz").status_code == 404
    assert client.get(f"/shelters/{world['a'].public_id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login_as(client, world["counsellor"])
    html = page(client, url).get_data(as_text=True)
    assert "Papatya Evi" in html and "Lale Evi" in html and "GIZLI-ADRES-7Q" not in html
    token = csrf_token(client, url)
    assert client.post(url, data={"csrf_token": token, "shelter": str(uuid.uuid4())}).status_code == 422
    with app.app_context():
        from cases.core.models import Case

        kids = [str(p.public_id) for p in db.session.get(Case, case.id).children]
    r = client.post(url, data={"csrf_token": token, "shelter": str(world["a"].public_id), "children": kids})
    assert r.status_code == 302
    with app.app_context():
        req = db.session.scalar(sa.select(AdmissionRequest))
        assert len(req.person_ids) == 3 and req.status == "pending"
    assert client.post(url, data={"csrf_token": token, "shelter": str(world["a"].public_id)}).status_code == 422


def test_out_of_service_keeps_history_and_blocks_admission(app, client, world, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from shelters.core.models import Outage

    sid = world["a"].public_id
    login_as(client, world["coord_a"])
    token = csrf_token(client, f"/shelters/{sid}/rooms")
    today = _today(app)
    r = client.post(f"/shelters/{sid}/out-of-service", data={
        "csrf_token": token, "target": f"bed:{world['a'].bed_ids[0]}", "reason": "repair",
        "starts_on": today.isoformat()})
    assert r.status_code == 302
    html = client.get(f"/shelters/{sid}").get_data(as_text=True)
    assert "Out of service" in html and "7 beds free" in html
    with app.app_context():
        outage_id = db.session.scalar(sa.select(Outage.public_id))
    r = client.post(f"/shelters/{sid}/out-of-service/{outage_id}/end", data={"csrf_token": token,
                                                                             "on": today.isoformat()})
    assert r.status_code == 302
    with app.app_context():
        o = db.session.scalar(sa.select(Outage))
        assert o.ends_on == today + timedelta(days=1)  # ended, not deleted


def test_a_boy_reaching_the_age_limit_is_flagged_on_admit_and_extension(app, client, make_user, make_case,  # type: ignore[no-untyped-def]
                                                                        login_as) -> None:
    from datetime import date
    from html import unescape

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    today = _today(app)
    limit = 12
    # He turns 12 around 1 July: the next one to come, within a year of stay but not at admission.
    born = (today.year if today < date(today.year, 7, 1) else today.year + 1) - limit
    counsellor, coordinator = make_user("counsellor"), make_user("coordinator")
    supervisor, admin = make_user("supervisor"), make_user("admin")
    shelter = make_shelter(app, admin, coordinators=(coordinator,), boy_age_limit=limit, max_stay_days=365)
    case = make_case(counsellor, children=(("Emre", "boy", born), ("Elif", "girl", 2018)))
    # The counsellor putting him on a request is told at once.
    login_as(client, counsellor)
    url = f"/shelters/requests/new?case={case.public_id}"
    with app.app_context():
        from app.db import db
        from cases.core.models import Case

        kids = [str(p.public_id) for p in db.session.get(Case, case.id).children]
    r = client.post(url, data={"csrf_token": csrf_token(client, url), "shelter": str(shelter.public_id),
                               "children": kids}, follow_redirects=True)
    assert r.status_code == 200 and "Emre reaches this shelter's age limit" in unescape(r.get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    with app.app_context():
        from shelters.core.models import AdmissionRequest

        req = db.session.scalar(sa.select(AdmissionRequest.public_id).where(AdmissionRequest.case_id == case.id))
    login_as(client, coordinator)
    html = unescape(client.get(f"/shelters/{shelter.public_id}/requests/{req}/admit").get_data(as_text=True))
    assert "Emre reaches this shelter's age limit for boys (12)" in html and "Elif reaches" not in html

    # A short stay that ends before his birthday says nothing; an extension past it says so when asked and approved.
    short = make_shelter(app, admin, coordinators=(coordinator,), boy_age_limit=limit, max_stay_days=30,
                         name="Kısa Evi")
    other = make_case(counsellor, children=(("Emre", "boy", born),))
    req2 = request_for(app, other, short, counsellor)
    admit_page = client.get(f"/shelters/{short.public_id}/requests/{req2}/admit").get_data(as_text=True)
    assert "reaches this shelter" not in unescape(admit_page)
    admit(app, short, req2, coordinator, [0, 1], today)
    household = f"/shelters/{short.public_id}/households/{req2}"
    r = client.post(f"{household}/extension", data={"csrf_token": csrf_token(client, household),
                                                   "reason": "housing-pending",
                                                   "new_end_on": (today + timedelta(days=360)).isoformat()})
    assert r.status_code == 302
    assert "Emre reaches this shelter's age limit" in unescape(client.get(household).get_data(as_text=True))
    from shelters.core.models import ExtensionRequest

    with app.app_context():
        ext_id = db.session.scalar(sa.select(ExtensionRequest.public_id))
    client.post("/logout", data={"csrf_token": csrf_token(client, household)})
    login_as(client, supervisor)
    r = client.post(f"/shelters/{short.public_id}/extensions/{ext_id}/approve",
                    data={"csrf_token": csrf_token(client, household)})
    assert r.status_code == 302
    assert "Emre reaches this shelter's age limit" in unescape(client.get(household).get_data(as_text=True))


def test_a_same_day_admission_and_discharge_is_not_staying_tonight(app, client, world, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import Shelter

    today = _today(app)
    req = _admitted(app, world)
    with app.app_context():
        shelter = db.session.get(Shelter, world["a"].id)
        household = stays.find_request(shelter, req)
        stays.discharge(household, stays=stays.active_stays(household), on=today,  # type: ignore[arg-type]
                        destination="relatives", actor=db.session.get(User, world["coord_a"].id))
        db.session.commit()
        assert stays.occupancy_on(shelter, today) == 3  # the night used still counts in the figures
    login_as(client, world["coord_a"])
    assert "0 / 20" in client.get("/").get_data(as_text=True)
    board = client.get(f"/shelters/{world['a'].public_id}").get_data(as_text=True)
    assert "0 of 20 places taken" in board


def test_each_residents_move_form_carries_its_own_csrf_token_and_refuses_a_post_without(  # type: ignore[no-untyped-def]
        app, client, world, login_as, page) -> None:
    req = _admitted(app, world)
    login_as(client, world["coord_a"])
    url = f"/shelters/{world['a'].public_id}/households/{req}"
    html = page(client, url).get_data(as_text=True)
    moves = re.findall(r'<form method="post" action="([^"]*/move)".*?</form>', html, re.S)
    assert len(moves) == 3  # she and her two children
    form = re.search(r'<form method="post" action="' + re.escape(moves[0]) + r'".*?</form>', html, re.S).group(0)
    token_field = re.search(r'name="([\w-]+-csrf_token)" type="hidden" value="([^"]+)"', form)
    assert token_field, "the per-resident form has no prefixed CSRF token"
    prefix = token_field.group(1).removesuffix("csrf_token")
    data = {f"{prefix}bed": "", f"{prefix}on": _today(app).isoformat()}
    refused = client.post(moves[0], data=data)
    assert refused.status_code == 400  # no token: CSRFProtect refuses before the view
    answered = client.post(moves[0], data={**data, token_field.group(1): token_field.group(2)})
    assert answered.status_code == 422  # the token is accepted; the empty bed is the form's own error
