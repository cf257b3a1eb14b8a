"""Statistics pages (/reports/): correct counts on a known data set, suppression as a reader sees it, no identifiers
or day-level dates in any output, role and centre scoping, CSV export safe and audited, bad periods → 422."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import make_centre
from tests.reports.helpers import (
    MARKER_NAME,
    add_cases,
    add_orders,
    add_referrals,
    as_dict,
)
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


