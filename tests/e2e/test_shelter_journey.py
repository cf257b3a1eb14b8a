"""A real Chromium walks the shelter journey: the counsellor requests a place from her case, the coordinator admits
the woman with two children, moves one child, requests an extension, the supervisor approves it, and the coordinator
discharges the household."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.factories import fresh_code
from tests.shelters.helpers import make_shelter

pytestmark = pytest.mark.e2e


def _sign_in(browser, live_server, app, user):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(locale="en-GB")
    page = ctx.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/code$"))
    page.get_by_label(re.compile("authenticator", re.I)).fill(fresh_code(app, user))
    page.get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.wait_for_url(f"{live_server}/")
    return ctx, page


def test_shelter_journey(app, live_server, browser, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today

    counsellor = make_user("counsellor", name="Derya Danışman")
    coordinator = make_user("coordinator", name="Kader Koordinatör")
    supervisor = make_user("supervisor", name="Sevgi Süpervizör")
    admin = make_user("admin", name="Ali Yönetici")
    shelter = make_shelter(app, admin, coordinators=(coordinator,), address="GIZLI-E2E-ADRES")
    case = make_case(counsellor, applicant_name="Gülten Yılmaz",
                     children=(("Elif", "girl", 2018), ("Can", "boy", 2016)))
    with app.app_context():
        today = local_today()
    sid = shelter.public_id

    # 1. the counsellor requests a place from her case
    ctx, page = _sign_in(browser, live_server, app, counsellor)
    page.goto(f"{live_server}/shelters/requests/new?case={case.public_id}")
    page.get_by_label("Shelter").select_option(label="Papatya Evi")
    assert page.get_by_label("Elif", exact=True).is_checked() and page.get_by_label("Can", exact=True).is_checked()
    page.get_by_role("button", name="Request a place").click()
    page.wait_for_load_state()
    assert "GIZLI-E2E-ADRES" not in page.content()
    ctx.close()

    # 2. the coordinator admits the woman and both children
    ctx, page = _sign_in(browser, live_server, app, coordinator)
    page.goto(f"{live_server}/shelters/{sid}/waitlist")
    page.get_by_role("link", name="Admit or decline").click()
    page.get_by_label("Gülten", exact=True).select_option(label="Oda 1 · Yatak 1.1")
    page.get_by_label("Elif", exact=True).select_option(label="Oda 1 · Yatak 1.2")
    page.get_by_label("Can", exact=True).select_option(label="Oda 1 · Yatak 1.3")
    page.get_by_role("button", name="Admit", exact=True).click()
    page.wait_for_url(re.compile(r"/households/"))
    household_url = page.url
    assert "Admitted." in page.content()

    # the board: first names only
    page.goto(f"{live_server}/shelters/{sid}")
    board = page.content()
    assert "Gülten" in board and "Elif" in board and "Can" in board and "Yılmaz" not in board

    # 3. move Can to room 3
    page.goto(household_url)
    move = page.locator("form", has=page.get_by_role("heading", name=re.compile(r"^Can")))
    move.get_by_label("New bed").select_option(label="Oda 3 · Yatak 3.1")
    move.get_by_role("button", name=re.compile("^Move")).click()
    page.wait_for_url(household_url)
    assert "Moved." in page.content() and "Oda 3 · Yatak 3.1" in page.content()

    # 4. request an extension
    new_end = today + timedelta(days=183 + 60)
    page.get_by_label("New planned end").fill(new_end.isoformat())
    page.get_by_label("Reason").select_option("housing-pending")
    page.get_by_role("button", name="Request an extension").click()
    page.wait_for_url(household_url)
    assert "Awaiting approval" in page.content()
    assert page.get_by_role("button", name="Approve the extension").count() == 0
    ctx.close()

    # 5. the supervisor approves it
    ctx, page = _sign_in(browser, live_server, app, supervisor)
    assert "Extensions awaiting your approval" in page.content()
    page.goto(household_url)
    page.get_by_role("button", name="Approve the extension").click()
    page.wait_for_url(household_url)
    assert "Extension approved." in page.content() and f"{new_end:%B} {new_end.day}, {new_end.year}" in page.content()
    ctx.close()

    # 6. the coordinator discharges the household
    ctx, page = _sign_in(browser, live_server, app, coordinator)
    page.goto(household_url)
    page.get_by_label("Where she goes").select_option("relatives")
    page.get_by_role("button", name="Record the discharge").click()
    page.wait_for_url(f"{live_server}/shelters/{sid}")
    assert "Discharge recorded." in page.content()
    # a same-day admission and discharge still counts the night; every bed is free again
    assert "8 beds free" in page.content()
    ctx.close()
