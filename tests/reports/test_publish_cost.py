"""What publishing a release costs in SQL (issue 15, P6): every section reads the data of all centres once
(``GroupedSection``) and builds each published unit's and each language's tables from those rows. A section that
queries per unit or per language again fails here: the number of statements must not grow with the number of
centres, nor with the number of languages, and stays within a small budget."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask

from tests.app.test_request_costs import _statements
from tests.factories import make_centre, make_user
from tests.reports.helpers import add_cases, add_orders, add_referrals

YEAR = 2025
# the session's crypto shred check, the centres, intake (one scan for all its tables, which also gives the population
# count), referrals (also the KPI table of referrals by status), orders, equality, inquiries, KPIs ×3, feedback,
# shelters ×2 (stays, capacity). It was 57 with four centres before sections read every centre at once, 16 before the
# intake tables were read in one scan, 15 before a release shared the reads two consumers need (P6).
BUILD_BUDGET = 13
# and: the earlier revisions, the release's insert, two audit events (the row's change, the semantic event: 3
# statements each) and the actor's centre for the audit row
PUBLISH_BUDGET = 21


def _centre_with_cases(app: Flask, code: str, n: int) -> Any:
    centre = make_centre(app, code=code, name=f"Merkez {code}")
    counsellor = make_user(app, "counsellor", centre=centre)
    numbers = add_cases(app, counsellor, n, applied_on=date(YEAR, 3, 10), risk="high", named=False)
    add_referrals(app, counsellor, numbers[0], 2, institution="police", status="sent",
                  sent_at=datetime(YEAR, 4, 1, tzinfo=UTC))
    add_orders(app, counsellor, numbers[1], 1, kind="preventive", issuer="police", starts_on=date(YEAR, 4, 2))
    return centre


def _build_statements(app: Flask) -> list[str]:
    from app.db import db
    from app.reports.releases import build_content

    with app.test_request_context("/"):
        db.session.remove()
        with _statements(app) as seen:
            content = build_content(YEAR, [])
        assert content["tables"]["all"]["applications-month"]["total"][0][0] == str(_applications(app))
    return [s for s in seen if s != "COMMIT"]


def _applications(app: Flask) -> int:
    import sqlalchemy as sa

    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Case)) or 0)


def test_publishing_reads_each_table_family_once_whatever_the_number_of_centres(app: Flask) -> None:
    for code in ("AAA", "BBB"):
        _centre_with_cases(app, code, 22)
    _centre_with_cases(app, "TNY", 2)  # grouped with the smallest large centre
    few = _build_statements(app)
    assert len(few) <= BUILD_BUDGET, "\n".join(few)
    for code in ("CCC", "DDD", "EEE"):
        _centre_with_cases(app, code, 21)
    many = _build_statements(app)
    # three more published units, the same statements: no section queries per unit
    assert len(many) == len(few), "\n".join(many)


def test_publishing_does_not_query_again_per_language(app: Flask) -> None:
    for code in ("AAA", "BBB"):
        _centre_with_cases(app, code, 21)
    both = _build_statements(app)
    languages = app.config["LANGUAGES"]
    assert len(languages) >= 2
    app.config["LANGUAGES"] = languages[:1]
    try:
        one = _build_statements(app)
    finally:
        app.config["LANGUAGES"] = languages
    assert len(both) == len(one), "\n".join(both)


@pytest.mark.parametrize("centres", [2, 4])
def test_issuing_a_release_stays_within_its_statement_budget(app: Flask, centres: int) -> None:
    from app.db import db
    from app.reports.releases import publish_year
    from app.users.models import User

    made = [_centre_with_cases(app, f"C{i}X", 21) for i in range(centres)]
    admin = make_user(app, "admin", centre=made[0])
    with app.test_request_context("/"):
        actor = db.session.get(User, admin.id)
        with _statements(app) as seen:
            release = publish_year(YEAR, actor=actor, audit_actor=actor)
            db.session.commit()
        assert release.revision == 1 and len(release.content["units"]) == centres + 1
    statements = [s for s in seen if s != "COMMIT"]
    assert len(statements) <= PUBLISH_BUDGET, "\n".join(statements)


def test_every_section_reads_once_and_builds_each_unit_as_if_asked_alone(app: Flask) -> None:
    """Every registered section is a ``GroupedSection``, and a unit's tables built from the rows of all centres
    are the tables that section gives when asked for that unit alone (no other centre's rows leak in)."""
    from app.reports.registry import SECTIONS_KEY, GroupedSection, Period

    a = _centre_with_cases(app, "AAA", 7)
    b = _centre_with_cases(app, "BBB", 3)
    period = Period.year(YEAR)
    with app.test_request_context("/"):
        providers = app.extensions[SECTIONS_KEY]
        assert providers and all(isinstance(p, GroupedSection) for p in providers), providers
        for provider in providers:
            gathered = provider.gather([a.id, b.id], period)
            for unit in ([a.id], [b.id], [a.id, b.id]):
                built = [(t.key, [list(r) for r in t.counts]) for t in provider.build(gathered, unit, period)]
                alone = [(t.key, [list(r) for r in t.counts]) for t in provider(unit, period)]
                assert built == alone, (provider, unit)
    with app.test_request_context("/"):
        kpis = {t.key: t for p in app.extensions[SECTIONS_KEY] for t in p([a.id], period)}
        assert kpis["kpi-high-risk-plans"].counts[3] == [7]  # her centre's 7 high-risk cases, none of the other's
