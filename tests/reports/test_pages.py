"""Statistics pages (/reports/): correct counts on a known data set, suppression as a reader sees it, no identifiers
or day-level dates in any output, role and centre scoping, CSV export safe and audited, bad periods → 422.

Every page, CSV and printout serves a published release (``publish``): the page tests publish 2025 first, with
enough applications in each centre (``_fill``) for both to be shown alone."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import make_centre
from tests.reports.helpers import (
    MARKER_NAME,
    MARKER_TCKN,
    add_cases,
    add_orders,
    add_referrals,
    as_dict,
    csv_rows,
    csv_table,
    main_html,
    publish,
)
from tests.reports.helpers import table as page_table
from tests.shelters.helpers import admit, make_shelter, request_for

YEAR = "/reports/?year=2025"


@pytest.fixture
def world(app, centre, make_user, make_case):  # type: ignore[no-untyped-def]
    """Centre A: 6 March applications (walk-in, 25-34, physical+psychological, high risk), 2 April (phone, 18-24,
    economic, 2 children each, not assessed), one 2024 case; referrals, orders, a sheltered household.
    Centre B: 3 March applications (only admins see them)."""
    counsellor = make_user("counsellor")
    admin = make_user("admin")
    coordinator = make_user("coordinator")
    march = add_cases(app, counsellor, 6, applied_on=date(2025, 3, 14), violence_types=("physical", "psychological"),
                      age_band="25-34", risk="high")
    april = add_cases(app, counsellor, 2, applied_on=date(2025, 4, 2), channel="phone", violence_types=("economic",),
                      age_band="18-24", children=2)
    old = add_cases(app, counsellor, 1, applied_on=date(2024, 12, 31))
    add_referrals(app, counsellor, march[0], 6, institution="sonim", status="accepted",
                  sent_at=datetime(2025, 3, 20, 9, tzinfo=UTC), outcome="service-provided")
    add_referrals(app, counsellor, march[1], 2, institution="police", status="sent",
                  sent_at=datetime(2025, 5, 1, 9, tzinfo=UTC))
    add_referrals(app, counsellor, march[2], 3, institution="police", status="draft", sent_at=None)
    add_referrals(app, counsellor, old[0], 4, institution="police", status="sent",
                  sent_at=datetime(2024, 12, 31, 9, tzinfo=UTC))
    add_orders(app, counsellor, march[0], 7, kind="protective", issuer="family-court", starts_on=date(2025, 3, 21))
    add_orders(app, counsellor, march[1], 1, kind="preventive", issuer="police", starts_on=date(2025, 6, 1))
    # a woman and her daughter sheltered 1-11 March 2025 (10 nights each), left to relatives
    shelter = make_shelter(app, admin, coordinators=(coordinator,), capacity=10)
    case = make_case(counsellor, applicant_name=MARKER_NAME, children=(("Elif", "girl", 2019),))
    req = request_for(app, case, shelter, counsellor)
    admit(app, shelter, req, coordinator, [0, 1], date(2025, 3, 1))
    _discharge(app, req, coordinator, date(2025, 3, 11))
    other = make_centre(app, code="OTH", name="Kadıköy Merkezi")
    other_counsellor = make_user("counsellor", centre=other)
    add_cases(app, other_counsellor, 3, applied_on=date(2025, 3, 5))
    return {"counsellor": counsellor, "admin": admin, "coordinator": coordinator, "other": other,
            "other_counsellor": other_counsellor,
            "numbers": [*march, *april, *old, case.number], "centre": centre}


def _discharge(app, req, coordinator, on):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest

    with app.app_context():
        r = db.session.scalar(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == req))
        stays.discharge(r, stays=list(r.stays), on=on, destination="relatives",
                        actor=db.session.get(User, coordinator.id), today=on)
        db.session.commit()


def _events(app, action):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.outcome, AuditEvent.details, AuditEvent.actor_role)
                                  .where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()
    return [(str(o), json.loads(d) if isinstance(d, str) else d, r) for o, d, r in rows]


def _fmt(value, fmt):  # type: ignore[no-untyped-def]
    return fmt.format(value) if value is not None else "–"


def _raw(app, centre_id):  # type: ignore[no-untyped-def]
    """The providers' raw counts (before any suppression): {table key: rows of text, header first, total last}."""
    from flask_babel import force_locale

    from app.reports.registry import Period, collect_tables

    out = {}
    with app.test_request_context("/"), force_locale("en"):
        for t in collect_tables([centre_id], Period.year(2025)):
            rows = [[t.row_header, *t.col_labels, *(["Total"] if t.row_totals else []),
                     *[d.label for d in t.derived]]]
            for i, (label, counts) in enumerate(zip(t.row_labels, t.counts, strict=True)):
                rows.append([label, *map(str, counts), *([str(sum(counts))] if t.row_totals else []),
                             *[_fmt(d.values[i], d.fmt) for d in t.derived]])
            if t.col_totals:
                cols = [sum(r[j] for r in t.counts) for j in range(len(t.col_labels))]
                rows.append(["Total", *map(str, cols), *([str(sum(cols))] if t.row_totals else []),
                             *[_fmt(d.total, d.fmt) for d in t.derived]])
            out[t.key] = rows
    return out


