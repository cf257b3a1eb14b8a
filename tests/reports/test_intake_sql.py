"""The applications tables read in one scan (issue 15, P6: month and violence types grouped, channel, age band, risk
and children as conditional counts) count what counting each case in Python counts: on generated data with
unknown keys and missing values, for every centre and group of centres, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any

from flask import Flask

from tests.factories import make_centre, make_user

YEAR = 2025


def _generate(app: Flask, seed: int = 15) -> list[int]:
    import sqlalchemy as sa

    from app.db import db, utcnow
    from cases.core.models import Case

    rng = random.Random(seed)
    centres = [make_centre(app, code=f"I{i}S") for i in range(3)]
    users = [make_user(app, "counsellor", centre=c) for c in centres]
    kinds = ("physical", "sexual", "psychological", "economic", "stalking", "digital", "not-a-type")
    with app.app_context():
        conn = db.session.connection()
        for i in range(300):
            c = i % 3
            conn.execute(sa.insert(Case).values(
                public_id=uuid.uuid4(), centre_id=centres[c].id, year=YEAR, serial=i + 1,
                number=f"I{c}-{YEAR}-{i + 1:05d}", status="open", primary_counsellor_id=users[c].id,
                created_by_id=users[c].id, opened_at=utcnow(),
                applied_on=date(YEAR, 1, 1) + timedelta(days=rng.randrange(-10, 375)),
                channel=rng.choice(("walk-in", "phone", "sonim", "police", "ngo", "fax")),  # "fax": an old key
                violence_types=rng.sample(kinds, rng.randint(0, 3)), previous_applications=[],
                applicant_age_band=rng.choice((None, "18-24", "25-34", "65+", "0-17", "old-band")),
                children_count=rng.choice((0, 1, 2, 3, 4, 7)), risk_level=rng.choice((None, "standard", "high")),
                excluded_from_statistics=rng.random() < 0.1))
        db.session.commit()
    return [c.id for c in centres]


def _reference(centre_ids: list[int]) -> dict[str, list[int]]:
    """The applications tables of these centres counted case by case."""
    import sqlalchemy as sa

    from app.db import db
    from cases.core.labels import CHANNEL_LABELS, RISK_LABELS, VIOLENCE_TYPE_LABELS
    from cases.core.models import Case
    from cases.core.services import AGE_BANDS

    rows = db.session.execute(sa.select(
        Case.applied_on, Case.channel, Case.applicant_age_band, Case.risk_level, Case.children_count,
        Case.violence_types).where(Case.centre_id.in_(centre_ids), Case.applied_on >= date(YEAR, 1, 1),
                                   Case.applied_on < date(YEAR + 1, 1, 1),
                                   Case.excluded_from_statistics.is_(False))).all()

    def column(values: list[Any], keys: list[str], unknown: bool = True) -> list[int]:
        tally = Counter(v if v in keys else None for v in values)
        return [tally[k] for k in keys] + ([tally[None]] if unknown else [])

    violence: Counter[str] = Counter(k for r in rows for k in set(r.violence_types) if k in VIOLENCE_TYPE_LABELS)
    return {
        "applications-month": [sum(1 for r in rows if r.applied_on.month == m) for m in range(1, 13)],
        "channels": column([r.channel for r in rows], list(CHANNEL_LABELS)),
        "age-bands": column([r.applicant_age_band for r in rows], [b for _lo, _hi, b in AGE_BANDS]),
        "violence-types": [violence[k] for k in VIOLENCE_TYPE_LABELS],
        "children": column(["3+" if r.children_count >= 3 else str(r.children_count) for r in rows],
                           ["0", "1", "2", "3+"], unknown=False),
        "risk-levels": column([str(r.risk_level) if r.risk_level else None for r in rows], list(RISK_LABELS)),
    }


def test_the_applications_tables_are_those_of_counting_case_by_case(app: Flask) -> None:
    from app.reports.registry import Period
    from cases.intake.reports import sections

    ids = _generate(app)
    period = Period.year(YEAR)
    with app.test_request_context("/"):
        gathered = sections.gather(ids, period)
        for unit in ([ids[0]], [ids[1]], [ids[2]], ids[:2], ids):
            got = {t.key: [row[0] for row in t.counts] for t in sections.build(gathered, unit, period)}
            expected = _reference(unit)
            assert got == expected, unit
            assert all(sum(v) for v in expected.values())  # every table has something to count
            assert expected["channels"][-1] and expected["age-bands"][-1] and expected["risk-levels"][-1]
