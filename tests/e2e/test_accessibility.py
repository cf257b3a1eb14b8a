"""Accessibility (issue 6): axe-core, run inside a real Chromium, finds no serious or critical violation on the main
pages of every role, in English and in Turkish, plus the sign-in pages and an error page.

axe-core is vendored (tests/e2e/vendor, see its README): no network at test time. The app's strict CSP forbids
injected scripts, so only these contexts bypass CSP (``bypass_csp=True``); every other browser test keeps it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.factories import fresh_code

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = tuple(os.environ.get("A11Y_IMPACTS", "serious,critical").split(","))


def _new_context(browser: Any, locale: str = "en-GB") -> Any:
    viewport = os.environ.get("A11Y_VIEWPORT")
    if viewport:
        w, h = viewport.split("x")
        ctx = browser.new_context(locale=locale, bypass_csp=True, viewport={"width": int(w), "height": int(h)})
    else:
        ctx = browser.new_context(locale=locale, bypass_csp=True)
    # axe is sent to the browser once per context and runs in every page it opens (V8 compiles it once), instead of
    # 650 kB sent through Playwright and compiled again for every page checked: a third of a page's check.
    ctx.add_init_script(path=str(AXE))
    return ctx


def _violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the loaded page; return its serious/critical violations, plus text axe left for review because
    its colour equals its background (contrast 1:1): invisible text, which axe reports as "incomplete" only."""
    if not page.evaluate("typeof axe !== 'undefined'"):  # a page from a context of another test's own making
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})")
    found = [v for v in result["violations"] if v.get("impact") in BLOCKING]
    for item in result["incomplete"]:
        invisible = [n for n in item["nodes"] if item["id"] == "color-contrast"
                     and any((c.get("data") or {}).get("contrastRatio") == 1 for c in n["any"])]
        if invisible:
            found.append({**item, "id": "color-contrast (1:1, invisible text)", "nodes": invisible})
    return found


def _describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{url}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"      {node['target']}  {node.get('failureSummary', '').splitlines()[-1:]!s}")
    return "\n".join(lines)


