"""Real Chromium journeys of issue 18: her consents recorded at intake and one withdrawn (she then leaves the
statistics), a duty-to-report question logged as not decided yet, found in the task list, decided and seen in the
supervisor's log, and a supervisor reading her centre's casework indicators."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import open_section, section_loaded
from tests.e2e.test_safety_plan_journey import _sign_in

pytestmark = pytest.mark.e2e


def test_consent_at_intake_then_withdrawn_takes_her_out_of_the_statistics(app, live_server, context,  # type: ignore[no-untyped-def]
                                                                          make_user) -> None:
    from app.db import db
    from cases.core.models import Case

    counsellor = make_user("counsellor", name="Gönül Akın")
    page = _sign_in(app, live_server, context, counsellor)
    page.get_by_role("link", name="New intake").first.click()
    page.wait_for_url(re.compile(r"/cases/new$"))
    page.get_by_label("How did she come to the centre?").select_option("walk-in")
    page.get_by_label("Physical", exact=True).check()
    page.get_by_label("Full name", exact=True).fill("Şerife İçöz")
    page.get_by_label("Her health and other special-category data are recorded to support her").check()
    page.get_by_label("Her anonymised data are counted in the centre's statistics").check()
    page.get_by_label("How she gave her consent").select_option("verbal")
    page.get_by_role("button", name="Check and continue").click()
    # nothing is recorded before the notice is given
    assert "Give her the information notice first" in page.locator(".error-summary, [role=alert]").first.inner_text()
    page.get_by_label("She was given the KVKK information notice (aydınlatma metni)").check()
    page.get_by_label("How the notice was given").select_option("read-aloud")
    page.get_by_role("button", name="Check and continue").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))

    open_section(page, "privacy")
    privacy = page.locator("#privacy")
    assert "It was read aloud to her" in privacy.inner_text() and "Gönül Akın" in privacy.inner_text()
    consents = page.locator("#explicit-consents li")
    assert consents.count() == 2 and "Verbally" in consents.first.inner_text()
    with app.app_context():
        assert db.session.scalar(sa.select(Case.excluded_from_statistics)) is False
    page.locator("#explicit-consents li", has_text="statistics").get_by_role("button", name="Withdraw").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}#privacy$"))
    section_loaded(page, "privacy")
    statistics = page.locator("#explicit-consents li", has_text="statistics")
    assert "withdrawn on" in statistics.inner_text()
    assert page.locator("#explicit-consents li", has_text="special-category").get_by_role("button").count() == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Case.excluded_from_statistics)) is True


def test_an_undecided_report_question_is_a_task_then_decided_and_in_the_supervisors_log(app, live_server, browser,  # type: ignore[no-untyped-def]
                                                                                        context, make_user,
                                                                                        make_case) -> None:
    counsellor = make_user("counsellor", name="Derya Şahin")
    supervisor = make_user("supervisor", name="Nurcan İpekçi")
    case = make_case(counsellor, applicant_name="Gülay Öztürk")
    base = f"{live_server}/cases/{case.public_id}"

    me = _sign_in(app, live_server, context, counsellor)
    me.goto(base)
    open_section(me, "legal")
    me.locator("#add-report-decision").click()
    me.wait_for_url(f"{base}/legal/report-decisions/new")
    me.get_by_label("Abuse or neglect of a child").check()
    me.get_by_label("Not decided yet", exact=True).check()
    me.get_by_label("Why").fill("Okul rehberlik servisiyle görüşülecek")
    me.get_by_role("button", name="Log the decision").click()
    me.wait_for_url(f"{base}#legal")
    section_loaded(me, "legal")
    assert "Not decided yet" in me.locator("#report-decisions").inner_text()

    me.goto(f"{live_server}/cases/tasks")
    row = me.locator("tr.task--report-decision", has_text=case.number)
    assert "Abuse or neglect of a child" in row.inner_text()
    row.get_by_role("link", name="Decide whether to report").click()
    me.wait_for_url(re.compile(r"/legal/report-decisions/[0-9a-f-]{36}$"))
    assert "Okul rehberlik servisiyle görüşülecek" in me.locator("#report-question").inner_text()
    me.get_by_label("Reported", exact=True).check()
    me.get_by_label("Public prosecutor").check()
    me.get_by_label("She was told before it was reported or decided").check()
    me.get_by_role("button", name="Log the decision").click()
    me.wait_for_url(f"{base}#legal")
    section_loaded(me, "legal")
    decided = me.locator("#report-decisions").inner_text()
    assert "Reported" in decided and "Public prosecutor" in decided and "she was told first" in decided
    me.goto(f"{live_server}/cases/tasks")
    assert me.locator("tr.task--report-decision").count() == 0  # done: it left the list
    assert me.locator("tr.task--reassessment", has_text=case.number).count() == 1  # the rest of her list stays

    boss_context = browser.new_context(locale="en-GB")
    try:
        boss = _sign_in(app, live_server, boss_context, supervisor)
        boss.locator("#report-decisions-link").click()
        boss.wait_for_url(f"{live_server}/cases/report-decisions")
        log = boss.locator("#report-decision-log tr", has_text=case.number)
        assert "Public prosecutor" in log.inner_text() and "Derya Şahin" in log.inner_text()
        boss.get_by_label("Decision").select_option("undecided")
        boss.get_by_role("button", name="Filter").click()
        boss.wait_for_url(re.compile(r"decision=undecided"))
        assert case.number not in boss.locator("main").inner_text()
    finally:
        boss_context.close()


def test_a_supervisor_reads_her_centres_indicators(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_kpis import YEAR

    counsellor = make_user("counsellor", name="Derya Şahin")
    for _ in range(6):
        make_case(counsellor)
    boss = _sign_in(app, live_server, context, make_user("supervisor"))
    boss.locator("#kpis-link").click()
    boss.wait_for_url(f"{live_server}/cases/kpis")
    assert boss.get_by_role("heading", name="Casework indicators", exact=True).is_visible()
    boss.get_by_label("Year").select_option(str(YEAR))
    boss.get_by_role("button", name="Show").click()
    boss.wait_for_url(re.compile(rf"/cases/kpis\?year={YEAR}$"))
    caseload = boss.locator("#kpi-caseload-table tr", has_text="Derya Şahin").inner_text()
    assert "6" in caseload
    not_assessed = boss.locator("#kpi-first-assessment tr", has_text="Not assessed yet").inner_text()
    assert "6" in not_assessed  # six women, none assessed yet: shown (k = 5)
    assert boss.locator("#kpi-closure-reasons").is_visible()


def test_opening_a_section_restarts_the_idle_warning(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """A section read on demand is a request the server counts as activity: the page's idle warning starts again,
    so she is not warned (or sent away) while she is reading sections. The page clock is Playwright's fake one."""
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    page = _sign_in(app, live_server, context, counsellor)
    idle = int(app.config["SESSION_IDLE_TIMEOUT"].total_seconds())
    warn_after = (max(idle - 180, 30)) * 1000
    page.clock.install()
    page.goto(f"{live_server}/cases/{case.public_id}")
    page.clock.run_for(warn_after - 20_000)
    assert page.locator(".session-warning").count() == 0
    open_section(page, "referrals")  # a section whose card has no anchor of its own: the <details> keeps it
    assert page.locator("#referrals").count() == 1
    page.clock.run_for(60_000)              # past the first warning time, but a minute after her last request
    assert page.locator(".session-warning").count() == 0
    page.clock.run_for(warn_after)          # idle for as long again since the section: now warned, once
    assert page.locator(".session-warning").count() == 1
