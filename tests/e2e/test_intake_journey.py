"""A counsellor in a real Chromium signs in, records an intake with two children, and lands on the case page with
the safe-contact banner above everything else."""

from __future__ import annotations

import re

import pytest

from tests.factories import fresh_code

pytestmark = pytest.mark.e2e


def test_counsellor_intake_journey(app, live_server, context, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor", name="Gönül Akın")
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("authenticator", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.wait_for_url(f"{live_server}/")

    page.get_by_role("link", name="New intake").first.click()
    page.wait_for_url(re.compile(r"/cases/new$"))
    page.get_by_label("She was given the KVKK information notice (aydınlatma metni)").check()
    # Her identity comes first, and the returning-applicant check runs before her story is typed.
    assert page.locator("#about-her").bounding_box()["y"] < page.locator("#narrative").bounding_box()["y"]  # type: ignore[index]
    page.get_by_label("Full name", exact=True).fill("Şerife İçöz")
    page.get_by_label("T.C. Kimlik No", exact=True).fill("10000000146")
    page.get_by_label("Phone", exact=True).fill("0532 123 45 67")
    page.get_by_role("button", name="Check now").click()
    page.wait_for_load_state()
    assert "No earlier application at this centre" in page.locator("#returning-check").inner_text()
    assert page.get_by_label("Full name", exact=True).input_value() == "Şerife İçöz"
    page.get_by_label("How did she come to the centre?").select_option("phone")
    page.get_by_label("Physical", exact=True).check()
    page.get_by_label("Economic").check()
    page.get_by_label("What happened, in her words").fill("Eşi onu evden kovdu; çocuklarla çıktı.")
    page.locator("#children-0-full_name").fill("Ece İçöz")
    page.locator("#children-0-sex").select_option("girl")
    page.locator("#children-0-birth_year").fill("2018")
    # One more row, in place: nothing is sent, what was typed stays.
    page.evaluate("() => { window.__samePage = true; }")
    page.get_by_role("button", name="Add a child").click()
    assert page.evaluate("window.__samePage === true") and page.locator("[data-row]").count() == 2
    assert page.locator("#children-1-full_name").input_value() == ""
    assert page.evaluate("document.activeElement.id") == "children-1-full_name"
    assert page.locator("#children-0-full_name").input_value() == "Ece İçöz"
    page.locator("#children-1-full_name").fill("Oğuz İçöz")
    page.locator("#children-1-sex").select_option("boy")
    page.locator("#children-1-birth_year").fill("2015")
    page.get_by_label("Relationship to her", exact=True).select_option("spouse")
    page.get_by_label("We may send her text messages").check()
    page.get_by_label("Safe hours to contact her").fill("Hafta içi 09:00–12:00")
    page.get_by_label("Code word", exact=True).fill("menekşe")
    page.get_by_label("Yes: her phone is checked").check()
    page.get_by_role("button", name="Check and continue").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))

    banner = page.locator("#safe-contact")
    assert banner.is_visible()
    assert "Hafta içi 09:00–12:00" in banner.inner_text()
    assert "Yes: her phone is checked" in banner.inner_text()
    code_word = page.get_by_text("menekşe")
    assert not code_word.is_visible()  # behind <details>
    page.get_by_text("Show the code word").click()
    assert code_word.is_visible()
    # the banner is above the applicant, the children and the notes
    banner_top = banner.bounding_box()["y"]  # type: ignore[index]
    assert banner_top < page.locator("#applicant-title").bounding_box()["y"]  # type: ignore[index]
    assert banner_top < page.locator("#notes-title").bounding_box()["y"]  # type: ignore[index]
    content = page.content()
    for value in ("Şerife İçöz", "Ece İçöz", "Oğuz İçöz", "2018", "2015", "Eşi onu evden kovdu; çocuklarla çıktı."):
        assert value in content, value
    assert "Şerife" not in page.title()


