"""Each paper in a real Chromium (issue 16 §3): one click from the case page, a Print button that opens the print
dialog, and in print media only the paper — no header, navigation, buttons or forms — with the case number."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_every_paper_prints_only_the_paper(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    context = browser.new_context(locale="tr-TR")
    page = context.new_page()
    sign_in(page, live_server, app, counsellor)
    for link in ("summary", "safety-plan", "safety-plan?discreet=1", "kvkk"):
        page.goto(f"{live_server}/cases/{case.public_id}")
        page.locator(f"#papers-title ~ ul a[href$='/papers/{link}']").click()
        page.wait_for_load_state()
        # The Print button is shown by the script and calls the browser's print.
        page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
        page.get_by_role("button", name="Yazdır").click()
        assert page.evaluate("window.__printed") == 1, link
        page.emulate_media(media="print")
        for hidden in (".site-header", ".site-footer", "[data-print]", ".back-link"):
            assert not page.locator(hidden).first.is_visible(), (link, hidden)
        paper = page.locator("article.paper")
        assert paper.is_visible() and case.number in paper.inner_text(), link
        assert paper.locator("form, input, button").count() == 0, link
        page.emulate_media(media="screen")
    context.close()
