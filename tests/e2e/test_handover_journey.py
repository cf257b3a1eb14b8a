"""A real Chromium: a supervisor hands a leaving counsellor's whole caseload to a colleague from the dashboard; the
colleague finds the cases and their tasks in her own list."""

from __future__ import annotations

import pytest

from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_supervisor_hands_over_a_caseload(app, live_server, browser, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    leaving = make_user("counsellor", name="Derya Şahin")
    colleague = make_user("counsellor", name="Ayla Kılıç")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    cases = [make_case(leaving, applicant_name="Gülay Öztürk"), make_case(leaving, applicant_name="Sevgi Çelik")]

    boss = _sign_in(app, live_server, context, supervisor)
    boss.locator("#handover-link").click()
    boss.wait_for_url(f"{live_server}/cases/handover")
    boss.get_by_label("Counsellor handing over").select_option(label="Derya Şahin")
    boss.get_by_role("button", name="Show her cases").click()
    table = boss.locator("#handover-cases")
    assert all(c.number in table.inner_text() for c in cases) and "Gülay" not in boss.content()
    boss.get_by_label("Hand every case not set below to").select_option(label="Ayla Kılıç")
    boss.locator("#hand-over").click()
    boss.wait_for_selector("text=Cases handed over: 2.")
    assert "She has no open case." in boss.content()

    her_context = browser.new_context(locale="en-GB")
    try:
        me = _sign_in(app, live_server, her_context, colleague)
        me.goto(f"{live_server}/cases/tasks")
        for case in cases:
            assert me.locator("tr", has_text=case.number).count() >= 1  # never assessed: due, now hers
        me.goto(f"{live_server}/cases/alerts")
        assert "A case was handed over to you" in me.locator("#alerts").inner_text()
    finally:
        her_context.close()
