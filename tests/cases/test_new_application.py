"""'Continue in her file': what was typed at intake is carried by POST into a new application on the returning
applicant's case, validated again, shown prefilled, and written only when the counsellor confirms."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import case_id_from, draft_page, intake_form, post_intake


def _count(app, model) -> int:  # type: ignore[no-untyped-def]
    from app.db import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _carry(client, case_id: str, **overrides):  # type: ignore[no-untyped-def]
    """Press 'Continue in her file' on the intake page: the intake form is posted to the new application."""
    data = intake_form(**overrides)
    data["csrf_token"] = factories.csrf_token(client, "/cases/new")
    r = client.post(f"/cases/{case_id}/applications/new", data=data)
    if "save_application" in overrides:
        return r
    # kept server-side, and the new application's page fetched by GET with only the draft's opaque id (issue 16)
    assert r.status_code == 303, r.status_code
    assert re.fullmatch(rf"/cases/{case_id}/applications/new/[0-9a-f-]{{36}}", r.headers["Location"])
    return client.get(r.headers["Location"])


def _returning(client):  # type: ignore[no-untyped-def]
    """Her first case (TCKN, phone 0532…, one child), then the same woman again with a new phone and a new child."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    case_id = case_id_from(post_intake(client, children=[("Elif Yılmaz", "girl", 2019)]))
    again = {"phone": "0544 987 65 43", "applied_on": "2026-11-20", "channel": "phone",
             "violence_types": ["economic"], "narrative": "Yine evden kovuldu, bu kez maaşına el kondu.",
             "immediate_needs": "Avukat", "children": [("Elif Yılmaz", "girl", 2019), ("Can Yılmaz", "boy", 2021)]}
    return case_id, again


