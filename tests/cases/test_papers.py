"""Papers to print (issue 16 §3): a safety-plan copy for her and a discreet variant, a case summary, the KVKK
notice; each with a Print button, the case number and the date, and on record before it leaves."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.cases.plans_helpers import post, prefer_english
from tests.cases.test_safety_plan import SECTIONS


@pytest.fixture(autouse=True)
def _english(monkeypatch):  # type: ignore[no-untyped-def]
    prefer_english(monkeypatch)


def _with_perpetrator(app, case, name: str = "Murat Kaya") -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case, PersonKind
    from cases.core.services import add_person

    with app.app_context():
        add_person(db.session.get(Case, case.id), PersonKind.PERPETRATOR, full_name=name)
        db.session.commit()


def _printed(app, case) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return [(a, json.loads(d) if isinstance(d, str) else d or {}) for a, d in db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.details).where(
                AuditEvent.case_number == case.number, AuditEvent.action.in_(("case.print", "case.export")))
            .order_by(AuditEvent.seq))]


def _today_medium(app) -> str:  # type: ignore[no-untyped-def]
    from flask_babel import format_date

    from app.dates import local_today

    with app.test_request_context(headers={"Accept-Language": "en"}):
        return format_date(local_today(), "long")


def test_safety_plan_copy_and_discreet_copy(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    _with_perpetrator(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)
    plan = {**SECTIONS, "safe_place": "Kız kardeşi İpek'in evi; MURAT bilmiyor",
            "escape_route": "Murat'ın işe gittiği saatte"}
    assert post(client, f"/cases/{case.public_id}/safety-plan/edit", plan).status_code == 302

    full = client.get(f"/cases/{case.public_id}/papers/safety-plan")
    assert full.status_code == 200
    page = full.get_data(as_text=True)
    assert "<h1" in page and "Safety plan" in page and "kırmızı şemsiye" in page and "data-print" in page
    assert case.number in page and _today_medium(app) in page

    discreet = client.get(f"/cases/{case.public_id}/papers/safety-plan?discreet=1").get_data(as_text=True)
    paper = html.unescape(discreet.split('<article class="paper">')[1])
    # Still what she needs …
    assert "kırmızı şemsiye" in paper and "Kız kardeşi İpek" in paper
    # … without a title, the centre, the app or his name in any case or with a suffix.
    title = re.search(r"<title>(.*?)</title>", discreet, re.S).group(1)  # type: ignore[union-attr]
    assert "Safety plan" not in title and "Dayanışma" not in title
    assert "<h1" not in paper and "Safety plan" not in paper and "Code word" not in paper
    assert centre.name not in paper
    for name in ("Murat", "MURAT", "Kaya"):
        assert name not in paper, name
    assert "… bilmiyor" in paper and "…'ın işe" in paper
    assert case.number in paper and _today_medium(app) in paper
    assert "paper-discreet.css" in discreet

    assert _printed(app, case) == [("case.print", {"paper": "safety-plan", "discreet": False, "version": 1}),
                                   ("case.print", {"paper": "safety-plan", "discreet": True, "version": 1})]


def test_case_summary_is_an_audited_export_and_kvkk_notice_is_turkish(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Çelik")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk", risk_level="high")
    client = app.test_client()
    factories.login_as(client, counsellor)
    page = client.get(f"/cases/{case.public_id}").get_data(as_text=True)
    for paper in ("summary", "safety-plan", "safety-plan?discreet=1", "kvkk"):
        assert f"/cases/{case.public_id}/papers/{paper}" in page.replace("&amp;", "&"), paper

    summary = client.get(f"/cases/{case.public_id}/papers/summary").get_data(as_text=True)
    assert "Case summary" in summary and "Gülşen Öztürk" in summary and "High risk" in summary
    assert "Derya Çelik" in summary and case.number in summary and _today_medium(app) in summary
    assert '<form' not in summary.split('<article class="paper">')[1]  # a paper, not the page's forms

    kvkk = client.get(f"/cases/{case.public_id}/papers/kvkk").get_data(as_text=True)
    assert 'lang="tr"' in kvkk and "Aydınlatma Metni" in kvkk and "6698" in kvkk and "Gülşen Öztürk" in kvkk
    assert case.number in kvkk and _today_medium(app) in kvkk
    assert _printed(app, case) == [("case.export", {"paper": "case-summary"}), ("case.print", {"paper": "kvkk-notice"})]


def test_papers_of_a_case_she_is_not_on_are_404_and_audited(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    owner, other = make_user("counsellor"), make_user("counsellor")
    case = make_case(owner)
    client = app.test_client()
    factories.login_as(client, other)
    for paper in ("summary", "safety-plan", "safety-plan?discreet=1", "kvkk"):
        assert client.get(f"/cases/{case.public_id}/papers/{paper}").status_code == 404
    assert client.get("/cases/not-a-uuid/papers/summary").status_code == 404
    assert _printed(app, case) == []
    with app.app_context():
        denied = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "case.view", AuditEvent.outcome == "denied"))
    assert denied == 4


def test_blot_names_turkish_case_and_whole_words() -> None:
    from cases.papers.services import blot_names

    text = "Işık gelirse İSMAİL'e söyleme; ismail amca, Ismailiye değil. Ali aliyle."
    assert blot_names(text, ["İsmail Işık", None]) == "… gelirse …'e söyleme; … amca, Ismailiye değil. Ali aliyle."
    assert blot_names("x", []) == "x"


def _today_long(app) -> str:  # type: ignore[no-untyped-def]
    from flask_babel import format_date

    from app.dates import local_today

    with app.test_request_context(headers={"Accept-Language": "en"}):
        return format_date(local_today(), "long")


def test_referral_letter_prints_exactly_the_preview_and_409_without_consent(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_referrals import base, create_consent, create_referral, enrich_case, send

    counsellor = make_user("counsellor", name="Derya Çelik")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    enrich_case(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)

    # A draft with no consent cannot be sent, so it has no letter: 409 with the reason, nothing on record as printed.
    draft = create_referral(client, case, data_classes=["identity", "contact"])
    assert "/letter" not in client.get(f"{base(case)}/referrals/{draft}").get_data(as_text=True)
    refused = client.get(f"{base(case)}/referrals/{draft}/letter")
    assert refused.status_code == 409
    assert "No consent is linked to this referral" in refused.get_data(as_text=True)
    assert _printed(app, case) == []

    consent = create_consent(client, case, data_classes=["identity", "contact"])
    rid = create_referral(client, case, data_classes=["identity", "contact"], consent=consent)
    assert f"/referrals/{rid}/letter" in client.get(f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    preview = client.get(f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    letter = client.get(f"{base(case)}/referrals/{rid}/letter")
    assert letter.status_code == 200
    paper = html.unescape(letter.get_data(as_text=True).split('<article class="paper">')[1])
    shared = html.unescape(preview.split('id="shared-information"')[1].split("</div>\n\n")[0])
    # The same sections and values as the preview, nothing more (no address, no narrative).
    assert re.findall(r'data-class="([\w-]+)"', paper) == re.findall(r'data-class="([\w-]+)"', shared) \
        == ["identity", "contact"]
    for value in ("Gülşen Öztürk", "Şişli ŞÖNİM", "Gül Işık", "Hukuki destek için", "Derya Çelik"):
        assert value in paper, value
    assert "Moda Cad." not in paper and "ŞİDDET" not in paper
    assert case.number in paper and _today_long(app) in paper
    assert "<form" not in paper

    assert send(client, case, rid).status_code == 302
    assert client.get(f"{base(case)}/referrals/{rid}/letter").status_code == 200  # sent: still printable
    assert _printed(app, case) == [("case.print", {"paper": "referral-letter", "referral": rid})] * 2

    # A discarded draft has no letter either.
    post(client, f"{base(case)}/referrals/{draft}/status", {"status": "withdrawn"})
    assert client.get(f"{base(case)}/referrals/{draft}/letter").status_code == 409


def test_consent_form_to_sign_and_409_once_revoked(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_referrals import base, create_consent

    counsellor = make_user("counsellor", name="Derya Çelik")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    client = app.test_client()
    factories.login_as(client, counsellor)
    cid = create_consent(client, case, data_classes=["identity", "address"], witness_text="Ayşe Tanık")
    listing = client.get(f"{base(case)}/referrals").get_data(as_text=True)
    assert f"/consents/{cid}/form" in listing
    form = client.get(f"{base(case)}/consents/{cid}/form")
    assert form.status_code == 200
    paper = html.unescape(form.get_data(as_text=True).split('<article class="paper">')[1])
    for value in ("Gülşen Öztürk", "Şişli ŞÖNİM", "Identity (name, identity number, date of birth)", "Address",
                  "Derya Çelik", "Ayşe Tanık", "signature", "withdraw it at any time"):
        assert value in paper, value
    assert "Contact (phone)" not in paper
    assert case.number in paper and _today_long(app) in paper
    assert _printed(app, case) == [("case.print", {"paper": "consent-form", "consent": cid, "discreet": False})]
    assert f"/consents/{cid}/form?discreet=1" in form.get_data(as_text=True)

    # Her own copy to keep: what she agreed to, with whom, until when, that she can withdraw it; nothing else.
    copy = client.get(f"{base(case)}/consents/{cid}/form?discreet=1")
    assert copy.status_code == 200
    page = copy.get_data(as_text=True)
    paper = html.unescape(page.split('<article class="paper">')[1])
    paper = re.sub(r'<p class="no-print[^"]*">.*?</p>', "", paper, flags=re.S)  # the counsellor's note on screen
    for value in ("Şişli ŞÖNİM", "Identity (name, identity number, date of birth)", "Address",
                  "withdraw it at any time"):
        assert value in paper, value
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)  # type: ignore[union-attr]
    assert "Consent" not in title and "Dayanışma" not in title and "paper-discreet.css" in page
    for value in ("<h1", "Consent", "consent", centre.name,
                  "Gülşen", "Öztürk", "Derya", "Çelik", "Ayşe Tanık", "signature", "Counsellor"):
        assert value not in paper, value
    assert case.number in paper and _today_long(app) in paper
    assert _printed(app, case)[-1] == ("case.print", {"paper": "consent-form", "consent": cid, "discreet": True})

    assert post(client, f"{base(case)}/consents/{cid}/revoke", {"reason": ""}).status_code == 302
    refused = client.get(f"{base(case)}/consents/{cid}/form")
    assert refused.status_code == 409 and "She revoked this consent" in refused.get_data(as_text=True)
    assert f"/consents/{cid}/form" not in client.get(f"{base(case)}/referrals").get_data(as_text=True)
    assert client.get(f"{base(case)}/consents/{cid}/form?discreet=1").status_code == 409
    assert len(_printed(app, case)) == 2


def test_letter_and_consent_form_of_another_case_are_audited_404s(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from tests.cases.test_referrals import base, create_consent, create_referral

    counsellor = make_user("counsellor")
    mine, theirs = make_case(counsellor), make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    cid = create_consent(client, theirs)
    rid = create_referral(client, theirs, consent=cid)
    # Her own case, the other case's ids: 404, on record as denied.
    assert client.get(f"{base(mine)}/referrals/{rid}/letter").status_code == 404
    assert client.get(f"{base(mine)}/consents/{cid}/form").status_code == 404
    assert client.get(f"{base(mine)}/consents/not-a-uuid/form").status_code == 404
    with app.app_context():
        denied = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.outcome == "denied")
                                         .order_by(AuditEvent.seq)))
    assert denied == ["referral.print", "consent.print"]
    # Someone not on the case: 404 before anything is looked up.
    stranger = app.test_client()
    factories.login_as(stranger, make_user("counsellor"))
    assert stranger.get(f"{base(theirs)}/referrals/{rid}/letter").status_code == 404
    assert stranger.get(f"{base(theirs)}/consents/{cid}/form").status_code == 404
    assert _printed(app, theirs) == [] and _printed(app, mine) == []
