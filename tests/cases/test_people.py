"""The people of a case after intake: correcting the applicant or a child, adding and removing a child.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import sqlalchemy as sa

import crypto
from tests import factories
from tests.cases.core_helpers import OTHER_TCKN, VALID_TCKN, post, search

NEW_NAME = "Şükriye Işıklı-Güneş"
CHILD = ("Elif Yılmaz", "girl", 2018)


def _people_url(case, person_id, suffix="edit") -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/people/{person_id}/{suffix}"


def _applicant_form(**overrides):  # type: ignore[no-untyped-def]
    data = {"full_name": "Ayşe Yılmaz", "tckn": VALID_TCKN, "document_no": "", "nationality": "",
            "date_of_birth": "", "phone": "0532 123 45 67", "address": "", "language": "", "disability": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _child_form(**overrides):  # type: ignore[no-untyped-def]
    data = {"full_name": CHILD[0], "sex": CHILD[1], "birth_year": str(CHILD[2]), "notes": "", "disability": ""}
    data.update(overrides)
    return data


def _person(app, public_id):  # type: ignore[no-untyped-def]
    """A detached snapshot of a person's decrypted fields and raw ciphertexts (None when the row is gone)."""
    from app.db import db
    from cases.core.models import Person

    with app.app_context():
        p = db.session.scalar(sa.select(Person).where(Person.public_id == uuid.UUID(str(public_id))))
        if p is None:
            return None
        names = ("full_name", "tckn", "document_no", "nationality", "date_of_birth", "phone", "address", "language",
                 "interpreter_needed", "disability", "sex", "birth_year", "notes", "kind")
        snap = {n: getattr(p, n) for n in names}
        snap["ct"] = {c: getattr(p, f"{c}_ct") for c in ("full_name", "tckn", "phone", "address", "language",
                                                           "disability", "notes")}
        snap["bidx"] = {c: crypto.index_buckets(db.session(), Person, c, p.public_id) or None
                        for c in ("full_name", "tckn", "phone")}
        return snap


def _case(app, case_id):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        c = db.session.get(Case, case_id)
        return {"children_count": c.children_count, "age_band": c.applicant_age_band,
                "children": [p.public_id for p in c.children]}


def _events(app, action=None):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return [{"action": e.action, "outcome": e.outcome, "object_id": e.object_id, "case_number": e.case_number,
                 "details": json.loads(e.details) if e.details else None, "reason": e.reason,
                 "raw": f"{e.action}|{e.object_id}|{e.case_number}|{e.reason}|{e.details}"}
                for e in db.session.scalars(stmt)]


def _search(client, q):  # type: ignore[no-untyped-def]
    r = search(client, q)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


# --- editing the applicant ----------------------------------------------------------------------------------------