def table(raw, key):  # type: ignore[no-untyped-def]
    return raw[key]


def test_every_table_counts_the_known_data_set(app, world):  # type: ignore[no-untyped-def]
    html = _raw(app, world["centre"].id)
    months = as_dict(table(html, "applications-month"))
    assert months["March 2025"] == "6" and months["April 2025"] == "2"  # the 2024 case is left out
    assert months["January 2025"] == "0" and months["Total"] == "8"
    assert as_dict(table(html, "channels"))["Walk-in"] == "6"
    assert as_dict(table(html, "channels"))["Phone"] == "2"
    ages = as_dict(table(html, "age-bands"))
    assert ages["25-34"] == "6" and ages["18-24"] == "2" and ages["Not recorded"] == "0"
    violence = as_dict(table(html, "violence-types"))
    assert violence["Physical"] == "6" and violence["Psychological"] == "6" and violence["Economic"] == "2"
    assert "Total" not in violence  # several types per woman: no misleading total
    kids = as_dict(table(html, "children"))
    assert kids["0"] == "6" and kids["1"] == "0" and kids["2"] == "2"
    risk = as_dict(table(html, "risk-levels"))
    assert risk["High risk"] == "6" and risk["Not assessed"] == "2"
    referrals = table(html, "referrals")
    assert referrals[0][1:] == ["Sent", "Accepted", "Declined", "Completed", "Withdrawn", "Total"]
    by_inst = {row[0]: row[1:] for row in referrals[1:]}
    assert by_inst["ŞÖNİM (violence prevention and monitoring centre)"] == ["0", "6", "0", "0", "0", "6"]
    assert by_inst["Police / gendarmerie"] == ["2", "0", "0", "0", "0", "2"]  # drafts and 2024 left out
    assert by_inst["Total"][-1] == "8"
    outcomes = as_dict(table(html, "referral-outcomes"))
    assert outcomes["Service provided"] == "6" and outcomes["No outcome recorded yet"] == "2"
    orders = {row[0]: row[1:] for row in table(html, "protective-orders")[1:]}
    assert orders["Family court judge"] == ["7", "0", "7"] and orders["Police in an emergency"] == ["0", "1", "1"]
    occupancy = {row[0]: row[1:] for row in table(html, "occupancy")[1:]}
    assert occupancy["March 2025"] == ["2", "20", "310", "6%"] and occupancy["April 2025"] == ["0", "0", "300", "0%"]
    people = {row[0]: row[1:] for row in table(html, "people-sheltered")[1:]}
    assert people["Women"] == ["1", "1"] and people["Girls"] == ["1", "1"]
    assert people["Boys"] == ["0", "0"]
    stay = {row[0]: row[1:] for row in table(html, "length-of-stay")[1:]}
    assert stay["Under 1 month"] == ["1", "10"] and stay["Total"] == ["1", "10"]
    assert as_dict(table(html, "exit-destinations"))["Relatives"] == "1"


@pytest.mark.parametrize("role", ["counsellor", "coordinator", "auditor"])
def test_other_roles_get_404(app, client, make_user, login_as, page, role):  # type: ignore[no-untyped-def]
    login_as(client, make_user(role))
    for url in ("/reports/", "/reports/export.csv", "/reports/print"):
        page(client, url, status=404)
    events = _events(app, "view.reports.view_statistics")
    assert events and all(outcome == "denied" for outcome, _d, _r in events)


