"""A real Chromium: a counsellor asks to close a high-risk case; her supervisor, in another browser, is refused an
approval without a reason, then approves with one; the counsellor sees the case closed and the decision on record."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_supervisor_approves_a_closure(app, live_server, browser, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Şahin")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    case = make_case(counsellor, applicant_name="Gülay Öztürk", risk_level="high")
    base = f"{live_server}/cases/{case.public_id}"

    me = _sign_in(app, live_server, context, counsellor)
    me.goto(base)
    me.get_by_role("link", name="Close the case").click()
    me.wait_for_url(f"{base}/close")
    me.get_by_label("Why is the case being closed?").select_option("moved-away")
    for box in me.locator('input[name="checklist"]').all():
        box.check()
    me.get_by_label("Her risk level at closure").select_option("high")
    me.get_by_role("button", name="Ask my supervisor to close the case").click()
    me.wait_for_url(base)
    assert "Waiting for a supervisor" in me.content()

    boss_context = browser.new_context(locale="en-GB")
    try:
        boss = _sign_in(app, live_server, boss_context, supervisor)
        boss.goto(base)
        boss.get_by_role("link", name="Decide on the closure request").click()
        boss.wait_for_url(f"{base}/closure-request")
        boss.get_by_label("Approve and close the case").check()
        boss.get_by_role("button", name="Record the decision").click()
        assert "write the reason for approving" in boss.content()
        boss.get_by_label("Approve and close the case").check()
        boss.get_by_label(re.compile("Comments, or the reason")).fill("Başka ile taşındı; oradaki ŞÖNİM takipte.")
        boss.get_by_role("button", name="Record the decision").click()
        boss.wait_for_url(base)
        assert "This case is closed" in boss.content()
    finally:
        boss_context.close()

    me.goto(base)
    content = me.content()
    assert "This case is closed" in content and "Nurcan İpekçi" in content
    assert "oradaki ŞÖNİM takipte" in content
