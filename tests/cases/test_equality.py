"""Equality data (issue 21): recorded at intake and in corrections, encrypted at rest with only the coarse
statistics copies in plain columns, absent from the coordinator's resident view, and in a referral only when the
consent names its data class. The person using violence is recorded with a sex, in neutral wording."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import case_id_from, post, post_intake
from tests.cases.test_referrals import base, create_consent, create_referral, send
from tests.security.test_encryption_at_rest import _raw_dump
from tests.shelters.helpers import admit, make_shelter, request_for

OWN_WORDS = "Kuir kadın Özgecanmarker"  # her self-description: a marker no plain column may hold
ANSWERS = {"disability_types": ["visual", "hearing"], "adaptation_needs": ["sign-language"],
           "migration_status": "temporary-protection", "gender_identity": "self-described",
           "gender_identity_text": OWN_WORDS}


def _case_row(app, case_id: str) -> dict:  # type: ignore[type-arg, no-untyped-def]
    import uuid

    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.public_id == uuid.UUID(case_id)))
        applicant = case.applicant
        perpetrator = case.perpetrators[0] if case.perpetrators else None
        return {"copies": (case.applicant_disability, case.applicant_migration_status,
                           case.applicant_gender_identity),
                "answers": {k: getattr(applicant, k) for k in ANSWERS},
                "ct": {k: getattr(applicant, f"{k}_ct") for k in ANSWERS},
                "stated_sex": perpetrator.stated_sex if perpetrator else None,
                "applicant_id": str(applicant.public_id), "number": case.number}


def _set_answers(app, case, **answers) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case
    from cases.core.services import sync_equality_copies

    with app.app_context():
        obj = db.session.get(Case, case.id)
        for key, value in answers.items():
            setattr(obj.applicant, key, value)
        sync_equality_copies(obj, obj.applicant)
        db.session.commit()


def test_intake_records_the_answers_encrypted_with_coarse_copies(app, client, make_user, page, backend,  # type: ignore[no-untyped-def]
                                                                  db_url) -> None:
    factories.login_as(client, make_user("counsellor"))
    html = page(client, "/cases/new").get_data(as_text=True)
    for label in ("Prefers not to say", "Temporary protection (geçici koruma)", "Chronic illness",
                  "Name of the person using violence", "Sex of the person using violence"):
        assert label in html, label
    assert "His name" not in html and "His relationship" not in html
    r = post_intake(client, perpetrator_sex="woman", **ANSWERS)
    case_id = case_id_from(r)
    row = _case_row(app, case_id)
    assert row["answers"] == ANSWERS
    assert row["stated_sex"] == "woman"
    # the statistics' copies are coarser than the answers: one disability key, never her words
    assert row["copies"] == ("multiple", "temporary-protection", "self-described")
    html = page(client, f"/cases/{case_id}").get_data(as_text=True)
    for shown in ("Visual, Hearing", "Sign language interpreter", "Temporary protection (geçici koruma)",
                  OWN_WORDS):
        assert shown in html, shown
    dump = _raw_dump(app, backend, db_url)
    assert OWN_WORDS.encode() not in dump
    assert b"sign-language" not in dump  # adaptation needs have no plain copy
    assert b'"visual"' not in dump and b'"hearing"' not in dump  # the list stays ciphertext
    assert all(ct for ct in row["ct"].values())
    assert b"temporary-protection" in dump  # the scan does see the plain statistics copy


def test_correction_refreshes_the_copies_and_refuses_contradictory_answers(app, make_user, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    client = app.test_client()
    factories.login_as(client, counsellor)
    case_id = case_id_from(post_intake(client, **ANSWERS))
    row = _case_row(app, case_id)
    url = f"/cases/{case_id}/people/{row['applicant_id']}/edit"
    page(client, url)
    form = {"full_name": "Ayşe Yılmaz", "tckn": "10000000146", "date_of_birth": "1990-05-17",
            "phone": "0532 123 45 67", "disability_types": ["none", "visual"], "migration_status": "citizen",
            "gender_identity": "woman", "gender_identity_text": OWN_WORDS}
    r = post(client, url, form, token_url=url)
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "“No disability” cannot be combined with other answers." in text
    assert "Choose “In her own words” to record her own words" in text
    summary = text[text.index('class="error-summary'):text.index("</ul>", text.index('class="error-summary'))]
    assert 'href="#disability_types">Disability: “No disability” cannot be combined' in summary  # listed on top
    assert 'href="#gender_identity_text">' in summary
    assert _case_row(app, case_id)["copies"] == ("multiple", "temporary-protection", "self-described")
    r = post(client, url, {**form, "disability_types": ["none"], "gender_identity": "prefers-not",
                           "gender_identity_text": ""}, token_url=url)
    assert r.status_code == 302
    row = _case_row(app, case_id)
    assert row["copies"] == ("none", "citizen", "prefers-not")
    assert row["answers"]["gender_identity_text"] is None


def test_perpetrator_is_corrected_with_a_sex_in_neutral_wording(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    url = f"/cases/{case.public_id}/perpetrator/new"
    html = page(client, url).get_data(as_text=True)
    assert "Sex of the person using violence" in html and "Record him" not in html
    r = post(client, url, {"stated_sex": "woman", "relationship_to_applicant": "mother"}, token_url=url)
    assert r.status_code == 302
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Mother" in html and "Woman" in html
    html = client.get(url, headers={"Accept-Language": "tr"}, follow_redirects=True).get_data(as_text=True)
    assert "Şiddet uygulayan kişinin cinsiyeti" in html


def test_coordinator_view_has_none_of_the_answers(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor, admin, coordinator = make_user("counsellor"), make_user("admin"), make_user("coordinator")
    case = make_case(counsellor, applicant_name="Nur Kaya")
    _set_answers(app, case, **{**ANSWERS, "migration_status": "irregular"})
    shelter = make_shelter(app, admin, coordinators=(coordinator,), capacity=10)
    req = request_for(app, case, shelter, counsellor)
    admit(app, shelter, req, coordinator, [0], date(2026, 11, 3))
    client = app.test_client()
    factories.login_as(client, coordinator)
    r = client.get(f"/shelters/{shelter.public_id}/households/{req}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Nur" in html  # the resident view is the page under test
    for hidden in (OWN_WORDS, "In her own words", "Gender identity", "No valid status", "Migration status",
                   "Sign language interpreter", "Visual"):
        assert hidden not in html, hidden
    from shelters.admissions.resident_view import ResidentView

    assert not {"gender_identity", "gender_identity_text", "migration_status", "disability_types"} & set(
        ResidentView.__dataclass_fields__)


def test_referral_preview_includes_the_answers_only_by_consent(app, client, make_user, make_case, login_as,  # type: ignore[no-untyped-def]
                                                               page) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _set_answers(app, case, **ANSWERS)
    login_as(client, counsellor)
    consent = create_consent(client, case, data_classes=["identity"])
    rid = create_referral(client, case, consent=consent, data_classes=["identity"])
    html = page(client, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    assert "Ayşe Yılmaz" in html  # the identity class is what it was
    for absent in (OWN_WORDS, "Temporary protection", "Sign language interpreter", "Gender identity"):
        assert absent not in html, absent
    # sending her gender identity under a consent that does not name it is refused
    rid = create_referral(client, case, consent=consent, data_classes=["identity", "gender-identity"])
    r = send(client, case, rid)
    assert r.status_code == 422
    assert "The consent does not cover: gender identity." in r.get_data(as_text=True)
    wide = create_consent(client, case, data_classes=["identity", "disability", "migration-status",
                                                      "gender-identity"])
    rid = create_referral(client, case, consent=wide, data_classes=["identity", "gender-identity"])
    html = page(client, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    assert OWN_WORDS in html
    assert "Temporary protection" not in html and "Sign language interpreter" not in html  # not chosen
    rid = create_referral(client, case, consent=wide, data_classes=["disability", "migration-status"])
    html = page(client, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    assert "Visual, Hearing" in html and "Sign language interpreter" in html
    assert "Temporary protection (geçici koruma)" in html and OWN_WORDS not in html
    assert send(client, case, rid).status_code == 302


def test_no_text_assumes_the_person_using_violence_is_a_man() -> None:
    """Every translatable English text (templates and code): no he / his / him, except "she or he" of a child."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    literal = re.compile(r"""_l?\(\s*(['"])(.*?)\1""", re.S)
    pronoun = re.compile(r"\b(he|his|him|himself)\b", re.I)
    found = []
    for folder, pattern in (("templates", "*.html"), ("app", "*.py"), ("cases", "*.py"), ("shelters", "*.py")):
        for path in (root / folder).rglob(pattern):
            for match in literal.finditer(path.read_text(encoding="utf-8")):
                text = match.group(2).replace("she or he", "")
                if pronoun.search(text):
                    found.append(f"{path.relative_to(root)}: {match.group(2)[:80]}")
    assert not found, "\n".join(found)


def test_safety_plan_hints_are_neutral(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    html = page(client, f"/cases/{case.public_id}/safety-plan/edit").get_data(as_text=True)
    assert "Whether the person using violence checks her phone" in html
    assert "what to do if the person using violence turns up" in html
    tr = client.get(f"/cases/{case.public_id}/safety-plan/edit", headers={"Accept-Language": "tr"})
    assert "Şiddet uygulayan kişinin telefonunu kontrol edip etmediği" in tr.get_data(as_text=True)