class Auditor:
    """Visits pages and collects every serious/critical violation, so one run reports all pages at once."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.failures: list[str] = []
        self.visited: list[str] = []

    def check(self, path: str, status: int = 200, lang: str | None = None) -> None:
        if path:
            response = self.page.goto(f"{self.base}{path}")
            assert response is not None and response.status == status, f"{path}: {response and response.status}"
        url = self.page.url.removeprefix(self.base)
        if lang is not None:
            assert self.page.locator("html").get_attribute("lang") == lang, f"{url}: lang"
        self.visited.append(url)
        found = _violations(self.page)
        if found:
            self.failures.append(_describe(url, found))

    def assert_clean(self) -> None:
        assert not self.failures, "serious/critical axe violations:\n" + "\n".join(self.failures)


# The two sign-in steps are the same page for everyone: axe checks each once per language and test process (every
# test still signs in through them); the dashboard after them differs by role and is checked every time.
_SIGN_IN_CHECKED: set[tuple[str, str]] = set()


def _sign_in(app: Any, auditor: Auditor, user: Any, lang: str = "en") -> None:
    """The real form: password, then TOTP — axe checks both steps on the way (labels are found by name so the same
    steps work in Turkish)."""
    page = auditor.page
    if ("login", lang) in _SIGN_IN_CHECKED:
        page.goto(f"{auditor.base}/login")
    else:
        auditor.check("/login", lang=lang)
        _SIGN_IN_CHECKED.add(("login", lang))
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(user.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/login/code")
    if ("code", lang) not in _SIGN_IN_CHECKED:
        auditor.check("", lang=lang)
        _SIGN_IN_CHECKED.add(("code", lang))
    page.locator("input[name=code]").fill(fresh_code(app, user))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{auditor.base}/")
    auditor.check("", lang=lang)  # the role's dashboard


def _run(app: Any, browser: Any, live_server: str, user: Any, paths: list[str | tuple[str, int] | tuple[str, int, str]],
         locale: str = "en-GB") -> list[str]:
    ctx = _new_context(browser, locale)
    try:
        auditor = Auditor(ctx.new_page(), live_server)
        lang = locale.split("-")[0]
        _sign_in(app, auditor, user, lang=lang)
        signed_in = len(auditor.visited) - 1  # the dashboard: from here on every page is checked
        for entry in paths:
            path, status, *expect = (entry, 200) if isinstance(entry, str) else entry
            auditor.check(path, status=status, lang=lang)
            for selector in expect:  # the page really shows what it is checked for (e.g. a statistics table)
                assert auditor.page.locator(selector).count() > 0, f"{path}: no {selector}"
        auditor.assert_clean()
        return auditor.visited[signed_in:]
    finally:
        ctx.close()


def _shelter(app: Any, coordinator: Any, admin: Any) -> uuid.UUID:
    from app.db import db
    from app.users.models import Centre, User
    from shelters.demo import seed_demo_shelter

    with app.app_context():
        centre, actor = db.session.get(Centre, admin.centre_id), db.session.get(User, admin.id)
        assert centre is not None and actor is not None
        shelter = seed_demo_shelter(centre, db.session.get(User, coordinator.id), actor)
        db.session.commit()
        return shelter.public_id


def _add_perpetrator(app: Any, case: Any) -> uuid.UUID:
    """Record a perpetrator on ``case`` (``make_case`` records none); his public id."""
    from app.db import db
    from cases.core.models import Case, PersonKind
    from cases.core.services import add_person

    with app.app_context():
        person = add_person(db.session.get(Case, case.id), PersonKind.PERPETRATOR, full_name="Hakan Kaya",
                            relationship_to_applicant="spouse", notes="Beyaz kamyonet; Şişli'de bir oto tamirhanesi")
        db.session.commit()
        return person.public_id


def _publish_statistics(app: Any, counsellor: Any, admin: Any) -> None:
    """A published 2025 release with shown, "<5" and "x" cells, so axe checks real statistics tables and charts."""
    from datetime import date

    from tests.reports.helpers import add_cases, publish

    add_cases(app, counsellor, 16, applied_on=date(2025, 3, 10), named=False)
    add_cases(app, counsellor, 6, applied_on=date(2025, 9, 10), channel="phone", age_band="35-44", named=False)
    add_cases(app, counsellor, 2, applied_on=date(2025, 11, 10), channel="ngo", risk="high", named=False)
    publish(app, admin)


def test_axe_is_vendored() -> None:
    head = AXE.read_text(encoding="utf-8")[:200]
    assert head.startswith("/*! axe v4."), head
    assert (AXE.parent / "axe-core.LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License")


def test_anonymous_pages(app, live_server, browser, make_user) -> None:  # type: ignore[no-untyped-def]
    for locale in ("en-GB", "tr-TR"):
        newcomer = make_user("counsellor", enrolled=False)
        ctx = _new_context(browser, locale)
        auditor = Auditor(ctx.new_page(), live_server)
        page, lang = auditor.page, locale.split("-")[0]
        auditor.check("/login", lang=lang)
        auditor.check("/login?expired=1", lang=lang)
        auditor.check("/no-such-page", status=404, lang=lang)
        # the sign-in form with its error summary (nothing typed)
        auditor.check("/login", lang=lang)
        page.locator("main form button[type=submit]").click()
        page.wait_for_selector(".error-summary")
        auditor.check("", lang=lang)
        # first sign-in of a new user: the authenticator enrolment page
        page.locator("input[name=email]").fill(newcomer.email)
        page.locator("input[name=password]").fill(newcomer.password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/login/setup")
        auditor.check("", lang=lang)
        ctx.close()
        auditor.assert_clean()


def test_counsellor_pages(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Danışman")
    case = make_case(counsellor, applicant_name="Gülten Yılmaz", children=(("Elif", "girl", 2018),),
                     risk_level="high")
    other = make_case(counsellor, applicant_name="Sevim Kaya", tckn=None, phone=None)
    c = f"/cases/{case.public_id}"
    visited = _run(app, browser, live_server, counsellor, [
        "/cases/", "/cases/new", c, f"{c}/risk", f"{c}/risk/new", f"{c}/safety-plan", f"{c}/safety-plan/edit",
        f"{c}/support-plan", f"{c}/support-plan/goals/new", f"{c}/referrals", f"{c}/orders",
        f"{c}/support-plan/reviews/new", f"{c}/close", "/cases/break-glass", "/account/password",
        f"/shelters/requests/new?case={case.public_id}", f"{c}/people/{case.applicant_public_id}/edit",
        f"{c}/children/new", f"{c}/perpetrator/new",
        f"/cases/{other.public_id}/people/{_add_perpetrator(app, other)}/edit",
        f"{c}?note=1", f"{c}/sections/legal",  # the note form when she asks; a section on its own page (issue 20)
    ])
    assert len(visited) == 23  # the dashboard and 22 pages


def test_counsellor_pages_in_turkish(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Danışman")
    case = make_case(counsellor, children=(("Elif", "girl", 2018),), risk_level="high")
    _run(app, browser, live_server, counsellor, ["/cases/", f"/cases/{case.public_id}",
                                                 (f"/cases/{uuid.uuid4()}", 404)], locale="tr-TR")


def test_supervisor_pages(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor", name="Sevgi Süpervizör")
    case = make_case(counsellor, children=(("Elif", "girl", 2018),), risk_level="high")
    c = f"/cases/{case.public_id}"
    _publish_statistics(app, counsellor, make_user("admin"))
    _run(app, browser, live_server, supervisor, [
        "/cases/", ("/reports/", 200, "table[data-table=channels] td.stats-hidden"), c, f"{c}/access-report",
        f"{c}/kvkk-report",
        f"{c}/manage", "/cases/break-glass/reviews", ("/reports/print", 200, "svg[role=img]"),
        ("/reports/?year=2024", 404), ("/reports/?year=2025&start=2025-01", 422),
        f"{c}/papers/summary", f"{c}/papers/safety-plan", f"{c}/papers/safety-plan?discreet=1", f"{c}/papers/kvkk",
    ])


def test_coordinator_pages(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from tests.shelters.helpers import admit, make_shelter, request_for

    coordinator = make_user("coordinator", name="Kader Koordinatör")
    counsellor = make_user("counsellor")
    admin = make_user("admin")
    _shelter(app, coordinator, admin)  # the demo shelter: a second row on the list
    shelter = make_shelter(app, admin, coordinators=(coordinator,))
    sid = shelter.public_id
    with app.app_context():
        today = local_today()
    # one household in the shelter (board, household page) and one waiting (waitlist, admit form)
    housed = request_for(app, make_case(counsellor, children=(("Elif", "girl", 2018), ("Can", "boy", 2016))),
                         shelter, counsellor)
    admit(app, shelter, housed, coordinator, [0, 1, 2], today)
    waiting = request_for(app, make_case(counsellor, applicant_name="Zeynep Kaya", tckn=None,
                                         children=(("Defne", "girl", 2020),)), shelter, counsellor)
    _run(app, browser, live_server, coordinator, [
        "/shelters/", f"/shelters/{sid}", f"/shelters/{sid}/waitlist", f"/shelters/{sid}/requests/{waiting}/admit",
        f"/shelters/{sid}/households/{housed}", f"/shelters/{sid}/occupancy", f"/shelters/{sid}/address",
    ])


def test_auditor_pages(app, live_server, browser, make_user) -> None:  # type: ignore[no-untyped-def]
    auditor = make_user("auditor", name="Aysel Denetçi")
    _run(app, browser, live_server, auditor, ["/audit/", "/audit/verify", "/cases/retention/runs"])


def test_admin_pages(app, live_server, browser, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin", name="Ali Yönetici")
    coordinator = make_user("coordinator")
    sid = _shelter(app, coordinator, admin)
    _publish_statistics(app, make_user("counsellor"), admin)
    _run(app, browser, live_server, admin, [
        "/admin/users/", "/admin/users/new", f"/admin/users/{coordinator.public_id}", "/shelters/",
        "/shelters/new", f"/shelters/{sid}/settings", f"/shelters/{sid}/rooms", "/cases/risk-checklists",
        ("/reports/", 200, "table[data-table=applications-month]"), ("/reports/print", 200, "table"),
        ("/reports/releases", 200, "main table"), ("/cases/retention", 200, "main table"),
        "/cases/retention/runs",
    ])


@pytest.mark.parametrize("role", ["counsellor", "supervisor", "coordinator", "auditor", "admin"])
def test_dashboard_in_turkish(app, live_server, browser, make_user, role) -> None:  # type: ignore[no-untyped-def]
    _run(app, browser, live_server, make_user(role), [], locale="tr-TR")


def _undecided_and_a_proceeding(app, case, user):  # type: ignore[no-untyped-def]
    """An undecided duty-to-report question and a proceeding whose hearing was yesterday (its page asks what
    happened and lists the hearings held), through the services; their public ids."""
    import datetime as dt

    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.legal import services as legal_service

    with app.app_context():
        c, actor = db.session.get(Case, case.id), db.session.get(User, user.id)
        today = local_today()
        row = legal_service.record_report_decision(
            c, actor=actor, learned_on=today, concern="child-abuse", decision="undecided", reported_to=[],
            reason=None, she_was_told_first=False)
        p = legal_service.save_proceeding(
            c, actor=actor, kind="divorce", status="ongoing", authority=None, file_number=None, has_legal_aid=True,
            lawyer=None, next_hearing_on=today - dt.timedelta(1), today=today - dt.timedelta(2))
        db.session.commit()
        return row.public_id, p.public_id


def test_issue_18_pages_have_no_serious_violation(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The legal process, privacy, feedback, handover and indicator pages (issue 18), in English and Turkish."""
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(counsellor)
    c = f"/cases/{case.public_id}"
    decision, proceeding = _undecided_and_a_proceeding(app, case, counsellor)
    pages: list[str | tuple[str, int] | tuple[str, int, str]] = [
        f"{c}/legal/proceedings/new", f"{c}/legal/measures", f"{c}/legal/custody/new",
        f"{c}/legal/report-decisions/new", f"{c}/privacy", "/cases/privacy-notice", "/cases/feedback",
        f"{c}/legal/report-decisions/{decision}", f"{c}/legal/proceedings/{proceeding}"]
    for locale in ("en-GB", "tr-TR"):
        assert len(_run(app, browser, live_server, counsellor, pages, locale=locale)) == len(pages) + 1  # + dashboard
        visited = _run(app, browser, live_server, supervisor, [
            ("/cases/kpis", 200, "#kpi-closure-reasons"), f"/cases/handover?counsellor={counsellor.public_id}",
            c, "/cases/report-decisions"], locale=locale)
        assert len(visited) == 4 + 1


def test_issue_16_papers_and_audit_log_pass_axe(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The referral letter, the consent form and her discreet copy, the refusal to print (409) and the audit log
    with labelled actions."""
    from tests.cases.test_referrals import create_consent, create_referral
    from tests.factories import login_as

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    login_as(client, make_user("supervisor"))  # her supervisor prepares them (the counsellor's codes are for Chromium)
    cid = create_consent(client, case)
    rid = create_referral(client, case, consent=cid)
    draft = create_referral(client, case)
    c = f"/cases/{case.public_id}"
    pages: list[str | tuple[str, int] | tuple[str, int, str]] = [
        (f"{c}/referrals/{rid}/letter", 200, "article.paper"), (f"{c}/consents/{cid}/form", 200, "article.paper"),
        (f"{c}/consents/{cid}/form?discreet=1", 200, "article.paper"),
        (f"{c}/referrals/{draft}/letter", 409, "#cannot-print"), "/cases/new"]
    for locale in ("en-GB", "tr-TR"):
        assert len(_run(app, browser, live_server, counsellor, pages, locale=locale)) == len(pages) + 1
        _run(app, browser, live_server, make_user("auditor"), [("/audit/", 200, ".audit-action")], locale=locale)
