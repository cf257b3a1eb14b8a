"""A real Chromium signs in with password + TOTP, sees the dashboard, signs out, and the old cookie is dead."""

from __future__ import annotations

import re

import pytest

from tests.factories import fresh_code

pytestmark = pytest.mark.e2e


def test_sign_in_dashboard_sign_out_and_cookie_replay(app, live_server, browser, context, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor", name="Şule İnce Işıklı")
    page = context.new_page()
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("authenticator", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.wait_for_url(f"{live_server}/")
    assert "Şule İnce Işıklı" in page.content()

    cookies = context.cookies()
    assert any(c["name"] == "dayanisma_session" and c["httpOnly"] for c in cookies)

    page.get_by_role("button", name=re.compile("Sign out", re.I)).click()
    page.wait_for_url(re.compile(r"/login"))

    # a second browser presenting the cookie copied before sign-out gets the sign-in page
    thief = browser.new_context(locale="en-GB")
    thief.add_cookies([c for c in cookies if c["name"] == "dayanisma_session"])
    stolen = thief.new_page()
    stolen.goto(f"{live_server}/")
    assert re.search(r"/login", stolen.url)
    assert stolen.get_by_label("Password").is_visible()
    thief.close()
