"""The attacks of issue 15, re-run against the real pages and CSV, and an automated attacker over every published
figure of a release and its revision. Generated data: three centres (one tiny), one closed year."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.factories import make_centre
from tests.reports.helpers import add_cases, add_orders, csv_rows, erase

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
        if r.status_code in (404, 405):
            return  # no releases in this version of the app: the attacks run against its live pages
        assert r.status_code in (302, 303), r.get_data(as_text=True)[:2000]


def test_overlapping_ranges_cannot_give_a_month(app, client, login_as, world):  # type: ignore[no-untyped-def]
    login_as(client, world["admin"])
    _publish(client)
    for query in ("start=2025-01&end=2025-11", "start=2025-01&end=2025-10", "start=2025-11&end=2025-11"):
        assert client.get(f"/reports/?{query}").status_code == 422
        assert client.get(f"/reports/export.csv?{query}").status_code == 422


def _units(client) -> list[str]:  # type: ignore[no-untyped-def]
    html = client.get("/reports/?year=2025").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="centre"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'value="([^"]+)"', select.group(1)) if select else [""]


def _published(client, unit: str) -> dict[tuple[str, str, str], str]:  # type: ignore[no-untyped-def]
    """(table title, row label, column header) -> text, from the CSV of one unit."""
    r = client.get(f"/reports/export.csv?year=2025&centre={unit}")
    assert r.status_code == 200
    out, header, title = {}, None, None
    for row in csv_rows(r.data):
        if not row:
            header, title = None, None
        elif title is None and len(row) == 2 and header is None and row[0] and row[1] and not row[1][0].isdigit():
            title = row[1]
        elif title is not None and header is None:
            header = row
        elif title is not None and header is not None and len(row) == len(header):
            for col, text in zip(header[1:], row[1:], strict=True):
                out[(title, row[0], col)] = text
    return out


def _bounds(text: str) -> tuple[float, float]:
    if text == f"<{K}":
        return (0, K - 1)
    if text == "x":
        return (K, float("inf"))
    if re.fullmatch(r"\d+", text):
        return (int(text), int(text))
    return (0, float("inf"))


def _attack(figures: dict[tuple[str, ...], str], units: list[str],
            populations: bool = False) -> dict[tuple[str, ...], tuple[float, float]]:
    """An attacker who knows every total of every table and that all centres = the sum of the published units,
    subtracting and bounding until nothing changes. ``populations``: and that two tables count the same cases, or
    their difference is a figure of its own (``_population_gaps``)."""
    known = {key: _bounds(text) for key, text in figures.items() if _bounds(text) != (0, float("inf"))}
    lines = []
    parts = [u for u in units if u not in ("all", "")]
    for key in known:
        unit, title, row, col = key
        if unit == "all" and parts and all((u, title, row, col) in known for u in parts):
            lines.append((tuple((u, title, row, col) for u in parts), key))
        if row == "Total":
            cells = tuple(k for k in known if k[0] == unit and k[1] == title and k[3] == col and k[2] != "Total")
            if cells and title not in ("Shelter occupancy per month",):
                lines.append((cells, key))
        if col == "Total":
            cells = tuple(k for k in known if k[0] == unit and k[1] == title and k[2] == row and k[3] != "Total")
            lines.append((cells, key))
    if populations:
        lines += _population_gaps(known)
    # each type of violence is reported by at most every applicant: a type's count <= the applications total
    at_most = [(key, (key[0], "Applications per month", "Total", "Applications")) for key in known
               if key[1] == "Types of violence reported"]
    return _propagate(known, lines, [(cell, total) for cell, total in at_most if total in known])


def _propagate(known, lines, at_most=()):  # type: ignore[no-untyped-def]
    """The attacker's own solver (independent of the app's): for each sum, each term lies between the total's
    bounds minus the other terms' bounds; ``at_most``: (figure, bound) pairs, figure <= bound; repeat until
    nothing changes."""
    inf = float("inf")
    bounds = dict(known)
    for _ in range(100):
        changed = False
        for cell, bound in at_most:
            new = (bounds[cell][0], min(bounds[cell][1], bounds[bound][1]))
            if new != bounds[cell]:
                bounds[cell], changed = new, True
        for cells, total in lines:
            for cell in cells:
                others = [bounds[c] for c in cells if c != cell]
                lo = bounds[total][0] - sum(b[1] for b in others)
                hi = bounds[total][1] - sum(b[0] for b in others) if bounds[total][1] < inf else inf
                new = (max(bounds[cell][0], lo if lo == lo else 0), min(bounds[cell][1], hi))
                if new != bounds[cell]:
                    bounds[cell], changed = new, True
            lo = sum(bounds[c][0] for c in cells)
            hi = sum(bounds[c][1] for c in cells)
            new = (max(bounds[total][0], lo), min(bounds[total][1], hi))
            if new != bounds[total]:
                bounds[total], changed = new, True
        if not changed:
            break
    return bounds


def _exposed(bounds: tuple[float, float]) -> bool:
    return bounds[1] - bounds[0] <= 2 and bounds[0] <= K - 1 and bounds[1] >= 1


def _read_all(client) -> tuple[dict[tuple[str, ...], str], list[str]]:  # type: ignore[no-untyped-def]
    units = _units(client)
    figures = {}
    for unit in units:
        for (title, row, col), text in _published(client, unit).items():
            figures[(unit or "all", title, row, col)] = text
    return figures, units


def test_no_small_count_derivable_from_all_published_figures(app, client, login_as, world):  # type: ignore[no-untyped-def]
    """Centre differencing (all minus the others), year minus months and every total, on everything an admin can
    read: no figure that is small can be pinned to within ±1 unless it is a known zero."""
    login_as(client, world["admin"])
    _publish(client)
    tiny_id = str(world["tiny"].public_id)
    figures, units = _read_all(client)
    if tiny_id not in units and any(u for u in units):  # grouped: reading "her" centre gives the group
        assert _published(client, tiny_id) != {}
    bounds = _attack(figures, units)
    # the lone woman of the tiny centre: November, 35-44, stalking, digital, one child, a police preventive order
    for key, b in bounds.items():
        unit, title, row, _col = key
        if unit == tiny_id:
            assert not _exposed(b) or b == (0, 0), (key, b)
    texts = {text for key, text in figures.items() if key[0] == tiny_id}
    assert not texts or "0" not in texts  # zero versus small: the tiny centre is never shown alone with zeros


def test_small_centre_page_has_no_zero_versus_small_tell(app, client, login_as, world):  # type: ignore[no-untyped-def]
    login_as(client, world["admin"])
    _publish(client)
    other = app.test_client()
    login_as(other, world["tiny_supervisor"])
    r = other.get("/reports/export.csv?year=2025")
    assert r.status_code == 200
    cells = [c for row in csv_rows(r.data) for c in row[1:]]
    assert "0" not in cells  # 0 and 1..4 look alike
    assert "Adalar" not in r.data.decode("utf-8-sig").split("\r\n")[3]  # not published alone under her name


def test_before_and_after_one_known_application(app, client, login_as, world):  # type: ignore[no-untyped-def]
    """Adding one known application and re-reading the year does not move exactly her rows: the release is frozen,
    and a revision withholds every table whose change could be pinned to a small number."""
    login_as(client, world["admin"])
    _publish(client)
    before, units = _read_all(client)
    add_cases(app, world["c"], 1, applied_on=date(YEAR, 11, 25), channel="sonim", age_band="65+", risk="high",
              violence_types=("sexual",), children=3, named=False)
    again, _u = _read_all(client)
    assert again == before  # frozen: nothing moved
    _publish(client)  # a revision
    after, _u = _read_all(client)
    old, new = _attack(before, units), _attack(after, units)
    for key, b in new.items():
        if key in old:
            lo, hi = b[0] - old[key][1], b[1] - old[key][0]
            assert not (hi - lo <= 2 and any(1 <= abs(v) <= K - 1 for v in range(int(lo), int(hi) + 1))), key


def test_a_year_minus_its_months_gives_no_month(app, client, login_as, world, centre):  # type: ignore[no-untyped-def]
    """The year's total minus its published months (in every unit, with all centres = the sum of the units) pins no
    month of 1..4 applications: centre A's months (3 a month, December 4) and the small centres' group (2 a month,
    November 3) are all small."""
    login_as(client, world["admin"])
    _publish(client)
    figures, units = _read_all(client)
    months = {key: text for key, text in figures.items() if key[1] == "Applications per month"}
    assert months, "no months published"
    bounds = _attack(months, units)
    a_id = str(centre.public_id)  # centre A is published alone
    small = [key for key in bounds if key[0] != "all" and key[2] != "Total"]
    assert any(key[0] == a_id for key in small)
    for key in small:
        assert not _exposed(bounds[key]), (key, bounds[key], months[key])


def test_each_violence_type_is_bounded_by_the_total(app, client, login_as, world):  # type: ignore[no-untyped-def]
    """The attacker knows a type of violence is reported by at most every applicant; with that bound too, the tiny
    centre's lone woman (stalking, digital violence) cannot be pinned in her unit."""
    login_as(client, world["admin"])
    _publish(client)
    figures, units = _read_all(client)
    bounds = _attack(figures, units)
    violence = [key for key in bounds if key[1] == "Types of violence reported" and key[0] != "all"]
    assert violence
    total = {u: bounds[(u, "Applications per month", "Total", "Applications")] for u, *_r in violence}
    for key in violence:
        assert bounds[key][1] <= total[key[0]][1]  # the bound is applied
        if figures[key] == f"<{K}":
            assert not _exposed(bounds[key]) or bounds[key] == (0, 0), (key, bounds[key])


