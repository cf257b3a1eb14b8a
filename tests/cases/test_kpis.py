"""Managers' figures (issue 18 §6): the supervisor's indicators for her centre and a year, suppressed below k like a
statistics release, and the same tables in the yearly statistics."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from tests import factories
from tests.cases.test_lifecycle import _client
from tests.cases.test_risk import _record

YEAR = 2026  # the factory's cases apply on 2 November 2026


def _row(html: str, table: str, label: str) -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</table>")[0]
    match = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", body, re.S)
    assert match, (table, label)
    return [v.replace("&lt;", "<") for v in re.findall(r'<td class="table__num">([^<]*)</td>', match.group(1))]


def _close(app, cases, reason: str) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case, CaseStatus

    with app.app_context():
        for info in cases:
            case = db.session.get(Case, info.id)
            case.status, case.close_reason = CaseStatus.CLOSED, reason  # type: ignore[union-attr]
            case.closed_at = datetime(YEAR, 12, 1, 10, tzinfo=UTC)  # type: ignore[union-attr]
        db.session.commit()


def test_supervisor_sees_her_centres_indicators_with_small_counts_hidden(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Danışman")
    cases = [make_case(counsellor) for _ in range(12)]
    for case in cases[:10]:
        _record(app, case, counsellor, 2)
    _close(app, cases[:6], "goals-met")
    other_centre = factories.make_centre(app, code="KDK")
    stranger = factories.make_user(app, "counsellor", centre=other_centre)
    for _ in range(7):
        make_case(stranger)  # another centre's cases never count
    sup = _client(app, make_user("supervisor"))
    html = factories.page(sup, f"/cases/kpis?year={YEAR}").get_data(as_text=True)
    assert _row(html, "kpi-first-assessment", "Not assessed yet") == ["<5"]  # 2 women: hidden
    # assessed today, a month after the factory's application day
    assert _row(html, "kpi-first-assessment", "More than 30") in (["10"], ["x"])
    assert "2" not in [v for label in ("0–1", "2–7", "8–30", "More than 30", "Not assessed yet")
                       for v in _row(html, "kpi-first-assessment", label)]
    assert _row(html, "kpi-closure-reasons", "Goals met") == ["6"]
    assert _row(html, "kpi-closure-reasons", "Moved away") == ["<5"]
    assert _row(html, "kpi-days-open", "Up to 30") == ["6"]  # 2 Nov → 1 Dec
    caseload = html.split('id="kpi-caseload-table"')[1].split("</table>")[0]
    assert "Derya Danışman" in caseload and ">6<" in caseload  # open cases, as they are (staff, not women)
    empty = factories.page(sup, f"/cases/kpis?year={YEAR - 1}").get_data(as_text=True)
    assert _row(empty, "kpi-closure-reasons", "Goals met") == ["<5"]
    assert sup.get("/cases/kpis?year=1999").status_code == 422
    assert _client(app, counsellor).get("/cases/kpis").status_code == 404
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "statistics.kpis")) == 3  # every page shown


def test_the_indicators_are_in_the_yearly_statistics(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    from app.reports.registry import Period, collect_tables

    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, risk_level="high") for _ in range(5)]
    with app.app_context():
        tables = {t.key: t for t in collect_tables([centre.id], Period.year(YEAR))}
    assert {"kpi-first-assessment", "kpi-high-risk-plans", "kpi-referrals", "kpi-days-open",
            "kpi-closure-reasons"} <= tables.keys()
    assert tables["kpi-high-risk-plans"].counts[3] == [len(cases)]  # no plan submitted yet


def test_an_erased_file_is_counted_in_a_row_of_its_own(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    """Her file erased at her request (KVKK) stays one of the year's applications, so the indicators count it, in
    its own row: the cases of the first-assessment table are the applications, the high-risk cases the intake's
    "high" row, and both closure tables count the same closed cases. The supervisor's page shows the row, hidden."""
    from app.reports.registry import Period, collect_tables
    from cases.kpis.reports import ERASED_ROW
    from tests.reports.helpers import erase

    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, risk_level="high") for _ in range(8)]
    _close(app, cases[:3], "goals-met")
    for info in cases[5:]:
        erase(app, counsellor, info.number)  # three open files and one …
    erase(app, counsellor, cases[0].number)  # … closed before its erasure
    with app.app_context():
        tables = {t.key: t for t in collect_tables([centre.id], Period.year(YEAR))}

    def column(key: str) -> list[int]:
        return [row[0] for row in tables[key].counts]

    assert sum(column("applications-month")) == sum(column("kpi-first-assessment")) == len(cases)
    assert column("risk-levels")[2] == sum(column("kpi-high-risk-plans")) == len(cases)  # all high risk
    assert column("kpi-first-assessment")[ERASED_ROW["kpi-first-assessment"]] == 4
    assert column("kpi-high-risk-plans")[ERASED_ROW["kpi-high-risk-plans"]] == 4
    assert column("kpi-closure-reasons")[ERASED_ROW["kpi-closure-reasons"]] == 4
    assert column("kpi-days-open")[ERASED_ROW["kpi-days-open"]] == 4
    assert sum(column("kpi-closure-reasons")) == sum(column("kpi-days-open")) == 6  # 2 goals met, 4 erased
    sup = _client(app, make_user("supervisor"))
    html = factories.page(sup, f"/cases/kpis?year={YEAR}").get_data(as_text=True)
    for table in ("kpi-first-assessment", "kpi-high-risk-plans", "kpi-days-open", "kpi-closure-reasons"):
        assert _row(html, table, "File erased (KVKK)") == ["<5"], table
    assert "An erased file keeps only the month of its dates" in html
