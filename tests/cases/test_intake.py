"""Intake: a counsellor records a new application; identity checks; the returning-applicant check."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import OTHER_TCKN, VALID_TCKN, case_id_from, confirm_token, draft_page, post_intake


def _count_cases(app) -> int:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0


def test_intake_happy_path_with_turkish_text_and_children(app, client, make_user, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    factories.login_as(client, counsellor)
    page(client, "/cases/new")
    r = post_intake(client, full_name="Şule İnce Işıklı", tckn=VALID_TCKN, phone="+90 532 123 4567",
                    children=[("Elif Işık", "girl", 2019), ("Ömer Işık", "boy", 2016)])
    case_id = case_id_from(r)
    html = page(client, f"/cases/{case_id}").get_data(as_text=True)
    for value in ("Şule İnce Işıklı", VALID_TCKN, "+905321234567", "Çiçek Sokak No: 5, Şişli", "Elif Işık",
                  "Ömer Işık", "2019", "İsmail Yılmaz", "Kırmızı araba kullanıyor",
                  "Eşi İsmail onu tehdit etti; ŞÖNİM&#39;e gitti.", "Güvenli bir yer", "papatya"):
        assert value in html, value
    from app.db import db
    from cases.core.models import Case, CaseStatus

    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert case.status == CaseStatus.OPEN
        assert case.children_count == 2
        assert case.applicant_age_band == "35-44"
        assert case.primary_counsellor_id == counsellor.id
        assert case.violence_types == ["physical", "psychological"]
        assert case.relationship_to_perpetrator == "spouse"
        assert case.safe_contact["call"] is True and case.safe_contact["text"] is False
        assert [c.sex for c in case.children] == ["girl", "boy"]
        from app.audit import AuditEvent

        opened = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.open"))
        assert opened is not None and opened.case_number == case.number
        assert "Şule" not in (opened.details or "")


def test_invalid_tckn_is_a_field_error_and_nothing_is_saved(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    r = post_intake(client, tckn="12345678901")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "This is not a valid T.C. Kimlik No" in html
    assert 'aria-invalid="true"' in html
    assert _count_cases(app) == 0


def test_bad_input_gives_form_errors_never_500(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    cases = [
        {"phone": "12ab"},
        {"applied_on": "2026-13-45"},
        {"applied_on": "2999-01-01"},
        {"date_of_birth": "not a date"},
        {"full_name": ""},
        {"full_name": "x" * 5000},
        {"narrative": "ğ" * 20_001},
        {"channel": "carrier-pigeon"},
        {"violence_types": ["physical", "telepathic"]},
        {"children-0-full_name": "", "children-0-birth_year": "abc"},
        {"children-1-birth_year": "2019"},  # a child without a name
        {"tckn": "", "document_no": "U1234567", "nationality": ""},
        {"full_name": "Ayşe\x00Yılmaz"},
        {"phone_checked": "maybe"},
    ]
    for overrides in cases:
        r = post_intake(client, **overrides)
        assert r.status_code == 422, overrides
        assert "There is a problem" in r.get_data(as_text=True), overrides
    assert _count_cases(app) == 0


def test_foreign_applicant_with_passport(app, client, make_user, page) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    r = post_intake(client, tckn="", document_no="U 123-4567", nationality="Suriye", phone="")
    html = page(client, f"/cases/{case_id_from(r)}").get_data(as_text=True)
    assert "U 123-4567" in html and "Suriye" in html


def _first_case(client, **overrides):  # type: ignore[no-untyped-def]
    return case_id_from(post_intake(client, **overrides))


def test_returning_applicant_found_by_tckn_then_saved_on_confirm(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    factories.login_as(client, counsellor)
    _first_case(client)
    r = post_intake(client, full_name="Fatma Demir", phone="0533 000 00 00")  # same TCKN only
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "She may have applied before" in html
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        number = db.session.scalar(sa.select(Case.number))
    assert number in html
    assert "Save as new case" in html
    assert _count_cases(app) == 1
    # confirming with the token saves a second case
    r = post_intake(client, full_name="Fatma Demir", phone="0533 000 00 00", confirm=confirm_token(html))
    case_id_from(r)
    assert _count_cases(app) == 2


def test_returning_applicant_found_by_phone_in_another_format(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    _first_case(client, tckn="", phone="+90 532 123 4567", full_name="Hatice Kaya")
    r = post_intake(client, tckn=OTHER_TCKN, phone="0532 123 45 67", full_name="Zeynep Ak")
    assert r.status_code == 200
    assert "She may have applied before" in r.get_data(as_text=True)
    assert _count_cases(app) == 1


def test_returning_applicant_found_by_name_with_turkish_casing(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    _first_case(client, tckn="", phone="", full_name="AYŞE YILMAZ")
    r = post_intake(client, tckn="", phone="", full_name="Ayse Yilmaz")
    assert r.status_code == 200
    assert "She may have applied before" in r.get_data(as_text=True)
    r = post_intake(client, tckn="", phone="", full_name="Zeynep Ak")
    case_id_from(r)  # no match: saved directly


def test_returning_check_with_a_very_common_name_asks_for_an_identifier(app, client, make_user, make_case,  # type: ignore[no-untyped-def]
                                                                         monkeypatch) -> None:
    """More earlier applicants with her name than NAMESAKE_LIMIT: their files are not listed (her name alone says
    nothing about her), the check says so and still wants a confirmation; an identity-number match is listed."""
    monkeypatch.setattr("cases.intake.services.NAMESAKE_LIMIT", 1)
    counsellor = make_user("counsellor")
    namesakes = [make_case(counsellor, applicant_name="Ayşe Yılmaz", tckn=None, phone=None) for _ in range(2)]
    factories.login_as(client, counsellor)
    r = post_intake(client, tckn="", phone="", full_name="Ayse Yilmaz")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "She may have applied before" in html
    assert "More than 1 earlier applicants at this centre have her name" in html
    assert not any(c.number in html for c in namesakes)
    assert _count_cases(app) == 2
    r = post_intake(client, tckn="", phone="", full_name="Ayse Yilmaz", confirm=confirm_token(html))
    case_id_from(r)
    # Her TCKN on an earlier file: that file is listed, the namesakes still are not.
    same = make_case(counsellor, applicant_name="Ayşe Yılmaz", tckn=VALID_TCKN, phone=None)
    html = post_intake(client, tckn=VALID_TCKN, phone="", full_name="Ayşe Yılmaz").get_data(as_text=True)
    assert same.number in html and "earlier applicants at this centre have her name" in html
    assert not any(c.number in html for c in namesakes)


def test_returning_check_shows_numbers_only_for_viewable_cases(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("counsellor")
    hidden = make_case(owner, applicant_name="Ayşe Yılmaz", tckn=VALID_TCKN)
    colleague = make_user("counsellor")
    client = app.test_client()
    factories.login_as(client, colleague)
    r = post_intake(client)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert hidden.number not in html
    assert str(hidden.public_id) not in html
    assert "An earlier application exists at this centre that you cannot open" in html
    # the supervisor sees the number
    supervisor = make_user("supervisor")
    sclient = app.test_client()
    factories.login_as(sclient, supervisor)
    html = post_intake(sclient).get_data(as_text=True)
    assert hidden.number in html


def test_returning_check_ignores_other_centres(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    other = factories.make_centre(app)
    make_case(factories.make_user(app, "counsellor", centre=other), tckn=VALID_TCKN)
    client = app.test_client()
    factories.login_as(client, make_user("counsellor"))
    r = post_intake(client)
    case_id_from(r)  # no match in her centre: saved at once


def test_stale_confirmation_rechecks(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """A confirmation given for one set of matches does not wave through a different one."""
    factories.login_as(client, make_user("counsellor"))
    _first_case(client, full_name="Hatice Kaya", phone="", tckn=VALID_TCKN)
    html = post_intake(client, full_name="Nur Su", phone="", tckn=VALID_TCKN).get_data(as_text=True)
    token = confirm_token(html)
    _first_case(client, full_name="Emine Er", phone="0544 111 22 33", tckn="", confirm="")
    r = post_intake(client, full_name="Nur Su", phone="0544 111 22 33", tckn=VALID_TCKN, confirm=token)
    assert r.status_code == 200 and "She may have applied before" in r.get_data(as_text=True)


def test_other_roles_cannot_open_intake(app, make_user) -> None:  # type: ignore[no-untyped-def]
    for role in ("coordinator", "auditor", "admin"):
        client = app.test_client()
        factories.login_as(client, make_user(role))
        assert client.get("/cases/new").status_code == 404
        assert client.get("/cases/").status_code == 404


def test_check_now_finds_her_before_the_narrative_and_keeps_what_was_typed(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, make_user("counsellor"))
    _first_case(client)
    # Only her identity typed so far: no narrative, no violence types; nothing else is asked for yet.
    r = draft_page(client, post_intake(client, full_name="Fatma Demir", phone="0533 000 00 00", narrative="",
                                       violence_types=[], channel="", check_now="Check now"))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "She may have applied before" in html and "Continue in her file" in html
    assert 'class="error-summary"' not in html
    assert html.index('id="returning-check"') < html.index('name="narrative"')  # beside her identity
    assert 'value="Fatma Demir"' in html and 'value="0533 000 00 00"' in html  # what was typed is kept
    assert _count_cases(app) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.returning-check")) == 2
    # Having seen the matches, saving the whole intake is not asked again.
    r = post_intake(client, full_name="Fatma Demir", phone="0533 000 00 00", confirm=confirm_token(html))
    case_id_from(r)
    assert _count_cases(app) == 2


def test_check_now_for_someone_new_and_with_a_bad_identity_number(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, make_user("counsellor"))
    r = draft_page(client, post_intake(client, narrative="", check_now="Check now"))
    assert r.status_code == 200 and "No earlier application at this centre" in r.get_data(as_text=True)
    r = post_intake(client, tckn="12345678901", narrative="", channel="", check_now="Check now")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert "This is not a valid T.C. Kimlik No" in summary and 'href="#tckn"' in summary
    assert 'href="#channel"' not in summary  # only her identity is checked now (the channel is required later)
    assert _count_cases(app) == 0


def test_add_a_child_row_without_scripts_keeps_what_was_typed_up_to_twelve(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    import re

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, make_user("counsellor"))
    first = client.get("/cases/new").get_data(as_text=True)
    assert len(re.findall(r'name="children-\d+-full_name"', first)) == 1 and "data-add-row" in first
    rows = {f"children-{i}-full_name": f"Çocuk {i}" for i in range(11)}
    r = post_intake(client, add_child="Add a child", narrative="Uzun anlatı", **rows)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and _count_cases(app) == 0
    assert len(re.findall(r'name="children-\d+-full_name"', html)) == 12
    assert 'value="Çocuk 10"' in html and "Uzun anlatı" in html
    assert "data-add-row" not in html  # twelve rows: no more