def test_applicant_edit_round_trip_with_turkish_characters(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _people_url(case, case.applicant_public_id)
    html = page(client, url).get_data(as_text=True)
    assert "Ayşe Yılmaz" in html and case.number in html
    before = _person(app, case.applicant_public_id)
    r = post(client, url, _applicant_form(
        full_name=NEW_NAME, tckn=OTHER_TCKN, phone="0 (533) 765 43 21", date_of_birth="1985-03-09",
        address="Gül Sokak No: 7/2, Üsküdar — İstanbul", language="Kurmancî", interpreter_needed="y",
        disability="İşitme güçlüğü"), token_url=url)
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/cases/{case.public_id}#applicant-title")
    after = _person(app, case.applicant_public_id)
    assert after["full_name"] == NEW_NAME
    assert after["tckn"] == OTHER_TCKN
    assert after["phone"] == "+905337654321"  # stored in normal form, as at intake
    assert after["date_of_birth"] == date(1985, 3, 9)
    assert after["address"] == "Gül Sokak No: 7/2, Üsküdar — İstanbul"
    assert after["language"] == "Kurmancî" and after["interpreter_needed"] is True
    assert after["disability"] == "İşitme güçlüğü"
    assert after["ct"]["full_name"] != before["ct"]["full_name"]
    # the statistics' age band follows the corrected date of birth (applied 2026-11-02: 41 years old)
    assert _case(app, case.id)["age_band"] == "35-44"
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert NEW_NAME in html and "Ayşe Yılmaz" not in html
    # the semantic event names exactly the changed fields
    (event,) = _events(app, "case.person.update")
    assert event["outcome"] == "success" and event["case_number"] == case.number
    assert event["object_id"] == str(case.applicant_public_id)
    assert event["details"] == {"kind": "applicant", "fields": sorted(
        ["full_name", "tckn", "phone", "date_of_birth", "address", "language", "interpreter_needed", "disability"])}


def test_empty_input_clears_and_untouched_fields_are_not_rewritten(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _people_url(case, case.applicant_public_id)
    post(client, url, _applicant_form(address="Çiçek Sokak 5", language="Türkçe"), token_url=url)
    before = _person(app, case.applicant_public_id)
    assert before["address"] == "Çiçek Sokak 5"
    # The same values again (the phone typed differently but equal once normalised): nothing is written.
    r = post(client, url, _applicant_form(address="Çiçek Sokak 5", language="Türkçe", phone="+90 532 123 4567"),
             token_url=url)
    assert r.status_code == 302
    same = _person(app, case.applicant_public_id)
    assert same["ct"] == before["ct"] and same["bidx"] == before["bidx"]
    assert len(_events(app, "case.person.update")) == 1
    assert "Nothing was changed." in client.get(r.headers["Location"]).get_data(as_text=True)
    # Emptying an optional field clears it; the other fields keep their very ciphertext.
    r = post(client, url, _applicant_form(address="", language="Türkçe", phone=""), token_url=url)
    assert r.status_code == 302
    after = _person(app, case.applicant_public_id)
    assert after["address"] is None and after["ct"]["address"] is None
    assert after["phone"] is None and after["bidx"]["phone"] is None
    for name in ("full_name", "tckn", "language"):
        assert after["ct"][name] == before["ct"][name], name
    assert _events(app, "case.person.update")[-1]["details"]["fields"] == ["address", "phone"]
    # A field the request leaves out is untouched too (not cleared).
    post(client, url, _applicant_form(language=None, address="Yeni Adres"), token_url=url)
    assert _person(app, case.applicant_public_id)["address"] == "Yeni Adres"
    assert _person(app, case.applicant_public_id)["language"] == "Türkçe"


def test_search_finds_the_new_name_and_tckn_not_the_old(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Ayşe Yılmaz", tckn=VALID_TCKN)
    client = app.test_client()
    factories.login_as(client, counsellor)
    assert case.number in _search(client, "AYŞE YILMAZ")
    url = _people_url(case, case.applicant_public_id)
    r = post(client, url, _applicant_form(full_name=NEW_NAME, tckn=OTHER_TCKN, phone="0544 111 22 33"),
             token_url=url)
    assert r.status_code == 302
    for query in ("şükriye ışıklı güneş", "SUKRIYE ISIKLI GUNES", OTHER_TCKN, "05441112233"):
        assert case.number in _search(client, query), query
    for query in ("Ayşe Yılmaz", VALID_TCKN, "0532 123 45 67"):
        assert case.number not in _search(client, query), query


def test_invalid_input_is_a_form_error_and_changes_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _people_url(case, case.applicant_public_id)
    before = _person(app, case.applicant_public_id)
    cases = [
        ({"tckn": "12345678901"}, "This is not a valid T.C. Kimlik No"),
        ({"phone": "12345"}, "Enter a Turkish phone number"),
        ({"full_name": ""}, "Enter her full name."),
        ({"full_name": "Ş" * 201}, "There is a problem"),
        ({"address": "a\x00b"}, "Remove the control characters"),
        ({"full_name": "Ayşe\nYılmaz"}, "Remove the control characters and line breaks"),
        ({"tckn": VALID_TCKN, "document_no": "U1234567", "nationality": "Suriye"}, "not both"),
        ({"tckn": "", "document_no": "U1234567", "nationality": ""}, "Enter her nationality."),
        ({"date_of_birth": "2027-01-01"}, "There is a problem"),
    ]
    for overrides, message in cases:
        r = post(client, url, _applicant_form(**overrides), token_url=url)
        assert r.status_code == 422, overrides
        assert message in r.get_data(as_text=True), overrides
    assert _person(app, case.applicant_public_id) == before
    assert _events(app, "case.person.update") == []
    # Turkish UI: the same error in Turkish
    token = factories.csrf_token(client, url)
    r = client.post(url, data={**_applicant_form(tckn="12345678901"), "csrf_token": token},
                    headers={"Accept-Language": "tr"})
    assert r.status_code == 422
    assert "geçerli bir T.C. Kimlik No değil" in r.get_data(as_text=True)


def test_a_foreign_applicant_gets_a_document_number(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = _people_url(case, case.applicant_public_id)
    r = post(client, url, _applicant_form(tckn="", document_no="99123456790", nationality="Suriye"), token_url=url)
    assert r.status_code in (302, 422)
    if r.status_code == 422:  # an invalid YKN checksum is a form error, never a 500
        assert "YKN" in r.get_data(as_text=True)
    r = post(client, url, _applicant_form(tckn="", document_no="N 0123 4567", nationality="Suriye"), token_url=url)
    assert r.status_code == 302
    after = _person(app, case.applicant_public_id)
    assert after["tckn"] is None and after["document_no"] == "N 0123 4567" and after["nationality"] == "Suriye"


# --- children -----------------------------------------------------------------------------------------------------

def test_add_edit_and_remove_a_child(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, children=(("Can Yılmaz", "boy", 2015),))
    client = app.test_client()
    factories.login_as(client, counsellor)
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert f"/cases/{case.public_id}/children/new" in html
    assert _people_url(case, case.applicant_public_id) in html
    add_url = f"/cases/{case.public_id}/children/new"
    page(client, add_url)
    r = post(client, add_url, _child_form(notes="Astım; okul: Şehit Öğretmen İlkokulu"), token_url=add_url)
    assert r.status_code == 302
    state = _case(app, case.id)
    assert state["children_count"] == 2 and len(state["children"]) == 2
    child_id = state["children"][-1]
    child = _person(app, child_id)
    assert (child["full_name"], child["sex"], child["birth_year"]) == CHILD
    assert child["notes"] == "Astım; okul: Şehit Öğretmen İlkokulu" and child["kind"] == "child"
    (added,) = _events(app, "case.person.add")
    assert added["details"] == {"kind": "child", "fields": ["birth_year", "full_name", "notes", "sex"]}
    assert added["object_id"] == str(child_id)
    # the case page links to correcting and removing each child
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert _people_url(case, child_id) in html and _people_url(case, child_id, "remove") in html
    # correct the child: a different name and year, the needs cleared
    edit_url = _people_url(case, child_id)
    assert CHILD[0] in page(client, edit_url).get_data(as_text=True)
    r = post(client, edit_url, _child_form(full_name="Elif Işıl Yılmaz", birth_year="2017", notes=""),
             token_url=edit_url)
    assert r.status_code == 302
    child = _person(app, child_id)
    assert child["full_name"] == "Elif Işıl Yılmaz" and child["birth_year"] == 2017 and child["notes"] is None
    assert _events(app, "case.person.update")[-1]["details"] == {"kind": "child",
                                                                  "fields": ["birth_year", "full_name", "notes"]}
    # a child's birth year is checked as at intake
    r = post(client, edit_url, _child_form(birth_year="1950"), token_url=edit_url)
    assert r.status_code == 422 and "Enter a year between" in r.get_data(as_text=True)
    # remove: a confirmation page first, then the POST
    remove_url = _people_url(case, child_id, "remove")
    html = page(client, remove_url).get_data(as_text=True)
    assert "Elif Işıl Yılmaz" in html and "Remove the child" in html
    r = post(client, remove_url, {}, token_url=remove_url)
    assert r.status_code == 302
    assert _person(app, child_id) is None
    state = _case(app, case.id)
    assert state["children_count"] == 1 and child_id not in state["children"]
    (removed,) = _events(app, "case.person.remove")
    assert removed["details"] == {"kind": "child"} and removed["outcome"] == "success"
    assert any(e["action"] == "data.persons.delete" for e in _events(app))
    assert "Elif Işıl Yılmaz" not in page(client, f"/cases/{case.public_id}").get_data(as_text=True)


def test_remove_is_post_only_and_only_for_children(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, children=(CHILD,))
    client = app.test_client()
    factories.login_as(client, counsellor)
    (child_id,) = _case(app, case.id)["children"]
    # neither the applicant nor the perpetrator is removed here (he is corrected: tests/cases/test_perpetrator.py)
    from app.db import db
    from cases.core.models import Case, PersonKind
    from cases.core.services import add_person

    with app.app_context():
        perpetrator = add_person(db.session.get(Case, case.id), PersonKind.PERPETRATOR, full_name="İsmail Yılmaz")
        db.session.commit()
        perpetrator_id = perpetrator.public_id
    for person_id in (case.applicant_public_id, perpetrator_id):
        remove_url = _people_url(case, person_id, "remove")
        assert client.get(remove_url).status_code == 404
        assert post(client, remove_url, {}, token_url=f"/cases/{case.public_id}").status_code == 404
        assert _person(app, person_id) is not None
    # GET never removes
    client.get(_people_url(case, child_id, "remove"))
    assert _person(app, child_id) is not None


def _referenced_child(app, make_user, make_case, how):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    from app.db import db, utcnow
    from cases.referrals.models import Referral

    if how == "referral":
        with app.app_context():
            db.session.add(Referral(case_id=case.id, case_public_id=case.public_id, institution_type="sonim",
                                    data_classes=["identity", "children"], status="sent", created_by_id=counsellor.id,
                                    sent_at=utcnow(), sent_by_id=counsellor.id))
            db.session.commit()
    else:
        from tests.shelters.helpers import make_shelter, request_for

        shelter = make_shelter(app, make_user("supervisor"))
        request_for(app, case, shelter, counsellor, children=True)
    return counsellor, case, child_id


def test_remove_is_refused_when_the_child_is_referenced(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    for how, message in (("shelter", "shelter request"), ("referral", "shared in a referral")):
        counsellor, case, child_id = _referenced_child(app, make_user, make_case, how)
        client = app.test_client()
        factories.login_as(client, counsellor)
        remove_url = _people_url(case, child_id, "remove")
        html = page(client, remove_url).get_data(as_text=True)
        assert "This child cannot be removed." in html and message in html, how
        assert 'action="' + remove_url not in html  # no remove button on the confirmation page
        before = _person(app, child_id)
        events_before = len(_events(app, "data.persons.delete"))
        r = post(client, remove_url, {}, token_url=f"/cases/{case.public_id}")
        assert r.status_code == 409, how
        body = r.get_data(as_text=True)
        assert "This child cannot be removed." in body and message in body, how
        assert _person(app, child_id) == before
        assert _case(app, case.id)["children_count"] == 1
        assert len(_events(app, "data.persons.delete")) == events_before
        refusal = [e for e in _events(app, "case.person.remove") if e["object_id"] == str(child_id)]
        assert [e["outcome"] for e in refusal] == ["failure"], how
        assert refusal[0]["details"]["kind"] == "child" and refusal[0]["details"]["references"]


def test_a_draft_referral_does_not_block_removal(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    from app.db import db
    from cases.referrals.models import Referral

    with app.app_context():
        db.session.add(Referral(case_id=case.id, case_public_id=case.public_id, institution_type="sonim",
                                data_classes=["children"], status="draft", created_by_id=counsellor.id))
        db.session.commit()
    client = app.test_client()
    factories.login_as(client, counsellor)
    r = post(client, _people_url(case, child_id, "remove"), {}, token_url=f"/cases/{case.public_id}")
    assert r.status_code == 302 and _person(app, child_id) is None


# --- access -------------------------------------------------------------------------------------------------------

def test_other_centres_and_other_cases_are_404_and_audited(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    mine = make_case(counsellor, children=(CHILD,))
    sibling = make_case(counsellor, applicant_name="Başka Kadın", tckn=None, phone=None,
                        children=(("Zeynep Kaya", "girl", 2012),))
    other_centre = factories.make_centre(app)
    stranger = factories.make_user(app, "counsellor", centre=other_centre)
    theirs = make_case(stranger, applicant_name="Gizli Süreyya", tckn=None, phone=None,
                       children=(("Gizli Çocuk", "boy", 2016),))
    (their_child,) = _case(app, theirs.id)["children"]
    (sibling_child,) = _case(app, sibling.id)["children"]
    client = app.test_client()
    factories.login_as(client, counsellor)
    token_url = f"/cases/{mine.public_id}"
    snapshots = {pid: _person(app, pid) for pid in (their_child, theirs.applicant_public_id, sibling_child,
                                                     sibling.applicant_public_id)}
    attempts = [
        # the other centre's case with its own people: the case loader refuses
        (theirs, theirs.applicant_public_id, "edit", str(theirs.public_id)),
        (theirs, their_child, "edit", str(theirs.public_id)),
        (theirs, their_child, "remove", str(theirs.public_id)),
        # my case with another centre's person, or another case's person of my centre: the person lookup refuses
        (mine, theirs.applicant_public_id, "edit", str(theirs.applicant_public_id)),
        (mine, their_child, "remove", str(their_child)),
        (mine, sibling.applicant_public_id, "edit", str(sibling.applicant_public_id)),
        (mine, sibling_child, "edit", str(sibling_child)),
        (mine, sibling_child, "remove", str(sibling_child)),
        (mine, uuid.uuid4(), "edit", None),
    ]
    for case, person_id, suffix, denied_object in attempts:
        url = _people_url(case, person_id, suffix)
        before = len([e for e in _events(app) if e["outcome"] == "denied"])
        r = client.get(url)
        assert r.status_code == 404, url
        body = r.get_data(as_text=True)
        assert "Gizli" not in body and "Başka Kadın" not in body and "Zeynep" not in body
        data = _child_form(full_name="Sızma Girişimi") if suffix == "edit" else {}
        r = post(client, url, data, token_url=token_url)
        assert r.status_code == 404, url
        denials = [e for e in _events(app) if e["outcome"] == "denied"][before:]
        assert len(denials) == 2, url
        if denied_object is not None:
            assert {e["object_id"] for e in denials} == {denied_object}, url
    r = post(client, f"/cases/{theirs.public_id}/children/new", _child_form(), token_url=token_url)
    assert r.status_code == 404
    for pid, snap in snapshots.items():
        assert _person(app, pid) == snap
    assert _case(app, theirs.id)["children_count"] == 1
    assert _events(app, "case.person.update") == [] and _events(app, "case.person.add") == []


def test_missing_csrf_is_400_and_changes_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    client = app.test_client()
    factories.login_as(client, counsellor)
    before = {pid: _person(app, pid) for pid in (case.applicant_public_id, child_id)}
    for url, data in ((_people_url(case, case.applicant_public_id), _applicant_form(full_name=NEW_NAME)),
                      (_people_url(case, child_id), _child_form(full_name="Başka")),
                      (f"/cases/{case.public_id}/children/new", _child_form()),
                      (_people_url(case, child_id, "remove"), {})):
        r = client.post(url, data=data)
        assert r.status_code == 400, url
        r = client.post(url, data={**data, "csrf_token": "forged"})
        assert r.status_code == 400, url
    assert {pid: _person(app, pid) for pid in before} == before
    assert _case(app, case.id)["children_count"] == 1


def test_roles_without_edit_are_refused(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.db import db, utcnow
    from cases.core.models import BreakGlassGrant

    primary = make_user("counsellor")
    case = make_case(primary, children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    reader = make_user("counsellor")  # reads through break-glass: view only
    with app.app_context():
        db.session.add(BreakGlassGrant(case_id=case.id, user_id=reader.id, reason="Danışman izinde, kadın kapıda",
                                       expires_at=utcnow() + timedelta(hours=4)))
        db.session.commit()
    refused = {"break-glass reader": reader, "auditor": make_user("auditor"),
               "coordinator": make_user("coordinator"), "admin": make_user("admin")}
    before = {pid: _person(app, pid) for pid in (case.applicant_public_id, child_id)}
    for who, user in refused.items():
        client = app.test_client()
        factories.login_as(client, user)
        token_url = "/"
        if who == "break-glass reader":
            html = client.get(f"/cases/{case.public_id}").get_data(as_text=True)
            assert "Ayşe Yılmaz" in html  # she may read ...
            assert "/people/" not in html and "/children/new" not in html  # ... and is offered no change
        for url, data in ((_people_url(case, case.applicant_public_id), _applicant_form(full_name=NEW_NAME)),
                          (_people_url(case, child_id), _child_form(full_name="Başka")),
                          (f"/cases/{case.public_id}/children/new", _child_form()),
                          (_people_url(case, child_id, "remove"), {})):
            assert client.get(url).status_code == 404, f"{who} GET {url}"
            assert post(client, url, data, token_url=token_url).status_code == 404, f"{who} POST {url}"
    assert {pid: _person(app, pid) for pid in before} == before
    assert _case(app, case.id)["children_count"] == 1


def test_closed_case_cannot_be_changed(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(counsellor, status="closed", children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    before = _person(app, case.applicant_public_id)
    c = app.test_client()
    factories.login_as(c, counsellor)
    url = _people_url(case, case.applicant_public_id)
    assert c.get(url).status_code == 404  # her own case, but closed: no edit
    s = app.test_client()
    factories.login_as(s, supervisor)
    html = s.get(f"/cases/{case.public_id}").get_data(as_text=True)
    assert "/children/new" not in html
    r = post(s, url, _applicant_form(full_name=NEW_NAME), token_url=url)
    assert r.status_code == 422 and "The case is closed" in r.get_data(as_text=True)
    r = post(s, _people_url(case, child_id, "remove"), {}, token_url=url)
    assert r.status_code == 422 and _person(app, child_id) is not None
    assert _person(app, case.applicant_public_id) == before


def test_supervisor_may_correct_and_audit_rows_carry_no_values(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(counsellor, children=(CHILD,))
    (child_id,) = _case(app, case.id)["children"]
    client = app.test_client()
    factories.login_as(client, supervisor)
    url = _people_url(case, case.applicant_public_id)
    markers = {"full_name": "Markerİsim Şahinoğlu", "address": "MarkerAdres Sokak 9", "language": "MarkerDil",
               "disability": "MarkerEngel"}
    r = post(client, url, _applicant_form(tckn=OTHER_TCKN, phone="0555 987 65 43", **markers), token_url=url)
    assert r.status_code == 302
    child_url = _people_url(case, child_id)
    r = post(client, child_url, _child_form(full_name="MarkerÇocuk Işık", notes="MarkerNot"), token_url=child_url)
    assert r.status_code == 302
    add_url = f"/cases/{case.public_id}/children/new"
    r = post(client, add_url, _child_form(full_name="MarkerYeni Çocuk"), token_url=add_url)
    assert r.status_code == 302
    new_child = _case(app, case.id)["children"][-1]
    r = post(client, _people_url(case, new_child, "remove"), {}, token_url=add_url)
    assert r.status_code == 302
    events = _events(app)
    actions = [e["action"] for e in events]
    for action in ("case.person.update", "case.person.add", "case.person.remove", "data.persons.update",
                   "data.persons.create", "data.persons.delete"):
        assert action in actions, action
    values = [*markers.values(), OTHER_TCKN, "5559876543", "987 65 43", "MarkerÇocuk", "MarkerNot", "MarkerYeni",
              "Ayşe", VALID_TCKN, "Elif"]
    for event in events:
        for value in values:
            assert value not in event["raw"], (event["action"], value)
    updates = _events(app, "case.person.update")
    assert updates[0]["details"]["fields"] == ["address", "disability", "full_name", "language", "phone", "tckn"]
