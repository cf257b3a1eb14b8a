"""Phone width (issue 16 §4): every main page of every role, in Turkish, at 390 × 844 px, has no horizontal
overflow — nothing wider than the screen but what scrolls inside its own box (a wide table in its .table-wrap) —
and the case list keeps case numbers whole."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import _publish_statistics, _shelter

pytestmark = pytest.mark.e2e

WIDTH = 390
# Elements wider than the viewport, outside any box that scrolls by itself (the page's own overflow).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (s.overflowX === 'auto' || s.overflowX === 'scroll') return true; }
    return false; };
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > 0 && (r.right > width + 1 || r.left < -1) && !scrolls(el)
      && getComputedStyle(el).visibility !== 'hidden';
  }).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
         + ' ' + Math.round(el.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 6)};
}"""


def _check(app: Any, browser: Any, live_server: str, user: Any, paths: list[str]) -> None:
    context = browser.new_context(locale="tr-TR", viewport={"width": WIDTH, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server, app, user)
        failures = []
        for path in ["/", *paths]:
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.status == 200, path
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["width"] or found["wide"]:
                failures.append(f"{path}: {found}")
        assert not failures, "horizontal overflow at 390 px:\n" + "\n".join(failures)
    finally:
        context.close()


def test_counsellor_pages_at_phone_width(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Danışman")
    case = make_case(counsellor, applicant_name="Gülten Yılmaz", children=(("Elif", "girl", 2018),),
                     risk_level="high")
    c = f"/cases/{case.public_id}"
    _check(app, browser, live_server, counsellor, [
        "/cases/", "/cases/?sort=due", "/cases/new", c, f"{c}/risk", f"{c}/risk/new", f"{c}/safety-plan",
        f"{c}/safety-plan/edit", f"{c}/support-plan", f"{c}/referrals", f"{c}/orders", f"{c}/close",
        "/cases/tasks", "/cases/break-glass", f"{c}/papers/summary", f"{c}/papers/safety-plan",
    ])
    # Case numbers are not broken across lines in the list.
    context = browser.new_context(locale="tr-TR", viewport={"width": WIDTH, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, app, counsellor)
    page.goto(f"{live_server}/cases/")
    link = page.locator(f"table a:text-is('{case.number}')")
    box = link.bounding_box()
    line_height = float(link.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight) || 24"))
    assert box is not None and box["height"] < 1.5 * line_height, box
    context.close()


def test_supervisor_coordinator_auditor_admin_pages_at_phone_width(app, live_server, browser, make_user,
                                                                   make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor", name="Sevgi Süpervizör")
    coordinator = make_user("coordinator", name="Kader Koordinatör")
    admin = make_user("admin", name="Ali Yönetici")
    case = make_case(counsellor, risk_level="high")
    sid = _shelter(app, coordinator, admin)
    _publish_statistics(app, counsellor, admin)
    c = f"/cases/{case.public_id}"
    _check(app, browser, live_server, supervisor, ["/cases/", c, f"{c}/access-report", "/reports/", "/cases/tasks"])
    _check(app, browser, live_server, coordinator, ["/shelters/", f"/shelters/{sid}", f"/shelters/{sid}/waitlist",
                                                    f"/shelters/{sid}/occupancy"])
    _check(app, browser, live_server, make_user("auditor"), ["/audit/"])
    _check(app, browser, live_server, admin, ["/admin/users/", "/reports/", "/shelters/"])