FIRST_ASSESSMENT = "Days from application to the first risk assessment"
HIGH_RISK = "High-risk cases and their safety plan"
ERASED_ROW = "File erased (KVKK)"


def _erase_one_in_each(app, world, make_user) -> None:  # type: ignore[no-untyped-def]
    """One more application in centre A and one in the tiny centre, each erased at her request (KVKK)."""
    a = make_user("counsellor")
    for counsellor, month in ((a, 6), (world["c"], 8)):
        [number] = add_cases(app, counsellor, 1, applied_on=date(YEAR, month, 14), channel="phone", age_band="45-54",
                             risk="high", named=False)
        erase(app, counsellor, number)


def _high_risk_files(app, world, make_user):  # type: ignore[no-untyped-def]
    """(a counsellor of her centre, case number) of centre A's high-risk woman and of the tiny centre's lone woman."""
    import sqlalchemy as sa

    from app.db import db
    from cases.core.models import Case, RiskLevel

    a = make_user("counsellor")
    with app.app_context():
        numbers = {centre_id: number for centre_id, number in db.session.execute(
            sa.select(Case.centre_id, Case.number).where(sa.or_(Case.risk_level == RiskLevel.HIGH,
                                                                Case.centre_id == world["tiny"].id)))}
    assert len(numbers) == 2
    return [(a, numbers[a.centre_id]), (world["c"], numbers[world["tiny"].id])]