def test_statistics_link_only_for_supervisor_and_admin(app, client, make_user, login_as):  # type: ignore[no-untyped-def]
    assert 'href="/reports/"' in login_as(client, make_user("supervisor")).get_data(as_text=True)
    other = app.test_client()
    assert 'href="/reports/"' not in login_as(other, make_user("counsellor")).get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "year=abc", "year=99999999999999999999999", "year=1850", "start=2025-13&end=2025-14", "start=2025-01",
    "end=2025-01", "start=2025-06&end=2025-01", "start=2020-01&end=2025-12", "year=2025&start=2025-01&end=2025-02",
    "start=2025-1&end=2025-2", "start=İı-Şş&end=Ğğ", "start=%00&end=2025-01",
    "centre=" + "x" * 500, "start=" + "9" * 5000 + "&end=2025-01", "revision=0", "revision=abc",
])
def test_malformed_period_is_422(app, client, make_user, login_as, query):  # type: ignore[no-untyped-def]
    login_as(client, make_user("admin"))
    for path in ("/reports/", "/reports/export.csv", "/reports/print"):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 422, (path, query, r.status_code)
    assert 'class="error-summary' in r.get_data(as_text=True)




# -- the published pages ----------------------------------------------------------------------------------------


def _fill(app, world):  # type: ignore[no-untyped-def]
    """Enough 2025 applications for each centre to be published alone (at least 20): centre A gets 14 more in
    September (NGO, 45-54, digital violence, one child, medium risk): 22 in all; centre B 20 more in March: 23."""
    add_cases(app, world["counsellor"], 14, applied_on=date(2025, 9, 8), channel="ngo", age_band="45-54",
              violence_types=("digital",), children=1, risk="medium", named=False)
    other_counsellor = world["other_counsellor"]
    add_cases(app, other_counsellor, 20, applied_on=date(2025, 3, 9), named=False)


@pytest.fixture
def published(app, world):  # type: ignore[no-untyped-def]
    _fill(app, world)
    publish(app, world["admin"])
    return world


def _shown_numbers_are_not_small(html):  # type: ignore[no-untyped-def]
    for key in re.findall(r'data-table="([^"]+)"', html):
        for row in page_table(html, key)[1:]:
            for cell in row[1:]:
                if cell.isdigit():
                    assert not 0 <= int(cell) <= 4, (key, row)


def test_small_counts_are_suppressed_on_the_page(app, client, make_user, login_as, page, published):  # type: ignore[no-untyped-def]
    login_as(client, make_user("supervisor"))
    html = page(client, YEAR).get_data(as_text=True)
    months = as_dict(page_table(html, "applications-month"))
    assert months["Total"] == "22"
    # April's 2 and every empty month alike print <5; March's 6 and September's 14 shown would give them away from
    # the total, so one of them is hidden (the cheapest rectangle through April, with centre B's months: September)
    assert months["April 2025"] == "<5" and months["January 2025"] == "<5"
    assert {months["March 2025"], months["September 2025"]} in ({"x", "6"}, {"x", "14"}, {"x"})
    channels = as_dict(page_table(html, "channels"))
    assert channels["Phone"] == "<5"  # 2; and with walk-in (6) and NGO (14) both shown the total would give it
    assert "x" in (channels["Walk-in"], channels["Referred by an NGO"], channels["Total"])
    occupancy = {row[0]: row[1:] for row in page_table(html, "occupancy")[1:]}
    # two people staying in March: the bed-nights and occupancy of their stays are hidden with them
    assert occupancy["March 2025"] == ["<5", "x", "310", "x"]
    people = {row[0]: row[1:] for row in page_table(html, "people-sheltered")[1:]}
    assert people["Women"][0] == "<5" and people["Total"][0] == "<5"
    stay = {row[0]: row[1:] for row in page_table(html, "length-of-stay")[1:]}
    assert stay["Under 1 month"] == ["<5", "x"]  # an average of one stay is that stay
    _shown_numbers_are_not_small(html)  # no shown count anywhere is 0..4 (zero and small alike)