def test_check_now_offers_to_continue_in_her_file_with_what_was_typed(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    r = draft_page(client, post_intake(client, check_now="Check now", **again))
    html = r.get_data(as_text=True)
    # A submit button of the intake form (what was typed goes in the POST body), not a link.
    assert f'formaction="/cases/{case_id}/applications/new"' in html
    assert 'form="intake-form"' in html and 'id="intake-form"' in html


def test_the_typed_values_arrive_prefilled_with_the_differences_ticked(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from cases.notes.models import ContactNote

    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    notes_before = _count(app, ContactNote)
    r = _carry(client, case_id, **again)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for typed in ("Yine evden kovuldu, bu kez maaşına el kondu.", 'value="0544 987 65 43"', "Avukat",
                  'value="Can Yılmaz"', 'value="2026-11-20"'):
        assert typed in html, typed
    # What differs from her file is listed and ticked; what her file has already is not.
    ticked = re.findall(r'<input checked id="bring_in-\d+" name="bring_in" type="checkbox" value="([^"]+)"', html)
    assert ticked == ["applicant:phone", "child:1"]
    assert "Phone: 0544 987 65 43" in html and "A child not in her file: Can Yılmaz" in html
    assert "applicant:full_name" not in html and "child:0" not in html
    assert _count(app, ContactNote) == notes_before  # nothing written before she confirms


def test_confirming_records_the_application_and_brings_in_only_what_was_ticked(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Case
    from cases.notes.models import ContactNote

    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    r = _carry(client, case_id, save_application="1", bring_in=["child:1"], **again)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{case_id}")
    assert _count(app, Case) == 1  # no second case
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert case.applicant.phone == "+905321234567"  # not ticked: her file keeps its phone
        assert [c.full_name for c in case.children] == ["Elif Yılmaz", "Can Yılmaz"]
        assert case.violence_types == ["economic", "physical", "psychological"]
        note = db.session.scalar(sa.select(ContactNote).where(ContactNote.kind == "application"))
        assert note is not None and str(note.occurred_on) == "2026-11-20"
        assert "maaşına el kondu" in note.text and "Avukat" in note.text
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.application"))
        assert event is not None and event.case_number == case.number
        assert "child:1" in event.details and "0544" not in event.details and "maaş" not in event.details
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "New application" in page and "maaşına el kondu" in page


def test_a_ticked_phone_replaces_the_one_in_her_file(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    r = _carry(client, case_id, save_application="1", bring_in=["applicant:phone"], **again)
    assert r.status_code == 302
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert case.applicant.phone == "+905449876543" and len(case.children) == 1


def test_carried_values_are_validated_again(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from cases.notes.models import ContactNote

    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    for bad in ({"phone": "12ab"}, {"applied_on": "31.02.2026"}, {"tckn": "12345678901"},
                {"violence_types": ["telepathic"]}, {"narrative": "a\x00b"}):
        r = _carry(client, case_id, save_application="1", **{**again, **bad})
        assert r.status_code == 422, bad
        assert 'class="error-summary"' in r.get_data(as_text=True)
    r = _carry(client, case_id, save_application="1", bring_in=["applicant:nonsense"], **again)
    assert r.status_code == 422
    assert _count(app, ContactNote) == 0


def test_back_to_the_intake_form_keeps_everything_typed(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    html = _carry(client, case_id, **again).get_data(as_text=True)
    assert 'formaction="/cases/new"' in html and 'name="resume"' in html
    data = intake_form(**again)
    data.update(csrf_token=factories.csrf_token(client, "/cases/new"), resume="1")
    r = draft_page(client, client.post("/cases/new", data=data))
    assert r.status_code == 200
    back = r.get_data(as_text=True)
    for typed in ("Yine evden kovuldu, bu kez maaşına el kondu.", 'value="0544 987 65 43"', 'value="Can Yılmaz"'):
        assert typed in back, typed
    assert 'id="returning-check"' in back  # the check is shown again beside her identity


def test_nothing_typed_is_in_a_url(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    case_id, again = _returning(client)
    html = _carry(client, case_id, **again).get_data(as_text=True)
    for url in re.findall(r'(?:href|action|formaction)="([^"]*)"', html):
        url = re.sub(r"[0-9a-f-]{36}|\?v=[0-9a-f]+$", "", url)  # ids and asset versions may hold any digits
        assert "0544" not in url and "Y%C4%B1lmaz" not in url and "Yılmaz" not in url, url
        assert url.startswith("/static/") or "?" not in url, url  # no query string carries anything


def test_a_case_she_may_not_work_on_is_an_audited_404(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from cases.notes.models import ContactNote

    colleague = make_user("counsellor")
    theirs = make_case(colleague, applicant_name="Ayşe Yılmaz")
    factories.login_as(client, make_user("counsellor"))
    denied_before = _count(app, AuditEvent)
    r = _carry(client, str(theirs.public_id), save_application="1")
    assert r.status_code == 404
    assert _count(app, ContactNote) == 0 and _count(app, AuditEvent) > denied_before


def test_a_supervisor_continuing_in_a_closed_file_reopens_it(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case, CaseStatus

    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    closed = make_case(counsellor, applicant_name="Ayşe Yılmaz", status="closed")
    factories.login_as(client, supervisor)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = _carry(client, str(closed.public_id)).get_data(as_text=True)
    assert "saving the new application reopens it" in html
    r = _carry(client, str(closed.public_id), save_application="1")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Case, closed.id).status == CaseStatus.ACTIVE


def test_a_consent_without_the_notice_is_refused_and_nothing_is_written(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from cases.notes.models import ContactNote

    counsellor = make_user("counsellor")
    earlier = make_case(counsellor)  # opened without the KVKK notice on record
    factories.login_as(client, counsellor)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    r = _carry(client, str(earlier.public_id), save_application="1", notice_given="", consent_purposes=["statistics"])
    assert r.status_code == 422
    assert "Give her the information notice first" in r.get_data(as_text=True)
    assert _count(app, ContactNote) == 0
    r = _carry(client, str(earlier.public_id), save_application="1", notice_given="")  # no consent: no notice asked
    assert r.status_code == 302


def test_a_counsellor_is_told_her_closed_file_needs_her_supervisor(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    closed = make_case(counsellor, applicant_name="Ayşe Yılmaz", status="closed")
    factories.login_as(client, counsellor)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = draft_page(client, post_intake(client, check_now="Check now")).get_data(as_text=True)
    assert closed.number in html and "Ask your supervisor to reopen it" in html
    assert f'formaction="/cases/{closed.public_id}/applications/new"' not in html
    assert _carry(client, str(closed.public_id), save_application="1").status_code == 404  # a closed file: no work
