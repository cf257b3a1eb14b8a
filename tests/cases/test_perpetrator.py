"""The person using violence (perpetrator) after intake: correcting his details, recording him when the intake did not.

He is a ``Person`` row of kind ``perpetrator``, so he is corrected through ``cases.edit_person`` (as the applicant and
the children are) and recorded through ``cases.add_perpetrator``. Every test runs on SQLite and PostgreSQL (the
``app`` fixture)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_people import _events

OLD = {"full_name": "İsmail Yılmaz", "relationship_to_applicant": "spouse", "notes": "Uzun boylu, siyah araba"}
NEW_NAME = "Şükrü Işıkoğlu-Güneş"
NEW_NOTES = "Çağlayan'da bir oto tamirhanesinde çalışıyor; ruhsatsız tabancası var. Ğ ğ İ ı Ş ş"


def _edit_url(case, person_id) -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/people/{person_id}/edit"


def _add_url(case) -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/perpetrator/new"


def _form(**overrides):  # type: ignore[no-untyped-def]
    data = {"full_name": OLD["full_name"], "relationship_to_applicant": OLD["relationship_to_applicant"],
            "notes": OLD["notes"]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _record_perpetrator(app, case, **fields) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """As the intake records him: the person row and the case's categorical copy of the relationship."""
    from app.db import db
    from cases.core.models import Case, PersonKind
    from cases.core.services import add_person

    values = {**OLD, **fields}
    with app.app_context():
        c = db.session.get(Case, case.id)
        person = add_person(c, PersonKind.PERPETRATOR, **{k: v for k, v in values.items() if v is not None})
        c.relationship_to_perpetrator = values["relationship_to_applicant"]
        db.session.commit()
        return person.public_id


def _perpetrators(app, case):  # type: ignore[no-untyped-def]
    """Detached snapshots of the case's perpetrators (decrypted values and raw ciphertexts), and the case's copy of
    the relationship."""
    import crypto
    from app.db import db
    from cases.core.models import Case, Person, PersonKind

    with app.app_context():
        people = db.session.scalars(sa.select(Person).where(Person.case_id == case.id,
                                                            Person.kind == PersonKind.PERPETRATOR)
                                    .order_by(Person.id)).all()
        snaps = [{"public_id": p.public_id, "full_name": p.full_name, "notes": p.notes,
                  "relationship_to_applicant": p.relationship_to_applicant,
                  "ct": {"full_name": p.full_name_ct, "notes": p.notes_ct},
                  "bidx": crypto.index_buckets(db.session(), Person, "full_name", p.public_id)}
                 for p in people]
        return snaps, db.session.get(Case, case.id).relationship_to_perpetrator


def _name_search(app, case, name):  # type: ignore[no-untyped-def]
    """The blind-index search over perpetrators' names, within this case: the public ids found."""
    import crypto
    from app.db import db
    from cases.core.models import Person, PersonKind

    with app.app_context():
        where = sa.and_(Person.kind == PersonKind.PERPETRATOR, Person.case_id == case.id)
        return [p.public_id for p in crypto.search(db.session(), Person.full_name, name, where=where)]


def test_edit_round_trip_with_turkish_characters(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)
    # the case page links to the correction, next to his section
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert _edit_url(case, pid) in html and 'id="edit-perpetrator"' in html
    assert _add_url(case) not in html  # he is recorded: corrected, not added again
    # the form is prefilled with the decrypted values
    url = _edit_url(case, pid)
    html = page(client, url).get_data(as_text=True)
    assert OLD["full_name"] in html and OLD["notes"] in html
    assert '<option selected value="spouse">' in html or 'value="spouse" selected' in html
    (before,), _ = _perpetrators(app, case)
    r = post(client, url, _form(full_name=NEW_NAME, relationship_to_applicant="former-spouse", notes=NEW_NOTES),
             token_url=url)
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/cases/{case.public_id}#perpetrator-title")
    (after,), case_relationship = _perpetrators(app, case)
    assert after["full_name"] == NEW_NAME and after["notes"] == NEW_NOTES
    assert after["relationship_to_applicant"] == "former-spouse"
    # the case's categorical copy (dashboards, statistics) follows
    assert case_relationship == "former-spouse"
    assert after["ct"]["full_name"] != before["ct"]["full_name"]
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert NEW_NAME in html and NEW_NOTES.replace("'", "&#39;") in html and "Former spouse" in html
    assert OLD["full_name"] not in html and OLD["notes"] not in html
    (event,) = _events(app, "case.person.update")
    assert event["outcome"] == "success" and event["case_number"] == case.number
    assert event["object_id"] == str(pid)
    assert event["details"] == {"kind": "perpetrator", "fields": ["full_name", "notes", "relationship_to_applicant"]}


