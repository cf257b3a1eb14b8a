"""Dates typed with the keyboard in a real Chromium, on a Turkish and an English page (issue 16 §2): the hint follows
the page's language, "01112026" is 1 November 2026 (day first), and a month-first date is refused with a message
instead of being saved as another day."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("locale", "hint", "shown"), [("tr-TR", "gg.aa.yyyy", "1 Kasım 2026"),
                                                       ("en-GB", "dd.mm.yyyy", "November 1, 2026")])
def test_contact_date_typed_day_first(app, live_server, browser, make_user, make_case, locale, hint, shown) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    context = browser.new_context(locale=locale)
    page = context.new_page()
    sign_in(page, live_server, app, counsellor)
    page.goto(f"{live_server}/cases/{case.public_id}#notes")
    page.locator("#write-note").click()  # the note form when she asks for it (issue 20)
    date_input = page.locator("form.note-form input[name=occurred_on]")
    assert date_input.get_attribute("placeholder") == hint
    page.locator("form.note-form select[name=kind]").select_option(index=1)
    page.locator("form.note-form textarea[name=text]").fill("Telefonla görüşüldü.")
    # Month first, as the browser's own date input suggested: refused, and what she typed stays to correct.
    date_input.click()
    date_input.press("Control+A")
    page.keyboard.type("11/30/2026")
    page.locator("form.note-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary a[href='#occurred_on']").count() == 1
    assert "15.03.1990" in page.locator(".error-summary").inner_text()
    date_input = page.locator("form.note-form input[name=occurred_on]")
    assert date_input.input_value() == "11/30/2026"
    # Typed as people do, digits only, day first.
    date_input.click()
    date_input.press("Control+A")
    page.keyboard.type("01112026")
    page.locator("form.note-form textarea[name=text]").fill("Telefonla görüşüldü.")
    page.locator("form.note-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{case.public_id}"))
    note = page.locator("ol.timeline time").first
    assert note.get_attribute("datetime") == "2026-11-01"
    assert shown in note.inner_text()
    context.close()
