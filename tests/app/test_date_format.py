"""One date format per language (issue 16 §4): every page writes a day as Babel's long date ("6 Aralık 2026",
"December 6, 2026") and a moment as that date and the time. A scan of the main pages of every role, in Turkish and
English, finds no ISO date ("2026-12-06"), no numeric date ("6.12.2026", "12/6/26") and no abbreviated month
("6 Ara 2026", "Dec 6, 2026") in the text people read; machine-readable dates stay in attributes (datetime=,
value=)."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from tests import factories

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NUMERIC = re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")
SHORT_MONTH = {"tr": re.compile(r"\b\d{1,2} (Oca|Şub|Mar|Nis|May|Haz|Tem|Ağu|Eyl|Eki|Kas|Ara) \d{4}\b"),
               "en": re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}\b")}


def visible_text(page: str) -> str:
    """What a reader sees: no script, style or tags (so no attribute values), entities decoded."""
    page = re.sub(r"<(script|style|title)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


def leaks(page: str, lang: str) -> list[str]:
    text = visible_text(page)
    return [m.group(0) for rx in (ISO, NUMERIC, SHORT_MONTH[lang]) for m in rx.finditer(text)]


def test_the_scan_finds_what_it_looks_for() -> None:
    assert leaks("<p>Açıldı: 2026-12-06</p>", "tr") == ["2026-12-06"]
    assert leaks("<p>6.12.2026 · 12/6/26</p>", "en") == ["6.12.2026", "12/6/26"]
    assert leaks("<p>5 Ara 2026</p>", "tr") == ["5 Ara 2026"] and leaks("<p>Dec 5, 2026</p>", "en") == ["Dec 5, 2026"]
    assert leaks('<time datetime="2026-12-06">6 Aralık 2026</time><input value="06.12.2026">', "tr") == []


def test_filters_write_the_long_date_in_the_centres_zone(app: Flask) -> None:
    from app.dates import long_date, long_datetime

    moment = datetime(2026, 3, 1, 22, 30, tzinfo=ZoneInfo("UTC"))  # 2 March, 01:30 in Istanbul
    with app.test_request_context(headers={"Accept-Language": "tr"}):
        assert long_date(date(2026, 12, 6)) == "6 Aralık 2026"
        assert long_datetime(moment) == "2 Mart 2026 01:30"
        assert long_date(moment) == "2 Mart 2026"
        assert long_date(None) == ""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert long_date(date(2026, 12, 6), "short") == "December 6, 2026"  # one format, whatever is asked
        assert long_datetime(moment).startswith("March 2, 2026 1:30")


def _world(app: Flask, make_user, make_case):  # type: ignore[no-untyped-def]
    """A counsellor's case with a consent, a referral, a note, a risk assessment and a shelter stay; a supervisor,
    a coordinator and an auditor of the same centre."""
    from app.dates import local_today
    from tests.cases.test_referrals import create_consent, create_referral, enrich_case
    from tests.shelters.helpers import admit, make_shelter, request_for

    counsellor = make_user("counsellor", name="Derya Danışman")
    supervisor, coordinator, admin = make_user("supervisor"), make_user("coordinator"), make_user("admin")
    auditor = make_user("auditor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk", children=(("Elif", "girl", 2018),),
                     risk_level="high")
    enrich_case(app, case)
    client = app.test_client()
    factories.login_as(client, counsellor)
    cid = create_consent(client, case)
    rid = create_referral(client, case, consent=cid)
    shelter = make_shelter(app, admin, coordinators=(coordinator,))
    with app.app_context():
        today = local_today()
    housed = request_for(app, case, shelter, counsellor)
    admit(app, shelter, housed, coordinator, [0, 1], today - timedelta(days=3))
    waiting = request_for(app, make_case(counsellor, applicant_name="Zeynep Kaya", tckn=None), shelter, counsellor)
    c, s = f"/cases/{case.public_id}", f"/shelters/{shelter.public_id}"
    return {
        counsellor: ["/", "/cases/", c, f"{c}/referrals", f"{c}/referrals/{rid}", f"{c}/risk", f"{c}/safety-plan",
                     f"{c}/support-plan", f"{c}/orders", f"{c}/papers/summary", f"{c}/papers/kvkk",
                     f"{c}/consents/{cid}/form", "/cases/tasks"],
        supervisor: ["/", c, f"{c}/access-report"],
        coordinator: ["/", s, f"{s}/waitlist", f"{s}/households/{housed}", f"{s}/occupancy",
                      f"{s}/requests/{waiting}/admit"],
        auditor: ["/audit/"],
    }


@pytest.mark.parametrize("lang", ["tr", "en"])
def test_no_iso_or_short_dates_on_the_main_pages(app: Flask, make_user, make_case, lang: str) -> None:  # type: ignore[no-untyped-def]
    pages = _world(app, make_user, make_case)
    found, seen = [], 0
    for user, urls in pages.items():
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        factories.login_as(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user.role, url, response.status_code)
            page = response.get_data(as_text=True)
            seen += 1
            found += [f"{user.role} {url}: {leak}" for leak in leaks(page, lang)]
    assert seen >= 18
    assert found == []
