"""A real Chromium: a counsellor records a high-risk assessment, writes a safety plan and submits it; a supervisor in
another browser approves it from her dashboard; the counsellor sees it approved and the high-risk flag gone."""

from __future__ import annotations

import re

import pytest

from tests.cases.plans_helpers import V1_KEYS
from tests.factories import fresh_code

pytestmark = pytest.mark.e2e


def _sign_in(app, live_server: str, context, user):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # post_button(confirm=…) asks before submitting
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("authenticator", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.wait_for_url(f"{live_server}/")
    return page


def test_high_risk_assessment_plan_submitted_and_approved(app, live_server, browser, context, make_user,  # type: ignore[no-untyped-def]
                                                         make_case) -> None:
    counsellor = make_user("counsellor", name="Derya Şahin")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    case = make_case(counsellor, applicant_name="Gülay Öztürk")
    base = f"{live_server}/cases/{case.public_id}"

    me = _sign_in(app, live_server, context, counsellor)
    me.goto(base)
    me.get_by_role("link", name="New risk assessment").click()
    me.wait_for_url(f"{base}/risk/new")
    for i, key in enumerate(V1_KEYS):
        me.locator(f'input[name="q_{key}"][value="{"yes" if i < 15 else "no"}"]').check()
    me.get_by_role("button", name="Save the assessment").click()
    me.wait_for_url(re.compile(rf"{re.escape(base)}/risk/[0-9a-f-]+$"))
    assert "High risk" in me.content() and "15 / 24" in me.content()

    me.goto(base)
    assert "High risk without an approved safety plan" in me.content()
    me.get_by_role("link", name="Write a safety plan").click()
    me.wait_for_url(f"{base}/safety-plan/edit")
    me.get_by_label("Safe contacts").fill("Komşu Şükriye Hanım, üst kat")
    me.get_by_label("Code word").fill("kırmızı şemsiye")
    me.get_by_label("Escape route").fill("Mutfak kapısından bahçeye, oradan dolmuşa")
    me.get_by_label("KADES (police support app)").select_option("installed")
    me.get_by_role("button", name="Save the draft").click()
    me.wait_for_url(f"{base}/safety-plan")
    assert "kırmızı şemsiye" in me.content()
    me.get_by_role("button", name="Submit for review").click()
    me.wait_for_url(f"{base}/safety-plan")
    assert "Waiting for a supervisor to review this version." in me.content()

    boss_context = browser.new_context(locale="en-GB")
    try:
        boss = _sign_in(app, live_server, boss_context, supervisor)
        panel = boss.locator("section", has=boss.locator("#plans-supervisor-heading"))
        panel.get_by_role("link", name=case.number).first.click()
        boss.wait_for_url(f"{base}/safety-plan")
        assert "Mutfak kapısından bahçeye" in boss.content()
        boss.get_by_role("button", name="Approve the plan").click()
        boss.wait_for_url(f"{base}/safety-plan")
        assert "approved" in boss.content()
    finally:
        boss_context.close()

    me.goto(f"{base}/safety-plan")
    content = me.content()
    assert "Approved" in content and "Nurcan İpekçi" in content
    assert "High risk without an approved safety plan" not in content
    me.goto(base)
    assert "High risk without an approved safety plan" not in me.content()
