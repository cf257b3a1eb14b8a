"""Individual support plans: goals by domain, actions with owner, due date and status, progress notes, overdue
highlighting, plan reviews, the counsellor's "due within 7 days" panel, access and encryption at rest."""

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


def _url(case, suffix: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}/support-plan{suffix}"


def _goal_and_action_ids(app, case):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.plans.models import SupportAction, SupportGoal

    with app.app_context():
        goals = [g.public_id for g in db.session.query(SupportGoal).filter_by(case_id=case.id).order_by(SupportGoal.id)]
        actions = [(a.public_id, a.status.value, a.owner_kind.value, a.owner_user_id, a.due_on)
                   for a in db.session.query(SupportAction).filter_by(case_id=case.id).order_by(SupportAction.id)]
        return goals, actions


def test_goals_actions_notes_and_reviews(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today

    counsellor = make_user("counsellor", name="Gülşen Ağaoğlu")
    case = make_case(counsellor)
    login_as(client, counsellor)
    assert "No goals yet" in text_of(page(client, _url(case)).get_data(as_text=True))

    r = post(client, _url(case, "/goals/new"), {"domain": "legal", "need": "Boşanma davası için avukat",
                                                "goal": "Baro adli yardımından avukat atanması"})
    assert r.status_code == 302
    assert post(client, _url(case, "/goals/new"), {"domain": "housing", "goal": ""}).status_code == 422
    assert post(client, _url(case, "/goals/new"), {"domain": "astrology", "goal": "x"}).status_code == 422
    goals, _ = _goal_and_action_ids(app, case)
    assert len(goals) == 1

    today = local_today()
    action_url = _url(case, f"/goals/{goals[0]}/actions/new")
    assert post(client, action_url, {"description": "Baroya başvuru dilekçesi", "owner": str(counsellor.public_id),
                                     "due_on": (today + timedelta(days=3)).isoformat()}).status_code == 302
    assert post(client, action_url, {"description": "Nüfus kayıt örneği al", "owner": "woman",
                                     "due_on": (today - timedelta(days=2)).isoformat()}).status_code == 302
    assert post(client, action_url, {"description": "x", "owner": str(uuid.uuid4())}).status_code == 422
    assert post(client, action_url, {"description": "x", "owner": "woman", "due_on": "31.02.2026"}).status_code == 422
    assert post(client, action_url, {"description": "ş" * 5000, "owner": "woman"}).status_code == 422
    _, actions = _goal_and_action_ids(app, case)
    assert [(a[1], a[2], a[3]) for a in actions] == [("planned", "staff", counsellor.id), ("planned", "woman", None)]

    plan = text_of(page(client, _url(case)).get_data(as_text=True))
    assert "Legal" in plan and "Baro adli yardımından" in plan and "Boşanma davası" in plan
    assert "Gülşen Ağaoğlu" in plan and "The woman herself" in plan
    assert plan.count("Overdue") == 1  # the woman's action, due two days ago

    # the case page partial lists open actions, overdue highlighted
    case_page = text_of(page(client, f"/cases/{case.public_id}/sections/support-plan").get_data(as_text=True))
    assert "Nüfus kayıt örneği al" in case_page and "Overdue" in case_page

    # update: progress note, status done → no longer open, no longer overdue
    edit_url = _url(case, f"/actions/{actions[1][0]}")
    form = page(client, edit_url).get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="woman"|<option[^>]*value="woman"[^>]*selected', form)
    assert post(client, edit_url, {"status": "in-progress", "owner": "woman", "note": "Muhtarlığa gidildi, İlçe"}
                ).status_code == 302
    assert post(client, edit_url, {"status": "done", "owner": "external", "note": "Belge alındı"}).status_code == 302
    assert post(client, edit_url, {"status": "lost", "owner": "woman"}).status_code == 422
    plan = text_of(page(client, _url(case)).get_data(as_text=True))
    assert "Muhtarlığa gidildi, İlçe" in plan and "Belge alındı" in plan and "Done" in plan
    assert "Overdue" not in plan
    section = text_of(page(client, f"/cases/{case.public_id}/sections/support-plan").get_data(as_text=True))
    assert "Support plan" in section and "Nüfus kayıt örneği al" not in section

    # goal status
    r = post(client, _url(case, f"/goals/{goals[0]}/status"), {"status": "achieved"}, form_url=_url(case))
    assert r.status_code == 302
    assert "Achieved" in text_of(page(client, _url(case)).get_data(as_text=True))

    # plan review
    review_url = _url(case, "/reviews/new")
    assert post(client, review_url, {"reviewed_on": today.isoformat(), "summary": "Hukuki süreç başladı",
                                     "next_review_on": (today + timedelta(days=30)).isoformat()}).status_code == 302
    assert post(client, review_url, {"reviewed_on": (today + timedelta(days=5)).isoformat(),
                                     "summary": "x"}).status_code == 422
    assert post(client, review_url, {"reviewed_on": today.isoformat(), "summary": "x",
                                     "next_review_on": (today - timedelta(days=1)).isoformat()}).status_code == 422
    assert post(client, review_url, {"reviewed_on": "yesterday", "summary": "x"}).status_code == 422
    assert "Hukuki süreç başladı" in text_of(page(client, _url(case)).get_data(as_text=True))


def test_actions_due_within_seven_days_on_her_dashboard(app, client, make_user, make_case, login_as, page) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans
    from cases.plans.models import ActionOwner

    counsellor, colleague = make_user("counsellor"), make_user("counsellor")
    case = make_case(counsellor, team=(colleague,))
    today = local_today()
    with app.app_context():
        c = db.session.get(Case, case.id)
        me = db.session.get(User, counsellor.id)
        goal = plans.add_goal(c, domain="economic", goal="İŞKUR kaydı", need=None, actor=me)
        for days, owner in ((2, counsellor.id), (-1, counsellor.id), (20, counsellor.id), (1, colleague.id)):
            plans.add_action(goal, description=f"eylem {days}", owner_kind=ActionOwner.STAFF, owner_user_id=owner,
                             due_on=today + timedelta(days=days), actor=me)
        db.session.commit()
    login_as(client, counsellor)
    panel = panel_text(page(client, "/").get_data(as_text=True), "plans-counsellor-heading")
    section = panel.split("Your support-plan actions due")[1]
    assert section.count(case.number) == 2  # +2 days and overdue; not +20 days, not the colleague's
    assert "Overdue" in section
    assert "eylem" not in panel  # the panel shows numbers and dates, not action texts


def test_outsiders_get_404_on_every_support_plan_url(app, make_user, make_case, centre, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans
    from cases.plans.models import ActionOwner

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    with app.app_context():
        me = db.session.get(User, counsellor.id)
        goal = plans.add_goal(db.session.get(Case, case.id), domain="health", goal="GİZLİ-HEDEF", need=None, actor=me)
        action = plans.add_action(goal, description="GİZLİ-EYLEM", owner_kind=ActionOwner.WOMAN, owner_user_id=None,
                                  due_on=None, actor=me)
        db.session.commit()
        goal_id, action_id = goal.public_id, action.public_id
    gets = [_url(case), _url(case, "/goals/new"), _url(case, f"/goals/{goal_id}/actions/new"),
            _url(case, f"/actions/{action_id}"), _url(case, "/reviews/new")]
    posts = gets[1:] + [_url(case, f"/goals/{goal_id}/status")]
    for who, user in outsiders(app, make_user, centre).items():
        c = app.test_client()
        login_as(c, user)
        home = c.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', home).group(1)  # type: ignore[union-attr]
        for url in gets:
            r = c.get(url)
            assert r.status_code == 404, (who, url)
            assert "GİZLİ" not in r.get_data(as_text=True)
        for url in posts:
            r = c.post(url, data={"csrf_token": token, "domain": "legal", "goal": "x", "description": "x",
                                  "owner": "woman", "status": "dropped", "summary": "x",
                                  "reviewed_on": "2026-01-01"})
            assert r.status_code == 404, (who, url)
    # another case's goal or action under this case's URL is a 404 too
    other_case = make_case(counsellor)
    mine = app.test_client()
    login_as(mine, counsellor)
    assert mine.get(_url(other_case, f"/actions/{action_id}")).status_code == 404
    assert mine.get(_url(other_case, f"/goals/{goal_id}/actions/new")).status_code == 404
    _, actions = _goal_and_action_ids(app, case)
    assert actions[0][1] == "planned"


def test_support_plan_texts_encrypted_at_rest(app, make_user, make_case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans
    from cases.plans.models import ActionOwner, ActionStatus

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    markers = {k: f"MARKER-{k}-{uuid.uuid4().hex[:8]}-Ğş" for k in ("need", "goal", "action", "note", "review")}
    with app.app_context():
        me = db.session.get(User, counsellor.id)
        c = db.session.get(Case, case.id)
        goal = plans.add_goal(c, domain="psychological", goal=markers["goal"], need=markers["need"], actor=me)
        action = plans.add_action(goal, description=markers["action"], owner_kind=ActionOwner.WOMAN,
                                  owner_user_id=None, due_on=None, actor=me)
        plans.update_action(action, status=ActionStatus.IN_PROGRESS, owner_kind=ActionOwner.WOMAN,
                            owner_user_id=None, due_on=None, note=markers["note"], actor=me)
        plans.add_review(c, reviewed_on=local_today(), summary=markers["review"], next_review_on=None, actor=me)
        db.session.commit()
    dump = _raw_dump(app, backend, db_url)
    for name, marker in markers.items():
        assert marker.encode() not in dump, name
    assert b"psychological" in dump  # the domain is a plain category (statistics)