def test_chart_is_inline_svg_with_a_text_alternative(app, client, make_user, login_as, page, published):  # type: ignore[no-untyped-def]
    login_as(client, make_user("supervisor"))
    html = page(client, YEAR).get_data(as_text=True)  # page() also checks: no style= attribute, no inline script
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) >= 2  # applications per month, occupancy
    for svg in svgs:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg and "aria-labelledby" in svg
    monthly = next(s for s in svgs if "Applications per month" in s)
    assert "&lt;5" in monthly  # the hidden April value is marked, not drawn


def test_no_identifiers_or_day_level_dates_anywhere(app, client, page, login_as, published):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.reports.models import StatisticsRelease

    login_as(client, published["admin"])
    outputs = [main_html(page(client, YEAR)), main_html(page(client, "/reports/print?year=2025")),
               client.get("/reports/export.csv?year=2025").data.decode("utf-8-sig"),
               main_html(page(client, f"{YEAR}&centre={published['centre'].public_id}"))]
    with app.app_context():  # the stored release itself holds display text only
        stored = json.dumps(db.session.scalars(sa.select(StatisticsRelease.content)).one(), ensure_ascii=False)
    for original in [*outputs, stored]:
        text = original
        for forbidden in [MARKER_NAME, "Statmarker", MARKER_TCKN, "Elif", *published["numbers"]]:
            assert forbidden not in text
        # the one date shown is when the release was published ("Release 1, published …"), never a case's day
        text = re.sub(r"published [^<]*\.", "", text)
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b", text), text[:300]
        if original is not stored:  # (the release names its units by the centres' public ids)
            assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                                 text.split("<select")[0])


def test_supervisor_sees_only_her_centre(app, client, make_user, login_as, page, published):  # type: ignore[no-untyped-def]
    login_as(client, make_user("supervisor"))
    html = page(client, YEAR).get_data(as_text=True)
    assert as_dict(page_table(html, "applications-month"))["Total"] == "22"  # not all centres' 45, not B's 23
    assert "Kadıköy Merkezi" not in html and "All centres" not in html
    other_id = published["other"].public_id
    page(client, f"{YEAR}&centre={other_id}", status=404)
    page(client, f"{YEAR}&centre=all", status=404)
    assert client.get(f"/reports/export.csv?year=2025&centre={other_id}").status_code == 404
    assert client.get(f"/reports/print?year=2025&centre={other_id}").status_code == 404
    denied = [d for outcome, d, _r in _events(app, "reports.view") if outcome == "denied"]
    assert len(denied) == 4
    html = page(client, f"{YEAR}&centre={published['centre'].public_id}").get_data(as_text=True)  # her own, named
    assert as_dict(page_table(html, "applications-month"))["Total"] == "22"


def test_admin_sees_all_centres_or_one(app, client, login_as, page, published):  # type: ignore[no-untyped-def]
    login_as(client, published["admin"])
    html = page(client, YEAR).get_data(as_text=True)
    months = as_dict(page_table(html, "applications-month"))
    assert months["Total"] == "45"
    html = page(client, f"{YEAR}&centre={published['other'].public_id}").get_data(as_text=True)
    months = as_dict(page_table(html, "applications-month"))
    assert months["March 2025"] == "23" and months["Total"] == "23"
    assert 'data-table="occupancy"' not in html  # centre B runs no shelter
    page(client, f"{YEAR}&centre=6f1c8a3e-1111-4c4c-8888-000000000000", status=404)
    events = [d for o, d, _r in _events(app, "reports.view") if o == "success"]
    assert events[0] == {"year": 2025, "revision": 1, "unit": "all"}
    assert events[1] == {"year": 2025, "revision": 1, "unit": str(published["other"].public_id)}


def test_month_range_is_refused_and_a_year_has_only_its_months(app, client, make_user, login_as, page,  # type: ignore[no-untyped-def]
                                                                published):
    login_as(client, make_user("supervisor"))
    r = page(client, "/reports/?start=2024-12&end=2025-03", status=422)
    html = r.get_data(as_text=True)
    assert "whole calendar years only" in html and 'data-table="' not in html
    months = as_dict(page_table(page(client, YEAR).get_data(as_text=True), "applications-month"))
    assert list(months) == [f"{m} 2025" for m in ("January", "February", "March", "April", "May", "June", "July",
                                                  "August", "September", "October", "November", "December")] + [
        "Total"]  # the 2024 case has no row


