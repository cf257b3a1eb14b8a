"""A figure printed in two tables of a release is one figure (issue 15, "across tables"): the casework indicators'
"referrals sent, by where they stand" are the column totals of "referrals sent, by institution and status" (and the
high-risk cases, the cases assessed, the closed cases are figures of other tables too). Protected
apart, the two tables could hide a small status in both but choose different figures to hide beside it, and a
reader holding both would subtract it back. The release links them, and an attacker who knows they are equal finds
no small count."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask

from tests.factories import make_centre, make_user
from tests.reports.helpers import add_cases, add_referrals

YEAR = 2025
STATUS_COUNTS = {"sent": 11, "accepted": 9, "declined": 2, "completed": 6, "withdrawn": 7}
INSTITUTIONS = ("police", "sonim", "hospital")


def _release(app: Flask) -> dict:  # type: ignore[type-arg]
    from app.db import db
    from app.reports.releases import build_content

    centre = make_centre(app, code="REF")
    counsellor = make_user(app, "counsellor", centre=centre)
    numbers = add_cases(app, counsellor, 25, applied_on=date(YEAR, 2, 1), named=False)
    i = 0
    for status, n in STATUS_COUNTS.items():
        for j in range(n):  # spread over institutions: no cell is large, several are small
            add_referrals(app, counsellor, numbers[i % len(numbers)], 1, institution=INSTITUTIONS[j % 3],
                          status=status, sent_at=datetime(YEAR, 3, 1 + j, 10, tzinfo=UTC))
            i += 1
    with app.test_request_context("/"):
        db.session.remove()
        return build_content(YEAR, [])


def test_the_indicator_figures_and_the_referral_totals_are_protected_as_one(app: Flask) -> None:
    from app.reports.releases import _CODE_MARK
    from app.reports.suppression import TOTAL, Line, Mark, attacker_bounds, is_exposed, reader_bounds
    from cases.kpis.reports import REFERRAL_ENDS
    from cases.referrals.models import REFERRAL_STATUSES

    content = _release(app)
    k = int(content["k"])
    statuses = [s for s in REFERRAL_STATUSES if s != "draft"]
    figures = content["figures"]
    units = [u["key"] for u in content["units"]]
    same: list[tuple[str, str]] = []
    for unit in units:
        for i, status in enumerate(REFERRAL_ENDS):
            same.append((f"{unit}|kpi-referrals|{i}|0", f"{unit}|referrals|{TOTAL}|{statuses.index(status)}"))
        same.append((f"{unit}|kpi-referrals|{TOTAL}|0", f"{unit}|referrals|{TOTAL}|{TOTAL}"))
        same.append((f"{unit}|kpi-high-risk-plans|{TOTAL}|0", f"{unit}|risk-levels|2|0"))
        same.append((f"{unit}|kpi-first-assessment|{TOTAL}|0", f"{unit}|applications-month|{TOTAL}|0"))
        same.append((f"{unit}|kpi-closure-reasons|{TOTAL}|0", f"{unit}|kpi-days-open|{TOTAL}|0"))
    assert all(a in figures and b in figures for a, b in same)
    group = {key: key for key in figures}  # the release's own equalities (one-cell lines), joined transitively

    def find(key: str) -> str:
        while group[key] != key:
            key = group[key]
        return key

    for line in content["lines"]:
        if len(line[0]) == 1 and len(line) == 2:
            group[find(line[0][0])] = find(line[1])
    for a, b in same:
        assert find(a) == find(b), (a, b)
    declined = f"all|kpi-referrals|{REFERRAL_ENDS.index('declined')}|0"
    assert _CODE_MARK[figures[declined][0]] is Mark.PRIMARY  # the small count the attack is after
    # the attacker's own knowledge: the release's relations and that the two tables print the same figures
    known = {key: reader_bounds(v if v is not None else 0, _CODE_MARK[code], k) for key, (code, v) in figures.items()}
    lines = [Line(tuple(line[0]), line[1], len(line) > 2) for line in content["lines"]]
    lines += [Line((a,), b) for a, b in same]
    bounds = attacker_bounds(known, lines)
    exposed = {key: b for key, b in bounds.items()  # a small count pinned to within ±1 (a known zero is no one)
               if _CODE_MARK[figures[key][0]] is not Mark.SHOWN and is_exposed(b) and b[0] <= k - 1 and b[1] >= 1}
    assert not exposed, exposed
