"""Each paper in a real Chromium (issue 16 §3): one click from the case page, a Print button that opens the print
dialog, and in print media only the paper — no header, navigation, buttons or forms — with the case number."""

from __future__ import annotations

import datetime as dt
import re

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


def _pdf_pages(page) -> int:  # type: ignore[no-untyped-def]
    """How many A4 pages Chromium's own print to PDF makes of the page (its print stylesheet applies)."""
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_referral_letter_and_consent_form_print_on_one_a4_page(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_referrals import enrich_case

    counsellor = make_user("counsellor", name="Derya Çelik")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    enrich_case(app, case, narrative="Eşim beni tehdit etti. " * 12)
    context = browser.new_context(locale="tr-TR")
    page = context.new_page()
    sign_in(page, live_server, app, counsellor)
    base = f"{live_server}/cases/{case.public_id}"

    # Her consent, recorded on the referrals page, then printed for her to sign.
    page.goto(f"{base}/referrals")
    form = page.locator("form[action$='/consents']")
    form.locator("select[name=institution_type]").select_option("sonim")
    form.locator("input[name=institution_name]").fill("Şişli ŞÖNİM")
    for key in ("identity", "contact", "narrative"):
        form.locator(f"input[name=data_classes][value={key}]").check()
    form.locator("input[name=method][value=written]").check()
    form.locator("input[name=valid_until]").fill((dt.date.today() + dt.timedelta(days=90)).strftime("%d.%m.%Y"))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="İmzalaması için onam formunu yazdır").click()
    paper = page.locator("article.paper")
    assert "Gülşen Öztürk" in paper.inner_text() and "Şişli ŞÖNİM" in paper.inner_text()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator(".back-link").is_visible()
    assert _pdf_pages(page) == 1
    page.emulate_media(media="screen")
    # Her own discreet copy: what she agreed to, no title, no centre, no names, one page.
    page.get_by_role("link", name="Yanında taşıyabileceği gizli kopya").click()
    page.wait_for_url(re.compile(r"/form\?discreet=1$"))
    paper = page.locator("article.paper")
    assert "Şişli ŞÖNİM" in paper.inner_text() and case.number in paper.inner_text()
    page.emulate_media(media="print")
    printed = paper.inner_text()
    for hidden in ("Gülşen", "Öztürk", "Derya", "onam", "Onam", "imza", "Dayanışma"):
        assert hidden not in printed, hidden
    assert not page.locator("h1").count() and "Dayanışma" not in page.title()
    assert _pdf_pages(page) == 1
    page.emulate_media(media="screen")

    # A referral under that consent: its letter shows exactly what the preview shows, on one page.
    page.goto(f"{base}/referrals")
    page.locator("form[action$='/referrals'] select[name=institution_type]").select_option("sonim")
    page.locator("form[action$='/referrals'] input[name=data_classes][value=identity]").check()
    page.locator("form[action$='/referrals'] input[name=data_classes][value=narrative]").check()
    page.locator("form[action$='/referrals'] select[name=consent]").select_option(index=1)
    page.locator("form[action$='/referrals'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/preview$"))
    preview = page.locator("#shared-information").inner_text()
    page.goto(page.url.removesuffix("/preview"))
    page.locator("#print-letter").click()
    page.wait_for_url(re.compile(r"/letter$"))
    letter = page.locator("article.paper").inner_text()
    assert "Gülşen Öztürk" in letter and "Eşim beni tehdit etti" in letter and case.number in letter
    assert "Derya Çelik" in letter
    for line in (li.strip() for li in preview.splitlines()):
        assert line in letter, line
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="Yazdır").click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    assert _pdf_pages(page) == 1
    context.close()