def test_csv_export_is_suppressed_safe_and_audited(app, client, login_as, world):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import Centre

    with app.app_context():  # a centre name a spreadsheet would run as a formula
        db.session.get(Centre, world["centre"].id).name = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    _fill(app, world)
    publish(app, world["admin"])
    login_as(client, world["admin"])
    r = client.get(f"/reports/export.csv?year=2025&centre={world['centre'].public_id}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "statistics-2025-r1.csv" in r.headers["Content-Disposition"]
    assert "no-store" in r.headers.get("Cache-Control", "")
    rows = csv_rows(r.data)
    assert ["Centre", '\'=HYPERLINK("http://evil.example","x")'] in rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    months = {row[0]: row[1] for row in csv_table(rows, "Applications per month")[1:]}
    assert months["April 2025"] == "<5" and months["Total"] == "22"
    assert "x" in (months["March 2025"], months["September 2025"])  # else April = 22 - 6 - 14
    events = _events(app, "reports.export")
    assert len(events) == 1
    outcome, details, role = events[0]
    assert outcome == "success" and role == "admin"
    assert details["year"] == 2025 and details["unit"] == str(world["centre"].public_id) and details["k"] == 5


def test_printable_report(app, client, make_user, login_as, page, published):  # type: ignore[no-untyped-def]
    login_as(client, make_user("supervisor"))
    html = page(client, "/reports/print?year=2025").get_data(as_text=True)
    assert "Equality in Service report" in html and 'class="main report-print' in html
    assert as_dict(page_table(html, "applications-month"))["April 2025"] == "<5"
    assert _events(app, "reports.print")


def test_printable_report_prints_the_release_not_live_data(app, client, make_user, login_as, page,  # type: ignore[no-untyped-def]
                                                           published):
    """The centre's section of the yearly Equality in Service report prints from the stored release: cases added
    afterwards change nothing until a revision is issued, and each revision prints its own figures."""
    login_as(client, make_user("supervisor"))
    before = main_html(page(client, "/reports/print?year=2025"))
    add_cases(app, published["counsellor"], 10, applied_on=date(2025, 6, 3), named=False)
    assert main_html(page(client, "/reports/print?year=2025")) == before
    assert as_dict(page_table(before, "applications-month"))["Total"] == "22"
    publish(app, published["admin"])  # revision 2
    revised = page(client, "/reports/print?year=2025").get_data(as_text=True)
    assert "revision 2" in revised
    assert as_dict(page_table(revised, "applications-month"))["Total"] == "32"
    first = page(client, "/reports/print?year=2025&revision=1").get_data(as_text=True)
    assert as_dict(page_table(first, "applications-month"))["Total"] == "22"


def test_default_is_the_latest_published_year_and_nothing_published_says_so(app, client, make_user, login_as,  # type: ignore[no-untyped-def]
                                                                              page, world):
    login_as(client, make_user("supervisor"))
    for url in ("/reports/", "/reports/print"):
        html = main_html(page(client, url))
        assert "No statistics have been published" in html and 'data-table="' not in html
    page(client, YEAR, status=404)  # a year that was not published
    assert client.get("/reports/export.csv").status_code == 404
    _fill(app, world)
    publish(app, world["admin"])
    html = page(client, "/reports/").get_data(as_text=True)
    assert "2025" in html and as_dict(page_table(html, "applications-month"))["Total"] == "22"


def test_every_output_says_that_cases_without_statistics_consent_are_left_out(app, client, make_user, login_as,  # type: ignore[no-untyped-def]
                                                                            published):
    """Issue 18: cases of women without a current statistics consent are not counted; the page, the printout, the
    CSV and the casework indicators say so, in Turkish and English, and give no number (no differencing channel)."""
    login_as(client, make_user("supervisor"))
    english = "have no current consent to statistics"
    turkish = "istatistik için geçerli bir açık rızası olmayan"
    for path in ("/reports/?year=2025", "/reports/print?year=2025", "/reports/export.csv?year=2025",
                 "/cases/kpis?year=2025"):
        for language, sentence in (("en", english), ("tr", turkish)):
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, path
            text = response.get_data(as_text=True)
            assert sentence in text, (path, language)
            assert (turkish if language == "en" else english) not in text, (path, language)
