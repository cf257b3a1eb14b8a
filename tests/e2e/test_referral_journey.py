"""A real Chromium: a counsellor records her consent, creates a referral, sees the preview listing exactly the shared
data classes with their values, corrects the draft from the preview, checks the new preview, confirms and sends it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.factories import fresh_code

pytestmark = pytest.mark.e2e

PHONE = "0532 123 45 67"


def _sign_in(page, live_server: str, app, user) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("authenticator", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.wait_for_url(f"{live_server}/")


def test_consent_referral_preview_send(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Şule Işıklı", tckn="10000000146", phone=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    _sign_in(page, live_server, app, counsellor)

    page.goto(f"{live_server}/cases/{case.public_id}/referrals")
    assert "Referrals and consent" in page.title()

    consent_form = page.locator("form[action$='/consents']")
    consent_form.get_by_label("Institution she agrees to share with").select_option("sonim")
    consent_form.get_by_label(re.compile(r"^Identity")).check()
    consent_form.get_by_label(re.compile(r"^Contact")).check()
    consent_form.get_by_label("Written").check()
    today = dt.date.today()
    consent_form.get_by_label("Given on").fill(today.isoformat())
    consent_form.get_by_label("Valid until").fill((today + dt.timedelta(days=90)).isoformat())
    consent_form.get_by_role("button", name="Record consent").click()
    page.wait_for_load_state()
    assert "Consent recorded." in page.content()

    referral_form = page.locator("form[action$='/referrals']")
    referral_form.get_by_label("Refer to").select_option("sonim")
    referral_form.get_by_label("Institution name").fill("Şişli ŞÖNİM")
    referral_form.get_by_label(re.compile(r"^Identity")).check()
    consent_select = referral_form.get_by_label("Her consent")
    option = consent_select.locator("option").nth(1)
    consent_select.select_option(option.get_attribute("value"))
    referral_form.get_by_role("button", name="Save draft and preview").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]+/preview$"))

    shared = page.locator("#shared-information")
    assert shared.locator("section").count() == 1
    assert "Identity" in shared.inner_text()
    assert "Şule Işıklı" in shared.inner_text() and "10000000146" in shared.inner_text()
    # contact was not chosen: her phone is not on the page (the whole number: a short needle like "532" can match a
    # random hex id in the HTML)
    assert PHONE not in page.content()
    assert "Gül Işık" not in page.content()

    # a mistake seen on the preview: correct the draft (contact person, and her phone after all)
    page.get_by_role("link", name="Something is wrong? Edit the draft").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]+/edit$"))
    edit_form = page.locator("form[action$='/edit']")
    assert edit_form.get_by_label("Institution name").input_value() == "Şişli ŞÖNİM"  # filled with the draft
    assert edit_form.get_by_label(re.compile(r"^Identity")).is_checked()
    edit_form.get_by_label("Contact person").fill("Gül Işık")
    edit_form.get_by_label(re.compile(r"^Contact \(")).check()
    edit_form.get_by_role("button", name="Save draft and preview").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]+/preview$"))
    assert "Draft updated." in page.content()
    assert "Gül Işık" in page.locator("#recipient").inner_text()
    assert shared.locator("section").count() == 2
    assert PHONE in shared.inner_text()  # the needle above is the form the page shows

    page.get_by_role("button", name="Send referral").click()
    page.wait_for_load_state()
    assert "Confirm that you checked what is shared." in page.content()  # not sent without the confirmation
    page.get_by_label(re.compile("I have checked the information above")).check()
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(re.compile(r"/referrals/[0-9a-f-]+$"))
    assert "Referral marked as sent." in page.content()
    assert "Sent" in page.locator("h1").inner_text()
