"""A real Chromium: a supervisor records that the person using violence was released today; the counsellor, in
another browser, finds the alert, opens the case and finds the re-assessment it asked for in her task list."""

from __future__ import annotations

import pytest

from tests.cases.test_risk import _record
from tests.e2e.conftest import open_section
from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_a_release_date_alerts_her_counsellor_and_asks_for_a_reassessment(app, live_server, browser, context,  # type: ignore[no-untyped-def]
                                                                          make_user, make_case) -> None:
    counsellor = make_user("counsellor", name="Derya Şahin")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    case = make_case(counsellor, applicant_name="Gülay Öztürk")
    _record(app, case, counsellor, 2)  # assessed: nothing due
    base = f"{live_server}/cases/{case.public_id}"

    boss = _sign_in(app, live_server, context, supervisor)
    boss.goto(base)
    open_section(boss, "legal")
    boss.locator("#record-custody").click()
    boss.wait_for_url(f"{base}/legal/custody/new")
    boss.get_by_label("Custody status").select_option("released")
    boss.get_by_role("button", name="Record the custody status").click()
    boss.wait_for_url(f"{base}#legal")
    assert "her team was alerted" in boss.content()

    her_context = browser.new_context(locale="en-GB")
    try:
        me = _sign_in(app, live_server, her_context, counsellor)
        me.goto(f"{live_server}/cases/alerts")
        alert = me.locator("#alerts li", has_text=case.number)
        assert "released from custody" in alert.inner_text()
        alert.get_by_role("button").click()
        me.wait_for_url(base)
        open_section(me, "legal")
        assert "Released from custody on" in me.locator("#legal").inner_text()
        me.goto(f"{live_server}/cases/tasks")
        row = me.locator("tr", has_text=case.number)
        assert "Asked for again" in row.inner_text()
        row.get_by_role("link", name="Risk assessment due").click()
        me.wait_for_url(f"{base}/risk/new")
    finally:
        her_context.close()
