"""Risk assessments: scoring and thresholds, professional judgement (raise with a reason, never lower), checklist
versions, the case's risk level, re-assessment prompts, access and encryption at rest."""

from __future__ import annotations

import uuid

import pytest

from tests.cases.plans_helpers import (
    V1_KEYS,
    answers,
    case_risk_level,
    form_data,
    outsiders,
    panel_text,
    post,
    prefer_english,
    text_of,
)
from tests.security.test_encryption_at_rest import _raw_dump


@pytest.fixture(autouse=True)
def _english(monkeypatch):  # type: ignore[no-untyped-def]
    prefer_english(monkeypatch)


def _new_url(case) -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/risk/new"


def _record(app, case, user, yes: int, **kwargs):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.risk.services import record_assessment

    with app.app_context():
        c = db.session.get(Case, case.id)
        a = record_assessment(c, answers=answers(yes), actor=db.session.get(User, user.id), **kwargs)
        db.session.commit()
        return a.public_id, a.level.value, a.score


@pytest.mark.parametrize(("yes", "level"), [(0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"),
                                            (14, "high"), (24, "high")])
def test_score_and_default_thresholds(app, make_user, make_case, yes, level) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _, got, score = _record(app, case, counsellor, yes)
    assert (score, got) == (yes, level)
    assert case_risk_level(app, case.id) == level


def test_counsellor_assesses_through_the_form(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    login_as(client, counsellor)
    html = page(client, _new_url(case)).get_data(as_text=True)
    assert html.count('type="radio"') == 24 * 3
    r = post(client, _new_url(case), form_data(14))
    assert r.status_code == 302
    assert case_risk_level(app, case.id) == "high"
    shown = text_of(page(client, r.headers["Location"]).get_data(as_text=True))
    assert "High risk" in shown and "14 / 24" in shown
    history = text_of(page(client, f"/cases/{case.public_id}/risk").get_data(as_text=True))
    assert "High risk" in history and "Version 1" in history
    # the case page shows the partial with the level and the re-assessment date (14 days for high risk)
    case_page = text_of(page(client, f"/cases/{case.public_id}").get_data(as_text=True))
    assert "Re-assess by" in case_page and "14 / 24" in case_page


def test_every_indicator_must_be_answered(app, client, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    login_as(client, counsellor)
    data = form_data(5)
    del data["q_weapon"]
    data["q_fear"] = "maybe"
    r = post(client, _new_url(case), data)
    assert r.status_code == 422
    assert "Answer yes, no or not known." in r.get_data(as_text=True)
    assert case_risk_level(app, case.id) is None


def test_raising_needs_a_reason_and_lowering_is_refused(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    login_as(client, counsellor)

    r = post(client, _new_url(case), form_data(3, level="high"))
    assert r.status_code == 422
    assert "Write why your professional judgement raises the level." in r.get_data(as_text=True)
    assert case_risk_level(app, case.id) is None

    r = post(client, _new_url(case), form_data(3, level="high",
                                                judgement_reason="Şiddet sıklaştı; İstanbul'a taşınacağını söyledi."))
    assert r.status_code == 302
    assert case_risk_level(app, case.id) == "high"
    shown = text_of(page(client, r.headers["Location"]).get_data(as_text=True))
    assert "Raised on professional judgement" in shown and "İstanbul'a taşınacağını" in shown
    assert "scored level: Standard risk" in shown

    r = post(client, _new_url(case), form_data(14, level="standard", judgement_reason="she seems calm"))
    assert r.status_code == 422
    assert "never lower it" in r.get_data(as_text=True)
    r = post(client, _new_url(case), form_data(14, level="medium"))
    assert r.status_code == 422
    r = post(client, _new_url(case), form_data(12, level="nonsense"))
    assert r.status_code == 422
    assert case_risk_level(app, case.id) == "high"  # unchanged by the refused attempts


def test_case_risk_level_follows_the_latest_assessment(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from cases.core.models import RiskLevel

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _record(app, case, counsellor, 15)
    assert case_risk_level(app, case.id) == "high"
    _record(app, case, counsellor, 2)  # things calmed down: a new assessment may give a lower level
    assert case_risk_level(app, case.id) == "standard"
    _record(app, case, counsellor, 11)
    assert case_risk_level(app, case.id) == "medium"
    _record(app, case, counsellor, 0, level=RiskLevel.HIGH, judgement_reason="tehdit")
    assert case_risk_level(app, case.id) == "high"


def test_reassessment_due_dates_by_level(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.dates import local_today
    from app.db import db
    from cases.risk.models import RiskAssessment

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    for yes, days in ((14, 14), (10, 30), (1, 90)):
        public_id, _, _ = _record(app, case, counsellor, yes)
        with app.app_context():
            a = db.session.query(RiskAssessment).filter_by(public_id=public_id).one()
            assert a.review_due_on == local_today() + timedelta(days=days)


def test_new_checklist_version_keeps_old_assessments(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    counsellor, admin = make_user("counsellor"), make_user("admin")
    case = make_case(counsellor)
    old_id, _, _ = _record(app, case, counsellor, 10)

    login_as(client, admin)
    form_page = page(client, "/cases/risk-checklists").get_data(as_text=True)
    assert "threats_to_kill | 1 |" in form_page
    lines = [f"{k} | 2 | Soru {k} İŞĞ | Question {k}" for k in V1_KEYS[:5]]
    lines.append("kades_yok | 1 | KADES uygulaması yüklü değil mi? | Is KADES missing?")
    r = post(client, "/cases/risk-checklists", {
        "items": "\n".join(lines), "medium_threshold": 5, "high_threshold": 8,
        "review_days_high": 7, "review_days_medium": 21, "review_days_standard": 60,
    })
    assert r.status_code == 302
    listing = text_of(page(client, "/cases/risk-checklists").get_data(as_text=True))
    assert "In use" in listing and "8 / 11" in listing
    client.post("/logout", data={"csrf_token": ""})

    other = make_user("counsellor")
    case2 = make_case(other)
    c2 = other
    client2 = app.test_client()
    login_as(client2, c2)
    new_form = page(client2, _new_url(case2)).get_data(as_text=True)
    assert "Is KADES missing?" in new_form or "KADES uygulaması yüklü değil mi?" in new_form
    assert new_form.count('type="radio"') == 6 * 3
    keys = V1_KEYS[:5] + ["kades_yok"]
    r = post(client2, _new_url(case2), form_data(4, keys))  # 4 × weight 2 = 8: high in version 2
    assert r.status_code == 302
    assert case_risk_level(app, case2.id) == "high"

    client3 = app.test_client()
    login_as(client3, counsellor)
    old = text_of(page(client3, f"/cases/{case.public_id}/risk/{old_id}").get_data(as_text=True))
    assert "Version 1" in old and "10 / 24" in old
    assert "strangled" in old or "boğazınızı" in old  # version 1's own questions
    assert "KADES missing" not in old and "KADES uygulaması" not in old


@pytest.mark.parametrize(("items", "medium", "high", "message"), [
    ("a | 1 | Soru | Q\na | 1 | Soru | Q", 1, 2, "appears twice"),
    ("a | 1 | Soru | Q", 1, 5, "highest possible score"),
    ("Büyük | 1 | Soru | Q", 1, 1, "lower-case letters"),
    ("a | x | Soru | Q", 1, 1, "whole number"),
    ("a | 1 | Soru", 1, 1, "key | weight | Turkish | English"),
    ("a | 99 | Soru | Q", 1, 1, "from 1 to 10"),
    ("a | 1 | " + "ş" * 400 + " | Q", 1, 1, "up to 300"),
])
def test_malformed_checklists_are_form_errors(app, client, make_user, login_as, items, medium, high, message) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.risk.models import RiskChecklist

    admin = make_user("admin")
    login_as(client, admin)
    r = post(client, "/cases/risk-checklists", {
        "items": items, "medium_threshold": medium, "high_threshold": high,
        "review_days_high": 14, "review_days_medium": 30, "review_days_standard": 90,
    })
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(RiskChecklist).count() == 1


def test_only_admins_publish_and_admins_see_no_case_data(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    counsellor, supervisor, admin = make_user("counsellor"), make_user("supervisor"), make_user("admin")
    case = make_case(counsellor, applicant_name="Zeynep Özgür Işıl")
    assessment_id, _, _ = _record(app, case, counsellor, 14)
    login_as(client, admin)
    home = page(client, "/").get_data(as_text=True)
    assert "Version 1 is in use" in panel_text(home, "plans-admin-heading")
    assert case.number not in home and "Zeynep" not in home
    html = page(client, "/cases/risk-checklists").get_data(as_text=True)
    assert case.number not in html and "Zeynep" not in html
    for url in (f"/cases/{case.public_id}/risk", _new_url(case), f"/cases/{case.public_id}/risk/{assessment_id}"):
        r = client.get(url)
        assert r.status_code == 404
        assert case.number not in r.get_data(as_text=True)
    sup = app.test_client()
    login_as(sup, supervisor)
    assert sup.get("/cases/risk-checklists").status_code == 404
    assert sup.post("/cases/risk-checklists", data={}).status_code in (400, 404)


def test_outsiders_get_404_on_every_risk_url(app, client, make_user, make_case, centre, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.risk.services import request_reassessment

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    assessment_id, _, _ = _record(app, case, counsellor, 12)
    with app.app_context():
        request_reassessment(db.session.get(Case, case.id), "order-violation",
                             actor=db.session.get(User, counsellor.id))
        db.session.commit()
    urls = [f"/cases/{case.public_id}/risk", _new_url(case), f"/cases/{case.public_id}/risk/{assessment_id}",
            f"/cases/{case.public_id}/risk/{uuid.uuid4()}"]
    for who, user in outsiders(app, make_user, centre).items():
        c = app.test_client()
        login_as(c, user)
        for url in urls:
            r = c.get(url)
            assert r.status_code == 404, (who, url)
            assert case.number not in r.get_data(as_text=True)
        token = c.get("/").get_data(as_text=True)
        import re

        csrf = re.search(r'name="csrf_token" value="([^"]+)"', token).group(1)  # type: ignore[union-attr]
        r = c.post(_new_url(case), data={**form_data(20), "csrf_token": csrf})
        assert r.status_code == 404, who
        # nothing they see on their dashboard names the case
        assert case.number not in c.get("/").get_data(as_text=True), who
    assert case_risk_level(app, case.id) == "medium"


def test_assessment_of_another_case_is_404(app, client, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    mine, theirs = make_case(counsellor), make_case(make_user("counsellor"))
    their_assessment, _, _ = _record(app, theirs, counsellor, 3)
    login_as(client, counsellor)
    assert client.get(f"/cases/{mine.public_id}/risk/{their_assessment}").status_code == 404
    assert client.get(f"/cases/{mine.public_id}/risk/not-a-uuid").status_code == 404


def test_reassessment_prompt_shows_until_the_next_assessment(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.risk.services import request_reassessment

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _record(app, case, counsellor, 4)
    with app.app_context():
        c = db.session.get(Case, case.id)
        actor = db.session.get(User, counsellor.id)
        first = request_reassessment(c, "order-violation", actor=actor)
        again = request_reassessment(c, "order-violation", actor=actor)
        assert first.id == again.id  # one open prompt per reason
        with pytest.raises(ValueError):
            request_reassessment(c, "he called", actor=actor)
        db.session.commit()
    login_as(client, counsellor)
    dashboard = panel_text(page(client, "/").get_data(as_text=True), "plans-counsellor-heading")
    assert case.number in dashboard and "Re-assessment requested" in dashboard
    case_page = text_of(page(client, f"/cases/{case.public_id}").get_data(as_text=True))
    assert "Protective order violated" in case_page
    assert post(client, _new_url(case), form_data(4)).status_code == 302
    case_page = text_of(page(client, f"/cases/{case.public_id}").get_data(as_text=True))
    assert "Protective order violated" not in case_page
    dashboard = panel_text(page(client, "/").get_data(as_text=True), "plans-counsellor-heading")
    assert "Re-assessment requested" not in dashboard and case.number not in dashboard


def test_overdue_assessment_is_highlighted(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.dates import local_today
    from app.db import db
    from cases.risk.models import RiskAssessment

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    public_id, _, _ = _record(app, case, counsellor, 14)
    login_as(client, counsellor)
    assert "Overdue" not in text_of(page(client, f"/cases/{case.public_id}/risk").get_data(as_text=True))
    with app.app_context():
        a = db.session.query(RiskAssessment).filter_by(public_id=public_id).one()
        a.review_due_on = local_today() - timedelta(days=1)
        db.session.commit()
    assert "Overdue" in text_of(page(client, f"/cases/{case.public_id}/risk").get_data(as_text=True))
    assert "Overdue" in text_of(page(client, f"/cases/{case.public_id}").get_data(as_text=True))
    dashboard = panel_text(page(client, "/").get_data(as_text=True), "plans-counsellor-heading")
    assert case.number in dashboard and "Overdue" in dashboard


def test_closed_case_cannot_be_assessed(app, client, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    case = make_case(make_user("counsellor"), status="closed")
    login_as(client, supervisor)
    r = post(client, _new_url(case), form_data(14))
    assert r.status_code == 302
    assert case_risk_level(app, case.id) is None


def test_answers_and_judgement_reason_encrypted_at_rest(app, make_user, make_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from cases.core.models import RiskLevel

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    marker = "GEREKCE-MARKER-7f3a-Şığ"
    _record(app, case, counsellor, 2, level=RiskLevel.HIGH, judgement_reason=marker)
    dump = _raw_dump(app, backend, db_url)
    assert marker.encode() not in dump
    for sep in (b'": "', b'":"'):
        assert b'"threats_to_kill' + sep + b'yes"' not in dump
        assert b'"weapon' + sep + b'no"' not in dump
    assert b"threats_to_kill" in dump  # the checklist definition itself is plain configuration