def test_empty_clears_and_untouched_fields_are_not_rewritten(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _edit_url(case, pid)
    (before,), _ = _perpetrators(app, case)
    # the same values (the name spaced differently is still the same after the filter): nothing is written
    r = post(client, url, _form(full_name=f"  {OLD['full_name']} "), token_url=url)
    assert r.status_code == 302
    assert "Nothing was changed." in client.get(r.headers["Location"]).get_data(as_text=True)
    (same,), _ = _perpetrators(app, case)
    assert same == before and _events(app, "case.person.update") == []
    # emptying the description clears it; the name keeps its very ciphertext and blind index
    r = post(client, url, _form(notes=""), token_url=url)
    assert r.status_code == 302
    (after,), relationship = _perpetrators(app, case)
    assert after["notes"] is None and after["ct"]["notes"] is None
    assert after["ct"]["full_name"] == before["ct"]["full_name"] and after["bidx"] == before["bidx"]
    assert relationship == "spouse"
    # the relationship emptied: cleared on him and on the case's copy
    r = post(client, url, _form(notes="", relationship_to_applicant=""), token_url=url)
    assert r.status_code == 302
    (after,), relationship = _perpetrators(app, case)
    assert after["relationship_to_applicant"] is None and relationship is None
    assert [e["details"]["fields"] for e in _events(app, "case.person.update")] == [
        ["notes"], ["relationship_to_applicant"]]
    # a field the request leaves out is untouched (not cleared)
    r = post(client, url, _form(full_name=None, notes="Yeni açıklama", relationship_to_applicant=""), token_url=url)
    assert r.status_code == 302
    (after,), _ = _perpetrators(app, case)
    assert after["full_name"] == OLD["full_name"] and after["notes"] == "Yeni açıklama"


def test_blind_index_search_finds_the_new_name_not_the_old(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    assert _name_search(app, case, "İSMAİL YILMAZ") == [pid]
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _edit_url(case, pid)
    assert post(client, url, _form(full_name=NEW_NAME), token_url=url).status_code == 302
    for query in ("şükrü ışıkoğlu güneş", "SUKRU ISIKOGLU GUNES", NEW_NAME):
        assert _name_search(app, case, query) == [pid], query
    for query in (OLD["full_name"], "ismail yilmaz"):
        assert _name_search(app, case, query) == [], query


def test_invalid_input_is_a_form_error_and_changes_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _edit_url(case, pid)
    before = _perpetrators(app, case)
    for overrides, message in [
        ({"full_name": "Ş" * 201}, "There is a problem"),
        ({"notes": "İ" * 2001}, "There is a problem"),
        ({"full_name": "İsmail\nYılmaz"}, "Remove the control characters and line breaks"),
        ({"notes": "a\x00b"}, "Remove the control characters"),
        ({"relationship_to_applicant": "sultan"}, "There is a problem"),
        ({"full_name": "", "relationship_to_applicant": "", "notes": ""},
         "Enter a name, the sex, the relationship to her or a description."),
    ]:
        r = post(client, url, _form(**overrides), token_url=url)
        assert r.status_code == 422, overrides
        assert message in r.get_data(as_text=True), overrides
    assert _perpetrators(app, case) == before
    assert _events(app, "case.person.update") == []
    # Turkish UI: the same error in Turkish
    token = factories.csrf_token(client, url)
    r = client.post(url, data={**_form(full_name="", relationship_to_applicant="", notes=""), "csrf_token": token},
                    headers={"Accept-Language": "tr"})
    assert r.status_code == 422
    assert "Bir ad, cinsiyet, başvurucuyla yakınlık ya da bir tanım girin." in r.get_data(as_text=True)


def test_add_a_perpetrator_when_the_intake_recorded_none(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert _add_url(case) in html and 'id="add-perpetrator"' in html
    page(client, _add_url(case))
    # an empty form records nobody
    r = post(client, _add_url(case), _form(full_name="", relationship_to_applicant="", notes=""),
             token_url=_add_url(case))
    assert r.status_code == 422 and "Enter a name, the sex, the relationship to her or a description." in r.get_data(
        as_text=True)
    assert _perpetrators(app, case) == ([], None)
    r = post(client, _add_url(case), _form(full_name=NEW_NAME, relationship_to_applicant="former-partner",
                                           notes=""), token_url=_add_url(case))
    assert r.status_code == 302 and r.headers["Location"].endswith("#perpetrator-title")
    (added,), relationship = _perpetrators(app, case)
    assert (added["full_name"], added["relationship_to_applicant"], added["notes"]) == (NEW_NAME, "former-partner",
                                                                                        None)
    assert relationship == "former-partner"
    (event,) = _events(app, "case.person.add")
    assert event["details"] == {"kind": "perpetrator", "fields": ["full_name", "relationship_to_applicant"]}
    assert event["object_id"] == str(added["public_id"])
    # once he is recorded: the page offers the correction, the add page sends there, a second add is refused
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert _add_url(case) not in html and _edit_url(case, added["public_id"]) in html
    r = client.get(_add_url(case))
    assert r.status_code == 302 and r.headers["Location"].endswith(_edit_url(case, added["public_id"]))
    r = post(client, _add_url(case), _form(full_name="İkinci Kişi"), token_url=f"/cases/{case.public_id}")
    assert r.status_code == 409 and "already recorded" in r.get_data(as_text=True)
    assert len(_perpetrators(app, case)[0]) == 1 and len(_events(app, "case.person.add")) == 1


def test_other_centres_and_other_cases_are_404_and_audited(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    mine = make_case(counsellor)
    my_pid = _record_perpetrator(app, mine)
    sibling = make_case(counsellor, applicant_name="Başka Kadın", tckn=None, phone=None)
    sibling_pid = _record_perpetrator(app, sibling, full_name="Kardeş Dosyanın Faili")
    stranger = factories.make_user(app, "counsellor", centre=factories.make_centre(app))
    theirs = make_case(stranger, applicant_name="Gizli Süreyya", tckn=None, phone=None)
    their_pid = _record_perpetrator(app, theirs, full_name="Gizli Fail Öztürk")
    empty_theirs = make_case(stranger, applicant_name="Gizli Nesrin", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, counsellor)
    token_url = f"/cases/{mine.public_id}"
    snapshots = {c.id: _perpetrators(app, c) for c in (mine, sibling, theirs, empty_theirs)}
    attempts = [
        (_edit_url(theirs, their_pid), str(theirs.public_id)),  # the case loader refuses
        (_edit_url(mine, their_pid), str(their_pid)),  # the person lookup inside my case refuses
        (_edit_url(mine, sibling_pid), str(sibling_pid)),
        (_edit_url(mine, uuid.uuid4()), None),
        (_add_url(theirs), str(theirs.public_id)),
        (_add_url(empty_theirs), str(empty_theirs.public_id)),
    ]
    for url, denied_object in attempts:
        before = len([e for e in _events(app) if e["outcome"] == "denied"])
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Gizli" not in r.get_data(as_text=True) and "Kardeş" not in r.get_data(as_text=True)
        r = post(client, url, _form(full_name="Sızma Girişimi"), token_url=token_url)
        assert r.status_code == 404, url
        denials = [e for e in _events(app) if e["outcome"] == "denied"][before:]
        assert len(denials) == 2, url
        if denied_object is not None:
            assert {e["object_id"] for e in denials} == {denied_object}, url
    assert {c.id: _perpetrators(app, c) for c in (mine, sibling, theirs, empty_theirs)} == snapshots
    assert _events(app, "case.person.update") == [] and _events(app, "case.person.add") == []
    assert my_pid  # my own perpetrator stays editable
    assert client.get(_edit_url(mine, my_pid)).status_code == 200


def test_missing_csrf_is_400_and_changes_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    empty = make_case(counsellor, applicant_name="Boş Dosya", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, counsellor)
    before = (_perpetrators(app, case), _perpetrators(app, empty))
    for url in (_edit_url(case, pid), _add_url(empty)):
        assert client.post(url, data=_form(full_name=NEW_NAME)).status_code == 400, url
        assert client.post(url, data={**_form(full_name=NEW_NAME), "csrf_token": "forged"}).status_code == 400, url
    assert (_perpetrators(app, case), _perpetrators(app, empty)) == before


def test_roles_without_edit_are_refused(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.core.models import BreakGlassGrant

    primary = make_user("counsellor")
    case = make_case(primary)
    pid = _record_perpetrator(app, case)
    empty = make_case(primary, applicant_name="Boş Dosya", tckn=None, phone=None)
    reader = make_user("counsellor")  # reads through break-glass: view only
    with app.app_context():
        for c in (case, empty):
            db.session.add(BreakGlassGrant(case_id=c.id, user_id=reader.id, reason="Danışman izinde, kadın kapıda",
                                           expires_at=utcnow() + timedelta(hours=4)))
        db.session.commit()
    refused = {"break-glass reader": reader, "auditor": make_user("auditor"),
               "coordinator": make_user("coordinator"), "admin": make_user("admin"),
               "unassigned counsellor": make_user("counsellor")}
    before = (_perpetrators(app, case), _perpetrators(app, empty))
    for who, user in refused.items():
        client = app.test_client()
        factories.login_as(client, user)
        if who == "break-glass reader":
            html = client.get(f"/cases/{case.public_id}").get_data(as_text=True)
            assert OLD["full_name"] in html  # she may read ...
            assert "/people/" not in html and 'id="edit-perpetrator"' not in html  # ... and is offered no change
            html = client.get(f"/cases/{empty.public_id}").get_data(as_text=True)
            assert "/perpetrator/new" not in html
        for url in (_edit_url(case, pid), _add_url(empty)):
            assert client.get(url).status_code == 404, f"{who} GET {url}"
            assert post(client, url, _form(full_name=NEW_NAME), token_url="/").status_code == 404, f"{who} {url}"
    assert (_perpetrators(app, case), _perpetrators(app, empty)) == before


def test_closed_case_cannot_be_changed(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(counsellor, status="closed")
    pid = _record_perpetrator(app, case)
    empty = make_case(counsellor, status="closed", applicant_name="Boş Dosya", tckn=None, phone=None)
    before = (_perpetrators(app, case), _perpetrators(app, empty))
    c = app.test_client()
    factories.login_as(c, counsellor)
    assert c.get(_edit_url(case, pid)).status_code == 404  # her own case, but closed: no edit
    assert c.get(_add_url(empty)).status_code == 404
    s = app.test_client()
    factories.login_as(s, supervisor)
    assert _edit_url(case, pid) not in s.get(f"/cases/{case.public_id}").get_data(as_text=True)
    assert _add_url(empty) not in s.get(f"/cases/{empty.public_id}").get_data(as_text=True)
    r = post(s, _edit_url(case, pid), _form(full_name=NEW_NAME), token_url="/")
    assert r.status_code == 422 and "The case is closed" in r.get_data(as_text=True)
    r = post(s, _add_url(empty), _form(full_name=NEW_NAME), token_url="/")
    assert r.status_code == 422 and "The case is closed" in r.get_data(as_text=True)
    assert (_perpetrators(app, case), _perpetrators(app, empty)) == before
    assert _events(app, "case.person.update") == [] and _events(app, "case.person.add") == []


def test_supervisor_may_correct_and_audit_rows_carry_no_values(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    empty = make_case(counsellor, applicant_name="Boş Dosya", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, supervisor)
    markers = {"full_name": "Markerİsim Faiğoğlu", "notes": "MarkerAçıklama tabanca Kadıköy"}
    url = _edit_url(case, pid)
    assert post(client, url, _form(relationship_to_applicant="brother", **markers), token_url=url).status_code == 302
    r = post(client, _add_url(empty), _form(full_name="MarkerYeni Fail", notes="MarkerYeniNot",
                                            relationship_to_applicant="stranger"), token_url=_add_url(empty))
    assert r.status_code == 302
    events = _events(app)
    actions = [e["action"] for e in events]
    for action in ("case.person.update", "case.person.add", "data.persons.update", "data.persons.create"):
        assert action in actions, action
    values = [*markers.values(), "Markerİsim", "Faiğoğlu", "MarkerYeni", "MarkerYeniNot", "tabanca", OLD["full_name"],
              OLD["notes"], "İsmail", "brother", "stranger"]
    for event in events:
        for value in values:
            assert value not in event["raw"], (event["action"], value)
    (update,) = _events(app, "case.person.update")
    assert update["details"] == {"kind": "perpetrator", "fields": ["full_name", "notes", "relationship_to_applicant"]}


def test_the_shelter_sees_the_corrected_description(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The shelter's "do not admit" description is his description, read when the resident view is built: a
    correction reaches the shelter without a copy to keep in step."""
    from datetime import date

    from app.db import db
    from shelters.admissions.resident_view import resident_view
    from shelters.core.models import AdmissionRequest
    from tests.shelters.helpers import make_shelter, request_for

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    pid = _record_perpetrator(app, case)
    shelter = make_shelter(app, make_user("supervisor"))
    req = request_for(app, case, shelter, counsellor, children=False)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _edit_url(case, pid)
    assert post(client, url, _form(notes=NEW_NOTES), token_url=url).status_code == 302
    with app.app_context():
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        assert resident_view(r, date(2026, 12, 1)).do_not_admit == [NEW_NOTES]
