"""The attacks of issue 15, re-run against the real pages and CSV, and an automated attacker over every published
figure of a release and its revision. Generated data: three centres (one tiny), one closed year."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.factories import make_centre
from tests.reports.helpers import add_cases, add_orders, csv_rows, csv_table, table

YEAR = 2025
K = 5


@pytest.fixture
def world(app, centre, make_user):  # type: ignore[no-untyped-def]
    """Centre A (the fixture centre): 40 applications; centre B: 24; tiny centre C: 1 woman in November."""
    a = make_user("counsellor")
    other = make_centre(app, code="BBB", name="Kadıköy")
    tiny = make_centre(app, code="CCC", name="Adalar")
    b = make_user("counsellor", centre=other)
    c = make_user("counsellor", centre=tiny)
    for month in range(1, 13):
        add_cases(app, a, 3 if month <= 4 else 3 if month <= 10 else 4, applied_on=date(YEAR, month, 10),
                  channel="walk-in" if month % 2 else "phone", age_band="25-34", risk="standard", named=False)
    add_cases(app, a, 1, applied_on=date(YEAR, 11, 20), channel="police", age_band="65+", risk="high",
              violence_types=("physical", "sexual"), named=False)
    for month in range(1, 13):
        add_cases(app, b, 2, applied_on=date(YEAR, month, 5), channel="walk-in", age_band="35-44", named=False)
    lone = add_cases(app, c, 1, applied_on=date(YEAR, 11, 3), channel="walk-in", age_band="35-44",
                     violence_types=("physical", "psychological", "stalking", "digital"), children=1,
                     risk="standard", named=False)
    add_orders(app, a, lone[0], 1, kind="preventive", issuer="police", starts_on=date(YEAR, 11, 4))
    return {"admin": make_user("admin"), "supervisor": make_user("supervisor"),
            "tiny_supervisor": make_user("supervisor", centre=tiny), "tiny": tiny, "other": other, "c": c}


def _publish(client, year=YEAR):  # type: ignore[no-untyped-def]
    """Issue a release where the app has them (a no-op on code without releases)."""
    page = client.get("/reports/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token:
        r = client.post("/reports/releases", data={"year": str(year), "csrf_token": token.group(1)})
        assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]


def _months(client, query):  # type: ignore[no-untyped-def]
    r = client.get(f"/reports/export.csv?{query}")
    if r.status_code != 200:
        return None
    return {row[0]: row[1] for row in csv_table(csv_rows(r.data), "Applications per month")[1:]}


def test_overlapping_ranges_cannot_give_a_month(app, client, login_as, world):  # type: ignore[no-untyped-def]
    login_as(client, world["admin"])
    _publish(client)
    for query in ("start=2025-01&end=2025-11", "start=2025-01&end=2025-10", "start=2025-11&end=2025-11"):
        assert client.get(f"/reports/?{query}").status_code == 422
        assert client.get(f"/reports/export.csv?{query}").status_code == 422


def test_publish_and_read(app, client, login_as, world):  # type: ignore[no-untyped-def]
    login_as(client, world["admin"])
    _publish(client)
    r = client.get("/reports/?year=2025")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    print(table(html, "applications-month"))
