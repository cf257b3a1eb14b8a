"""The KPI tables banded and counted in SQL (issue 15, P6) give exactly what counting each case's row in Python gave:
on generated data with timestamps on both sides of local midnight, around every band's edge, plan versions in every
order, closures; on SQLite and PostgreSQL; and a release built either way is the same release."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from tests.factories import make_centre, make_user

YEAR = 2025


def _generate(app: Flask, seed: int = 15) -> list[int]:
    """Three centres' cases of YEAR (and a few of the years around it): assessments, plan versions, closures and
    referrals at random UTC times, many of them in the hours where the UTC and the Istanbul day differ."""
    import sqlalchemy as sa

    from app.db import db, utcnow
    from cases.core.models import Case
    from cases.plans.models import SafetyPlanVersion
    from cases.referrals.models import Referral
    from cases.risk.models import RiskAssessment
    from cases.risk.services import current_checklist

    rng = random.Random(seed)
    centres = [make_centre(app, code=f"K{i}S") for i in range(3)]
    users = [make_user(app, "counsellor", centre=c) for c in centres]
    with app.app_context():
        checklist_id = current_checklist().id
        db.session.commit()
        conn = db.session.connection()
        now = utcnow()

        def moment(day: date) -> datetime:  # often late in the UTC day: the next day in Istanbul
            hour = rng.choice((0, 1, 2, 3, 12, 20, 20, 21, 21, 22, 23))
            return datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=UTC)

        for i in range(240):
            c = i % 3
            applied = date(YEAR, 1, 1) + timedelta(days=rng.randrange(-20, 385))
            status = rng.choice(("open", "active", "closed", "closed"))
            closed_at = moment(applied + timedelta(days=rng.choice((0, 1, 29, 30, 31, 89, 90, 91, 180, 181, 365,
                                                                    366, 400)))) if status == "closed" else None
            case_id = conn.execute(sa.insert(Case).values(
                public_id=uuid.uuid4(), centre_id=centres[c].id, year=YEAR, serial=i + 1,
                number=f"K{c}-{YEAR}-{i + 1:05d}", status=status, primary_counsellor_id=users[c].id,
                created_by_id=users[c].id, opened_at=now, applied_on=applied, channel="walk-in",
                violence_types=["physical"], previous_applications=[], risk_level=rng.choice((None, "high", "high")),
                closed_at=closed_at, close_reason=rng.choice(("goals-met", "moved-away", "other"))
                if closed_at else None).returning(Case.id, Case.public_id)).one()
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                day = applied + timedelta(days=rng.choice((-1, 0, 1, 2, 6, 7, 8, 29, 30, 31, 40)))
                conn.execute(sa.insert(RiskAssessment).values(
                    public_id=uuid.uuid4(), case_id=case_id[0], case_public_id=case_id[1], checklist_id=checklist_id,
                    assessed_by_id=users[c].id, assessed_at=moment(day), score=0, unknown_count=0,
                    computed_level="standard", level="standard", raised_by_judgement=False, review_due_on=day))
            for version in range(1, rng.choice((1, 2, 3, 4))):
                submitted = moment(applied) if rng.random() < 0.9 else None
                reviewed = (submitted + timedelta(hours=rng.choice((1, 47, 48, 49, 100)))
                            if submitted and rng.random() < 0.8 else None)
                conn.execute(sa.insert(SafetyPlanVersion).values(
                    public_id=uuid.uuid4(), case_id=case_id[0], case_public_id=case_id[1], version=version,
                    status=rng.choice(("draft", "submitted", "approved", "returned")), created_by_id=users[c].id,
                    created_at=now, updated_at=now, submitted_at=submitted, reviewed_at=reviewed))
            for _ in range(rng.choice((0, 1, 2))):
                conn.execute(sa.insert(Referral).values(
                    public_id=uuid.uuid4(), case_id=case_id[0], case_public_id=case_id[1],
                    institution_type="police", data_classes=["identity"], is_override=False,
                    status=rng.choice(("draft", "sent", "accepted", "declined", "completed", "withdrawn")),
                    created_by_id=users[c].id, created_at=now, sent_at=moment(applied)))
        db.session.commit()
    return [c.id for c in centres]


def _reference(centre_ids: list[int], zone: ZoneInfo) -> dict[str, dict[int, list[int]]]:
    """The KPI tally counted case by case in Python, the way it was counted before it moved into SQL."""
    import sqlalchemy as sa

    from app.db import db
    from app.reports.registry import Period
    from cases.core.labels import CLOSE_REASONS
    from cases.core.models import Case, CaseStatus, RiskLevel
    from cases.kpis.reports import (
        APPROVAL_PROMPT_DAYS,
        DAYS_OPEN_BOUNDS,
        FIRST_ASSESSMENT_BOUNDS,
        REFERRAL_ENDS,
        TABLE_ROWS,
        _band,
        _days,
        _in,
    )
    from cases.plans.models import PlanStatus, SafetyPlanVersion
    from cases.referrals.models import Referral
    from cases.risk.models import RiskAssessment

    period = Period.year(YEAR)
    start, end = period.bounds_utc()
    tally: dict[str, dict[int, list[int]]] = {key: {} for key in TABLE_ROWS}

    def count(key: str, centre_id: int, row: int) -> None:
        tally[key].setdefault(centre_id, [0] * TABLE_ROWS[key])[row] += 1

    first = (sa.select(RiskAssessment.case_id, sa.func.min(RiskAssessment.assessed_at).label("at"))
             .group_by(RiskAssessment.case_id).subquery())
    for centre_id, applied_on, at in db.session.execute(
            sa.select(Case.centre_id, Case.applied_on, first.c.at)
            .outerjoin(first, first.c.case_id == Case.id).where(*_in(centre_ids, period))):
        count("kpi-first-assessment", centre_id, _band(_days(applied_on, at, zone), FIRST_ASSESSMENT_BOUNDS))
    state: dict[int, tuple[int, int]] = {}
    for centre_id, case_id, status, submitted_at, reviewed_at in db.session.execute(
            sa.select(Case.centre_id, Case.id, SafetyPlanVersion.status, SafetyPlanVersion.submitted_at,
                      SafetyPlanVersion.reviewed_at)
            .outerjoin(SafetyPlanVersion, SafetyPlanVersion.case_id == Case.id)
            .where(*_in(centre_ids, period), Case.risk_level == RiskLevel.HIGH)
            .order_by(Case.id, SafetyPlanVersion.version)):
        current = state.setdefault(case_id, (centre_id, 3))[1]
        if current < 2:
            continue
        if status == PlanStatus.APPROVED and submitted_at and reviewed_at:
            days = (reviewed_at - submitted_at).total_seconds() / 86400
            state[case_id] = (centre_id, 0 if days <= APPROVAL_PROMPT_DAYS else 1)
        elif status in (PlanStatus.SUBMITTED, PlanStatus.RETURNED):
            state[case_id] = (centre_id, 2)
    for centre_id, row in state.values():
        count("kpi-high-risk-plans", centre_id, row)
    for centre_id, status in db.session.execute(
            sa.select(Case.centre_id, Referral.status).join(Case, Case.id == Referral.case_id)
            .where(Case.centre_id.in_(centre_ids), Referral.sent_at >= start, Referral.sent_at < end)):
        if status in REFERRAL_ENDS:
            count("kpi-referrals", centre_id, REFERRAL_ENDS.index(status))
    for centre_id, applied_on, closed_at, reason in db.session.execute(
            sa.select(Case.centre_id, Case.applied_on, Case.closed_at, Case.close_reason).where(
                Case.centre_id.in_(centre_ids), Case.status == CaseStatus.CLOSED, Case.closed_at >= start,
                Case.closed_at < end, Case.close_reason != "erased")):
        count("kpi-days-open", centre_id,
              min(_band(_days(applied_on, closed_at, zone), DAYS_OPEN_BOUNDS), len(DAYS_OPEN_BOUNDS)))
        if reason in CLOSE_REASONS:
            count("kpi-closure-reasons", centre_id, CLOSE_REASONS.index(reason))
    return tally


def _nonempty(tally: dict[str, dict[int, list[int]]]) -> Iterable[Any]:
    return {key: {c: rows for c, rows in by_centre.items() if any(rows)} for key, by_centre in tally.items()}


@pytest.mark.parametrize("zone", ["Europe/Istanbul", "Europe/Berlin"])
def test_the_kpi_counts_are_those_of_counting_case_by_case(app: Flask, zone: str) -> None:
    """Istanbul: banded in SQL at UTC+3. Berlin (daylight saving): no fixed offset, the rows are banded in Python
    with the zone. Both give the reference counts, which differ between the two zones (the test sees the zone)."""
    from app.reports.registry import Period
    from cases.kpis.reports import _gather

    ids = _generate(app)
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    with app.test_request_context("/"):
        got = _nonempty(_gather(ids, Period.year(YEAR)))
        expected = _nonempty(_reference(ids, ZoneInfo(zone)))
        other = _nonempty(_reference(ids, ZoneInfo("UTC")))
    assert got == expected
    assert expected != other  # the generated times do fall on both sides of local midnight
    bands = {row for rows in expected["kpi-first-assessment"].values() for row, n in enumerate(rows) if n}
    plans = {row for rows in expected["kpi-high-risk-plans"].values() for row, n in enumerate(rows) if n}
    assert bands == set(range(5)) and plans == set(range(4))  # every row of both tables is exercised


def test_a_release_built_in_sql_is_the_release_built_row_by_row(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.db import db
    from app.reports.releases import build_content
    from cases.kpis import reports as kpis
    from tests.reports.helpers import add_cases

    _generate(app)
    centre_user = make_user(app, "counsellor", centre=make_centre(app, code="BIG"))
    add_cases(app, centre_user, 25, applied_on=date(YEAR, 6, 1), named=False)
    with app.test_request_context("/"):
        db.session.remove()
        in_sql = build_content(YEAR, [])
    monkeypatch.setattr(kpis, "fixed_offset", lambda *args: None)  # as for a zone with daylight saving
    with app.test_request_context("/"):
        db.session.remove()
        by_rows = build_content(YEAR, [])
    assert in_sql["tables"]["all"]["kpi-first-assessment"] == by_rows["tables"]["all"]["kpi-first-assessment"]
    assert in_sql == by_rows


def test_fixed_offset_only_where_the_zone_has_one() -> None:
    from app.reports.sql import fixed_offset

    istanbul = ZoneInfo("Europe/Istanbul")
    assert fixed_offset(istanbul, date(2025, 1, 1), date(2026, 2, 1)) == 180
    assert fixed_offset(istanbul, date(2016, 1, 1), date(2017, 2, 1)) is None  # DST ended in September 2016
    assert fixed_offset(ZoneInfo("Europe/Berlin"), date(2025, 1, 1), date(2026, 2, 1)) is None
    assert fixed_offset(ZoneInfo("Europe/Berlin"), date(2025, 11, 1), date(2026, 2, 1)) == 60
