"""Query budgets of the hot pages (issue 20, DESIGN.md §7), so that a section querying inside its template, or a
lazy load per row, fails here before it shows in ``make bench``.

Each budget is the number of SQL statements (SELECT, INSERT, UPDATE; not COMMIT) one GET of the page runs, for the
data built here, on SQLite and PostgreSQL alike. Lower is welcome: lower the budget with it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from cases.casefile import page as case_page
from tests import factories
from tests.app.test_request_costs import _statements

CASE_PAGE_BUDGET = 9  # crypto shred check ×2, session+user+centre, case, audit ×3, sections present, people


def _get(app: Flask, client: Any, url: str) -> tuple[str, list[str]]:
    with _statements(app) as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True), [s for s in seen if s != "COMMIT"]


def _without_csrf(html: str) -> str:
    return re.sub(r'(name="csrf_token"[^>]*value="|value=")[\w.-]{40,}"', r'\1"', html)


def test_case_page_of_a_new_case_stays_within_its_query_budget(app: Flask, make_user: Any, make_case: Any) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk", children=(("Elif", "girl", 2018),))
    client = app.test_client()
    factories.login_as(client, counsellor)
    client.get(f"/cases/{case.public_id}")  # the session's last-seen write happens on the first page
    html, statements = _get(app, client, f"/cases/{case.public_id}")
    assert "Gülşen Öztürk" in html and "Elif" in html
    assert len(statements) <= CASE_PAGE_BUDGET, "\n".join(statements)


@pytest.mark.parametrize("role", ["counsellor", "supervisor"])
def test_empty_sections_render_exactly_as_their_slices_render_them(app: Flask, make_user: Any, make_case: Any,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  role: str) -> None:
    """The case page skips the queries of sections with no rows; what it shows must not change."""
    counsellor = make_user("counsellor")
    reader = counsellor if role == "counsellor" else make_user("supervisor")
    cases = [make_case(counsellor), make_case(counsellor, risk_level="high", applicant_name="Hatice Kaya")]
    client = app.test_client()
    factories.login_as(client, reader)
    for case in cases:
        skipped, skipped_statements = _get(app, client, f"/cases/{case.public_id}")
        with monkeypatch.context() as patch:
            patch.setattr(case_page, "_tables_with_rows", lambda case, names: set(names))
            queried, queried_statements = _get(app, client, f"/cases/{case.public_id}")
        assert len(skipped_statements) < len(queried_statements)
        assert _without_csrf(skipped) == _without_csrf(queried)
