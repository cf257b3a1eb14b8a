"""A real Chromium: a counsellor records an incident on the case page and finds the risk re-assessment it asked for
in her task list, linking to the assessment form."""

from __future__ import annotations

import pytest

from tests.cases.test_risk import _record
from tests.e2e.conftest import open_section, section_loaded
from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_incident_prompts_a_reassessment_in_the_task_list(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Şahin")
    case = make_case(counsellor, applicant_name="Gülay Öztürk")
    _record(app, case, counsellor, 2)
    base = f"{live_server}/cases/{case.public_id}"

    me = _sign_in(app, live_server, context, counsellor)
    me.goto(f"{live_server}/cases/tasks")
    assert case.number not in me.content()
    me.goto(base)
    open_section(me, "incidents")
    me.get_by_role("link", name="Record an incident").click()
    me.wait_for_url(f"{base}/incidents/new")
    me.get_by_label("Physical").check()
    me.get_by_label("Strangulation").check()
    me.get_by_label("Where it happened").select_option("home")
    me.get_by_label("KADES").check()
    me.get_by_label("Injuries").fill("Boynunda parmak izleri")
    me.get_by_role("button", name="Record the incident").click()
    me.wait_for_url(f"{base}#incidents")
    section_loaded(me, "incidents")
    assert "Re-assess her risk" in me.content() and "Boynunda parmak izleri" in me.content()

    me.goto(f"{live_server}/")
    me.locator("#tasks-link").click()
    me.wait_for_url(f"{live_server}/cases/tasks")
    row = me.locator("tr", has_text=case.number)
    assert "Asked for again" in row.inner_text()
    row.get_by_role("link", name="Risk assessment due").click()
    me.wait_for_url(f"{base}/risk/new")
