"""Safety plans: draft → submit → return with comments → new version → submit → approve; only supervisors review
(never their own submission); review dates; the high-risk-without-plan flag; access; encryption at rest."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from tests.cases.plans_helpers import outsiders, panel_text, post, prefer_english, text_of
from tests.security.test_encryption_at_rest import _raw_dump


@pytest.fixture(autouse=True)
def _english(monkeypatch):  # type: ignore[no-untyped-def]
    prefer_english(monkeypatch)

SECTIONS = {
    "safe_contacts": "Komşu Şükriye Hanım, üst kat",
    "code_word": "kırmızı şemsiye",
    "escape_route": "Mutfak kapısından bahçeye",
    "safe_place": "Kız kardeşi İpek'in evi",
    "documents_money": "Kimlikler ve 2000 TL çantada, iş yerinde",
    "children": "Okul servisi yalnızca Işıl'ı alır",
    "digital": "Konum paylaşımı kapatıldı",
    "kades": "installed",
    "work_school": "Okul müdürü bilgilendirildi",
    "other": "—",
}


def _url(case, suffix: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/safety-plan{suffix}"


def _versions(app, case):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.plans.models import SafetyPlanVersion

    with app.app_context():
        rows = db.session.query(SafetyPlanVersion).filter_by(case_id=case.id).order_by(SafetyPlanVersion.version)
        return [(v.version, v.status.value, v.review_due_on) for v in rows]


def _post_button(client, page_url: str, action: str, data=None):  # type: ignore[no-untyped-def]
    data = dict(data or {})
    html = client.get(page_url).get_data(as_text=True)
    data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return client.post(action, data=data)


def _flagged(app, centre_id: int) -> list[str]:
    from app.db import db  # noqa: F401
    from cases.plans.services import high_risk_without_approved_plan

    with app.app_context():
        return [c.number for c in high_risk_without_approved_plan(centre_id)]


def test_full_review_cycle(app, make_user, make_case, login_as, page, centre) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today

    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor, risk_level="high")
    me, boss = app.test_client(), app.test_client()
    login_as(me, counsellor)
    login_as(boss, supervisor)

    # the flag is on the case page, the supervisor's dashboard and in the service
    assert case.number in _flagged(app, centre.id)
    assert "High risk without an approved safety plan" in text_of(page(me, f"/cases/{case.public_id}").get_data(
        as_text=True))
    boss_panel = panel_text(page(boss, "/").get_data(as_text=True), "plans-supervisor-heading")
    assert case.number in boss_panel.split("High risk without an approved safety plan")[1]

    # draft (saving twice keeps one draft version)
    assert post(me, _url(case, "/edit"), {**SECTIONS, "code_word": "mavi"}).status_code == 302
    assert post(me, _url(case, "/edit"), SECTIONS).status_code == 302
    assert _versions(app, case) == [(1, "draft", None)]
    shown = text_of(page(me, _url(case)).get_data(as_text=True))
    assert "kırmızı şemsiye" in shown and "KADES is installed" in shown and "Draft" in shown

    # a counsellor cannot approve or return (the policy answers 404), even her own plan
    assert _post_button(me, _url(case), _url(case, "/submit")).status_code == 302
    assert _versions(app, case) == [(1, "submitted", None)]
    assert _post_button(me, _url(case), _url(case, "/approve")).status_code == 404
    assert _post_button(me, _url(case), _url(case, "/return"), {"comments": "x"}).status_code == 404
    assert _versions(app, case) == [(1, "submitted", None)]
    # while submitted she cannot change it
    r = post(me, _url(case, "/edit"), SECTIONS)
    assert r.status_code == 422 and "waiting for a supervisor" in r.get_data(as_text=True)

    # the supervisor sees it waiting, and returns it; comments are required
    dash = panel_text(page(boss, "/").get_data(as_text=True), "plans-supervisor-heading")
    assert case.number in dash.split("Waiting for your review")[1].split("High risk without")[0]
    assert _post_button(boss, _url(case), _url(case, "/return"), {"comments": "  "}).status_code == 422
    r = _post_button(boss, _url(case), _url(case, "/return"),
                     {"comments": "Kaçış yolu eksik: arka merdiven? Çocukların okulu da yazılmalı."})
    assert r.status_code == 302
    assert _versions(app, case) == [(1, "returned", None)]

    # the counsellor sees the comments on her dashboard and the plan, edits → version 2, resubmits
    dash = panel_text(page(me, "/").get_data(as_text=True), "plans-counsellor-heading")
    assert case.number in dash.split("Safety plans returned to you")[1].split("Your support-plan")[0]
    plan_page = text_of(page(me, _url(case)).get_data(as_text=True))
    assert "Kaçış yolu eksik" in plan_page
    edit_page = text_of(page(me, _url(case, "/edit")).get_data(as_text=True))
    assert "Kaçış yolu eksik" in edit_page and "Saving starts version 2" in edit_page
    assert post(me, _url(case, "/edit"), {**SECTIONS, "escape_route": "Arka merdiven, sonra otobüs"}).status_code \
        == 302
    assert _versions(app, case) == [(1, "returned", None), (2, "draft", None)]
    assert _post_button(me, _url(case), _url(case, "/submit")).status_code == 302
    dash = panel_text(page(me, "/").get_data(as_text=True), "plans-counsellor-heading")
    assert case.number not in dash.split("Safety plans returned to you")[1].split("Your support-plan")[0]

    # old versions stay readable, read-only
    v1 = text_of(page(me, _url(case) + "?version=1").get_data(as_text=True))
    assert "Mutfak kapısından bahçeye" in v1 and "An earlier version" in v1 and "Edit the draft" not in v1
    assert me.get(_url(case) + "?version=9").status_code == 404

    # approve with the default review date (+30 days); the flag goes away
    r = _post_button(boss, _url(case), _url(case, "/approve"), {"review_due_on": ""})
    assert r.status_code == 302
    assert _versions(app, case)[-1] == (2, "approved", local_today() + timedelta(days=30))
    assert case.number not in _flagged(app, centre.id)
    mine = text_of(page(me, _url(case)).get_data(as_text=True))
    assert "Approved" in mine and "Arka merdiven" in mine
    assert "High risk without an approved safety plan" not in text_of(
        page(me, f"/cases/{case.public_id}").get_data(as_text=True))
    assert case.number not in panel_text(page(boss, "/").get_data(as_text=True), "plans-supervisor-heading")


def test_approval_with_chosen_review_date_and_bad_dates(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today

    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor, risk_level="high")
    me, boss = app.test_client(), app.test_client()
    login_as(me, counsellor)
    login_as(boss, supervisor)
    post(me, _url(case, "/edit"), SECTIONS)
    _post_button(me, _url(case), _url(case, "/submit"))
    for bad in ("2026-13-45", "not a date", (local_today() - timedelta(days=1)).isoformat(), "1999-01-01",
                (local_today() + timedelta(days=800)).isoformat()):
        r = _post_button(boss, _url(case), _url(case, "/approve"), {"review_due_on": bad})
        assert r.status_code == 422, bad
    chosen = local_today() + timedelta(days=10)
    assert _post_button(boss, _url(case), _url(case, "/approve"), {"review_due_on": chosen.isoformat()}).status_code \
        == 302
    assert _versions(app, case) == [(1, "approved", chosen)]


def test_overdue_review_brings_the_flag_back(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case, RiskLevel
    from cases.plans import services as plans

    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor, risk_level="high")
    with app.app_context():
        c = db.session.get(Case, case.id)
        plans.save_safety_plan(c, SECTIONS, actor=db.session.get(User, counsellor.id))
        plans.submit_safety_plan(c, actor=db.session.get(User, counsellor.id))
        plan = plans.approve_safety_plan(c, actor=db.session.get(User, supervisor.id))
        db.session.commit()
        assert plans.high_risk_without_approved_plan(centre.id) == []
        plan.review_due_on = local_today() - timedelta(days=1)
        db.session.commit()
        assert [x.number for x in plans.high_risk_without_approved_plan(centre.id)] == [case.number]
        assert plans.safety_plan_status(c).needs_plan
        # medium risk does not need a plan
        c.risk_level = RiskLevel.MEDIUM
        db.session.commit()
        assert plans.high_risk_without_approved_plan(centre.id) == []


def test_a_supervisor_cannot_approve_her_own_submission(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    supervisor, other_supervisor = make_user("supervisor"), make_user("supervisor")
    case = make_case(make_user("counsellor"), risk_level="high")
    boss = app.test_client()
    login_as(boss, supervisor)
    post(boss, _url(case, "/edit"), SECTIONS)
    _post_button(boss, _url(case), _url(case, "/submit"))
    r = _post_button(boss, _url(case), _url(case, "/approve"))
    assert r.status_code == 422 and "another supervisor must review it" in r.get_data(as_text=True)
    assert _versions(app, case) == [(1, "submitted", None)]
    second = app.test_client()
    login_as(second, other_supervisor)
    assert _post_button(second, _url(case), _url(case, "/approve")).status_code == 302
    assert _versions(app, case)[0][1] == "approved"


def test_nothing_to_review_or_submit_is_an_error_not_a_500(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor)
    me, boss = app.test_client(), app.test_client()
    login_as(me, counsellor)
    login_as(boss, supervisor)
    assert _post_button(boss, _url(case), _url(case, "/approve")).status_code == 422
    r = _post_button(me, _url(case), _url(case, "/submit"))
    assert r.status_code == 302
    assert "There is no draft to submit" in me.get(r.headers["Location"]).get_data(as_text=True)
    post(me, _url(case, "/edit"), {})  # an empty draft
    _post_button(me, _url(case), _url(case, "/submit"))
    assert _versions(app, case) == [(1, "draft", None)]
    r = post(me, _url(case, "/edit"), {"safe_contacts": "ş" * 9000, "kades": "evil"})
    assert r.status_code == 422


def test_outsiders_get_404_on_every_safety_plan_url(app, make_user, make_case, centre, login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, risk_level="high")
    me = app.test_client()
    login_as(me, counsellor)
    post(me, _url(case, "/edit"), SECTIONS)
    _post_button(me, _url(case), _url(case, "/submit"))
    for who, user in outsiders(app, make_user, centre).items():
        c = app.test_client()
        login_as(c, user)
        for url in (_url(case), _url(case, "/edit"), _url(case) + "?version=1"):
            r = c.get(url)
            assert r.status_code == 404, (who, url)
            assert "kırmızı şemsiye" not in r.get_data(as_text=True)
        for action in ("/edit", "/submit", "/approve", "/return"):
            r = _post_button(c, "/", _url(case, action), {"comments": "x", **SECTIONS})
            assert r.status_code == 404, (who, action)
    assert _versions(app, case) == [(1, "submitted", None)]
    assert me.get(f"/cases/{uuid.uuid4()}/safety-plan").status_code == 404


@pytest.mark.parametrize("field", [*(k for k in SECTIONS if k != "kades"), "return_comments"])
def test_sections_and_return_comments_encrypted_at_rest(app, make_user, make_case, backend, db_url, field) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans

    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor, risk_level="high")
    marker = f"MARKER-{field}-{uuid.uuid4().hex[:8]}-Işık"
    with app.app_context():
        c = db.session.get(Case, case.id)
        sections = {**SECTIONS, field: marker} if field != "return_comments" else SECTIONS
        plans.save_safety_plan(c, sections, actor=db.session.get(User, counsellor.id))
        plans.submit_safety_plan(c, actor=db.session.get(User, counsellor.id))
        if field == "return_comments":
            plans.return_safety_plan(c, actor=db.session.get(User, supervisor.id), comments=marker)
        db.session.commit()
        stored = plans.latest_safety_plan(c)
        assert marker in (stored.return_comments or "") or marker in stored.sections.values()  # type: ignore[union-attr]
    dump = _raw_dump(app, backend, db_url)
    assert marker.encode() not in dump
    assert SECTIONS["code_word"].encode() not in dump