def _population_gaps(known):  # type: ignore[no-untyped-def]
    """What a reader knows besides the totals: the cases of the first-assessment table are the applications of the
    year and the high-risk cases are the "high" row of the risk table, so the difference of the two (the files left
    out, e.g. erased) is a figure of its own, ``(unit, "left out", table, "")``: its lines (added to ``known``)."""
    lines = []
    for unit in {key[0] for key in known}:
        for table, (other, row, col) in ((FIRST_ASSESSMENT, ("Applications per month", "Total", "Applications")),
                                         (HIGH_RISK, ("Risk level (latest assessment)", "High risk",
                                                      "Applications"))):
            mine, theirs = (unit, table, "Total", "Cases"), (unit, other, row, col)
            if mine in known and theirs in known:
                gap = (unit, "left out", table, "")
                known[gap] = (0, float("inf"))
                lines.append(((mine, gap), theirs))
    return lines


def test_erased_files_are_in_every_population_and_cannot_be_counted(app, client, login_as, world,  # type: ignore[no-untyped-def]
                                                                     make_user):
    """A file erased at her request is still one of the year's applications; the casework indicators count it too, in
    a row of its own. Subtracting the cases of the first-assessment table from the applications (or the high-risk
    cases from the "high" row) leaves nothing, and the erased rows themselves cannot be pinned."""
    _erase_one_in_each(app, world, make_user)
    login_as(client, world["admin"])
    _publish(client)
    figures, units = _read_all(client)
    for unit in units:
        for table in (FIRST_ASSESSMENT, HIGH_RISK):
            assert (unit or "all", table, ERASED_ROW, "Cases") in figures  # the row is published in every unit
    bounds = _attack(figures, units, populations=True)
    gaps = {key: b for key, b in bounds.items() if key[1] == "left out"}
    assert len(gaps) == 2 * len(units)
    for key, b in gaps.items():
        assert not _exposed(b), (key, b)  # a known 0, or not known at all
    for key, b in bounds.items():
        if key[2] == ERASED_ROW or figures.get(key) == f"<{K}":
            assert not _exposed(b) or b == (0, 0), (key, b, figures.get(key))


def test_an_erasure_between_a_release_and_its_revision_is_not_pinned(app, client, login_as, world,  # type: ignore[no-untyped-def]
                                                                      make_user):
    """Before and after an erasure: her file moves from its rows to the erased rows; the revision withholds what
    would show that move by a small number."""
    login_as(client, world["admin"])
    _publish(client)
    before, units = _read_all(client)
    for counsellor, number in _high_risk_files(app, world, make_user):  # centre A's 65+ woman, the tiny centre's
        erase(app, counsellor, number)
    again, _u = _read_all(client)
    assert again == before  # frozen: nothing moved
    _publish(client)  # a revision
    after, _u = _read_all(client)
    moved = [key for key in after if key[1] in (FIRST_ASSESSMENT, HIGH_RISK) and after[key] != before.get(key)]
    assert moved  # the revision does publish the erasures' tables again, changed …
    old, new = _attack(before, units, populations=True), _attack(after, units, populations=True)
    for key, b in new.items():
        if key in old:
            lo, hi = b[0] - old[key][1], b[1] - old[key][0]
            # … and no figure's change can be pinned to a small number
            assert not (hi - lo <= 2 and any(1 <= abs(v) <= K - 1 for v in range(int(lo), int(hi) + 1))), key