def test_returning_applicant_found_before_her_story_is_typed(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.conftest import sign_in

    user = make_user("counsellor")
    earlier = make_case(user, applicant_name="Gülşen Öztürk", phone="0532 765 43 21")
    context = browser.new_context(locale="tr-TR", bypass_csp=True)  # bypass: axe is injected below
    page = context.new_page()
    sign_in(page, live_server, app, user)
    page.goto(f"{live_server}/cases/new")
    page.locator("#full_name").fill("Gulsen Ozturk Yilmaz")
    page.locator("#phone").fill("05327654321")
    page.get_by_role("button", name="Şimdi denetle").click()
    page.wait_for_load_state()
    found = page.locator("#returning-check")
    assert earlier.number in found.inner_text()
    assert found.bounding_box()["y"] < page.locator("#narrative").bounding_box()["y"]  # type: ignore[index]
    assert page.locator("#narrative").input_value() == ""
    # She is the same woman: what was typed goes with her into a new application in her file (by POST).
    page.locator("#narrative").fill("Yine evden kovuldu.")
    page.locator("#children-0-full_name").fill("Deniz Öztürk")
    found.get_by_role("button", name="Onun dosyasında devam et").click()
    page.wait_for_url(re.compile(rf"/cases/{earlier.public_id}/applications/new/[0-9a-f-]{{36}}$"))
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."
    assert page.locator("#full_name").input_value() == "Gulsen Ozturk Yilmaz"
    assert "Dosyasında olmayan bir çocuk: Deniz Öztürk" in page.locator("#bring-in").inner_text()
    from tests.e2e.test_accessibility import _violations

    assert _violations(page) == []  # axe: no serious or critical violation on the new application
    from tests.e2e.test_phone_width import OVERFLOW

    page.set_viewport_size({"width": 390, "height": 844})  # and it fits a phone
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and not found["wide"], found
    page.set_viewport_size({"width": 1366, "height": 900})
    # Back to the intake form: nothing is lost.
    page.get_by_role("button", name="Başvuru formuna dön").click()
    page.wait_for_url(re.compile(r"/cases/new/[0-9a-f-]{36}$"))
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."
    assert page.locator("#children-0-full_name").input_value() == "Deniz Öztürk"
    page.locator("#returning-check").get_by_role("button", name="Onun dosyasında devam et").click()
    page.wait_for_url(re.compile(rf"/cases/{earlier.public_id}/applications/new/[0-9a-f-]{{36}}$"))
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."
    # Her name as typed now is not brought in (unticked); the child is.
    page.locator("#bring-in").get_by_label("Ad soyad", exact=False).uncheck()
    page.get_by_role("button", name="Yeni başvuruyu kaydet").click()
    page.wait_for_url(f"{live_server}/cases/{earlier.public_id}")
    assert "Yeni başvuru" in page.content() and "Yine evden kovuldu." in page.content()
    assert "Deniz Öztürk" in page.content() and "Gülşen Öztürk" in page.content()
    context.close()


def test_browser_back_after_continue_in_her_file_shows_the_intake_as_typed(app, live_server, browser, make_user,  # type: ignore[no-untyped-def]
                                                                           make_case) -> None:
    """Chrome's Back after "Continue in her file" (issue 16): "Check now" and "Continue" answer 303 to pages fetched
    by GET with only a draft's opaque id, so Back shows the intake as typed, with no "Confirm Form Resubmission"."""
    from tests.e2e.conftest import sign_in

    user = make_user("counsellor")
    earlier = make_case(user, applicant_name="Gülşen Öztürk", phone="0532 765 43 21")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    failed: list[str] = []
    # the pages themselves (a favicon fetch the next navigation aborts is not the form resubmission we look for)
    page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}")
            if request.resource_type == "document" else None)
    sign_in(page, live_server, app, user)
    page.goto(f"{live_server}/cases/new")
    page.locator("#full_name").fill("Gülşen Öztürk")
    page.locator("#phone").fill("0532 765 43 21")
    page.get_by_role("button", name="Check now").click()
    page.wait_for_url(re.compile(r"/cases/new/[0-9a-f-]{36}$"))
    intake_url = page.url
    assert "Öztürk" not in intake_url and "0532" not in intake_url and "?" not in intake_url
    assert earlier.number in page.locator("#returning-check").inner_text()
    assert page.locator("#full_name").input_value() == "Gülşen Öztürk"
    page.locator("#narrative").fill("Yine evden kovuldu.")
    page.locator("#children-0-full_name").fill("Deniz Öztürk")
    page.locator("#returning-check").get_by_role("button", name=re.compile("^Continue in her file")).click()
    page.wait_for_url(re.compile(rf"/cases/{earlier.public_id}/applications/new/[0-9a-f-]{{36}}$"))
    application_url = page.url
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."

    page.go_back()  # the browser's Back, not the page's button
    assert page.url == intake_url  # not chrome-error://chromewebdata/ (ERR_CACHE_MISS)
    assert "ERR_CACHE_MISS" not in page.content() and failed == []
    assert page.locator("#full_name").input_value() == "Gülşen Öztürk"
    assert page.locator("#phone").input_value() == "0532 765 43 21"
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."  # typed after "Check now"
    assert page.locator("#children-0-full_name").input_value() == "Deniz Öztürk"
    assert earlier.number in page.locator("#returning-check").inner_text()

    page.go_forward()  # and Forward again: the new application, as it was
    assert page.url == application_url and failed == []
    assert page.locator("#narrative").input_value() == "Yine evden kovuldu."
    page.go_back()
    assert page.url == intake_url and failed == []
    # Continue again from the intake page, and save.
    page.locator("#returning-check").get_by_role("button", name=re.compile("^Continue in her file")).click()
    page.wait_for_url(application_url)
    assert "A child not in her file: Deniz Öztürk" in page.locator("#bring-in").inner_text()
    page.get_by_role("button", name="Save the new application").click()
    page.wait_for_url(f"{live_server}/cases/{earlier.public_id}")
    assert "Yine evden kovuldu." in page.content() and "Deniz Öztürk" in page.content()
    # The intake is saved: its draft is gone, and Back to its page finds nothing.
    assert page.goto(intake_url).status == 404  # type: ignore[union-attr]
    context.close()


@pytest.mark.parametrize("field", ["#phone", "#children-0-full_name"])
def test_enter_in_an_intake_field_saves_the_intake(app, live_server, browser, make_user, field) -> None:  # type: ignore[no-untyped-def]
    """Enter in a field runs the form's main action (save), not 'Check now', the first button in the page."""
    from tests.e2e.conftest import sign_in

    user = make_user("counsellor")
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, live_server, app, user)
    page.goto(f"{live_server}/cases/new")
    page.get_by_label("She was given the KVKK information notice (aydınlatma metni)").check()
    page.locator("#full_name").fill("Nurten Kalaycı")
    page.locator("#phone").fill("0533 111 22 33")
    page.locator("#children-0-full_name").fill("Elif Kalaycı")
    page.locator(field).press("Enter")
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    assert "Nurten Kalaycı" in page.content()
    context.close()
