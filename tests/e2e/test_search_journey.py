"""Finding her file in a real Chromium (issue 16 §1): by part of her name without accents, by case number and by the
last digits of her phone; Back after opening a result shows the results again (no "Confirm Form Resubmission"), with
no query in any URL; a covering counsellor finds a colleague's client by the same search and reaches break-glass."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _search(page, query: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("input[name=q]").fill(query)
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/search\?r=[0-9a-f-]{36}$"))
    assert query not in page.url


def test_search_by_partial_name_number_phone_and_back(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Çelik")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk", phone="0532 987 65 43", risk_level="high")
    make_case(counsellor, applicant_name="İpek Işık", tckn=None, phone="0533 111 22 33")
    page = context.new_page()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    sign_in(page, live_server, app, counsellor)
    page.goto(f"{live_server}/cases/")
    for query in ("ozturk", case.number.lower(), "6543"):
        _search(page, query)
        rows = page.locator("table tbody tr")
        assert rows.count() == 1, query
        assert "Gülşen Öztürk" in rows.inner_text() and "High risk" in rows.inner_text()
    # Open the file, then Back: the results come back without a resubmission prompt.
    page.get_by_role("link", name=case.number).click()
    page.wait_for_url(re.compile(rf"/cases/{case.public_id}$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/cases/search\?r="))
    assert page.locator("table tbody tr").count() == 1
    assert "Gülşen Öztürk" in page.locator("table").inner_text()
    assert page.locator("input[name=q]").input_value() == "6543"
    page.reload()
    assert page.locator("table tbody tr").count() == 1
    # SECURITY: what she typed never travelled in a URL.
    assert not [u for u in visited if "ozturk" in u.lower() or "6543" in u]


def test_covering_counsellor_finds_and_opens_by_break_glass(app, live_server, context, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    covering = make_user("counsellor")
    colleague = make_user("counsellor", name="Nermin Aksoy")
    case = make_case(colleague, applicant_name="Gülşen Öztürk", tckn="10000000146")
    page = context.new_page()
    sign_in(page, live_server, app, covering)
    page.goto(f"{live_server}/cases/")
    _search(page, "Gülşen Öztürk")
    others = page.locator("section[aria-labelledby=others-title]")
    assert case.number in others.inner_text() and "Nermin Aksoy" in others.inner_text()
    assert "Gülşen" not in others.inner_text()
    others.get_by_role("link", name=re.compile("Emergency access")).click()
    page.wait_for_url(re.compile(r"/cases/break-glass\?number="))
    assert page.locator("input[name=number]").input_value() == case.number
    page.locator("select[name=category]").select_option("colleague-absent")  # only this reaches the audit log
    page.locator("textarea[name=reason]").fill("Danışmanı izinde; kadın şu an merkezde ve yardım istiyor.")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/cases/{case.public_id}$"))
    assert "Gülşen Öztürk" in page.content()
