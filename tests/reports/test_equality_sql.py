"""The Equality tables counted in one grouped read (P6: each outcome a conditional count over the set of cases that
had it, ``IN (SELECT …)``) count what checking each case of the cohort in Python counts: on generated data with
unknown keys and missing values, referrals sent before, at and after the year's local end (and drafts), orders
starting on both sides of it, the woman's and her child's shelter stays, cases excluded from statistics; for every
centre and group of centres, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from tests.factories import make_centre, make_user

YEAR = 2025
DISABILITIES = ("none", "visual", "hearing", "multiple", "prefers-not", "old-key", None)
MIGRATIONS = ("citizen", "temporary-protection", "prefers-not", "old-key", None)
GENDERS = ("woman", "trans-woman", "non-binary", None, None)


def _generate(app: Flask, seed: int = 21) -> list[int]:
    import sqlalchemy as sa

    from app.db import db, utcnow
    from cases.core.models import Case, Person
    from cases.orders.models import ProtectiveOrder
    from cases.referrals.models import Referral
    from shelters.core.models import AdmissionRequest, Shelter, Stay

    rng = random.Random(seed)
    centres = [make_centre(app, code=f"E{i}Q") for i in range(3)]
    users = [make_user(app, "counsellor", centre=c) for c in centres]
    # the year's end in Istanbul is 21:00 UTC on 31 December: referrals sent around it
    end_utc = datetime(YEAR, 12, 31, 21, tzinfo=UTC)
    moments = [end_utc - timedelta(seconds=1), end_utc, end_utc + timedelta(hours=2), datetime(YEAR, 6, 1, tzinfo=UTC),
               datetime(YEAR - 1, 12, 31, 22, tzinfo=UTC), None]
    with app.app_context():
        conn = db.session.connection()
        now = utcnow()
        shelters = {c.id: conn.execute(sa.insert(Shelter).values(
            public_id=uuid.uuid4(), centre_id=c.id, name=f"Ev {c.code}", capacity=10, boy_age_limit=12,
            max_stay_days=183, is_active=True, created_at=now).returning(Shelter.id)).scalar_one() for c in centres}
        for i in range(240):
            c = i % 3
            case_id, public_id = conn.execute(sa.insert(Case).values(
                public_id=uuid.uuid4(), centre_id=centres[c].id, year=YEAR, serial=i + 1,
                number=f"E{c}-{YEAR}-{i + 1:05d}", status="open", primary_counsellor_id=users[c].id,
                created_by_id=users[c].id, opened_at=now,
                applied_on=date(YEAR, 1, 1) + timedelta(days=rng.randrange(-10, 375)), channel="walk-in",
                violence_types=["physical"], previous_applications=[],
                applicant_disability=rng.choice(DISABILITIES), applicant_migration_status=rng.choice(MIGRATIONS),
                applicant_gender_identity=rng.choice(GENDERS), excluded_from_statistics=rng.random() < 0.1,
            ).returning(Case.id, Case.public_id)).one()
            for _ in range(rng.choice((0, 0, 1, 2))):
                conn.execute(sa.insert(Referral).values(
                    public_id=uuid.uuid4(), case_id=case_id, case_public_id=public_id,
                    institution_type="police", data_classes=["identity"], is_override=False,
                    status=rng.choice(("draft", "sent", "accepted", "declined", "completed", "withdrawn")),
                    created_by_id=users[c].id, created_at=now, sent_at=rng.choice(moments)))
            for _ in range(rng.choice((0, 0, 0, 1, 2))):
                starts = rng.choice((date(YEAR, 12, 31), date(YEAR + 1, 1, 1), date(YEAR, 3, 3), date(YEAR + 1, 5, 1)))
                conn.execute(sa.insert(ProtectiveOrder).values(
                    public_id=uuid.uuid4(), case_id=case_id, case_public_id=public_id, kind="protective",
                    issuer="police", measures=[], issued_at=now, starts_on=starts, duration_days=30,
                    expires_on=starts + timedelta(days=30), created_by_id=users[c].id, created_at=now))
            if rng.random() < 0.3:  # a stay: hers, her child's, or both
                kinds = rng.choice((["applicant"], ["child"], ["applicant", "child"]))
                people = [conn.execute(sa.insert(Person).values(
                    public_id=uuid.uuid4(), case_id=case_id, case_public_id=public_id, kind=kind,
                    sex="girl" if kind == "child" else None, interpreter_needed=False, created_at=now)
                    .returning(Person.id)).scalar_one() for kind in kinds]
                request_id = conn.execute(sa.insert(AdmissionRequest).values(
                    public_id=uuid.uuid4(), shelter_id=shelters[centres[c].id], case_id=case_id,
                    case_public_id=public_id, status="admitted", requested_by_id=users[c].id, requested_at=now,
                    person_ids=people).returning(AdmissionRequest.id)).scalar_one()
                starts = rng.choice((date(YEAR, 12, 31), date(YEAR + 1, 1, 1), date(YEAR, 2, 1)))
                conn.execute(sa.insert(Stay), [{
                    "public_id": uuid.uuid4(), "shelter_id": shelters[centres[c].id], "request_id": request_id,
                    "case_id": case_id, "person_id": person, "starts_on": starts,
                    "planned_end_on": starts + timedelta(days=90), "admitted_by_id": users[c].id, "created_at": now,
                } for person in people])
        db.session.commit()
    return [c.id for c in centres]


def _reference(centre_ids: list[int]) -> dict[str, list[int]]:
    """The Equality tables of these centres, each case of the cohort checked one by one."""
    import sqlalchemy as sa

    from app.db import db
    from cases.core.models import Case, Person, PersonKind
    from cases.equality.reports import DIMENSIONS
    from cases.orders.models import ProtectiveOrder
    from cases.referrals.models import Referral
    from shelters.core.models import Stay

    end = date(YEAR + 1, 1, 1)
    end_utc = datetime(YEAR, 12, 31, 21, tzinfo=UTC)  # local midnight in Istanbul (UTC+3)
    cohort = db.session.execute(sa.select(
        Case.id, Case.applicant_disability, Case.applicant_migration_status, Case.applicant_gender_identity)
        .where(Case.centre_id.in_(centre_ids), Case.applied_on >= date(YEAR, 1, 1), Case.applied_on < end,
               Case.excluded_from_statistics.is_(False))).all()
    referred = {case_id for case_id, status, sent_at in db.session.execute(
        sa.select(Referral.case_id, Referral.status, Referral.sent_at))
        if status != "draft" and sent_at is not None and sent_at < end_utc}
    ordered = {case_id for case_id, starts in db.session.execute(
        sa.select(ProtectiveOrder.case_id, ProtectiveOrder.starts_on)) if starts < end}
    sheltered = {case_id for case_id, kind, starts in db.session.execute(
        sa.select(Person.case_id, Person.kind, Stay.starts_on).join(Stay, Stay.person_id == Person.id))
        if kind == PersonKind.APPLICANT and starts < end}
    had = {"applied": {row.id for row in cohort}, "referred": referred, "sheltered": sheltered, "ordered": ordered}
    out: dict[str, list[int]] = {}
    for dimension, column, labels in DIMENSIONS:
        keys = list(labels)
        values = {row.id: getattr(row, column) for row in cohort}
        for outcome, cases in had.items():
            tally = Counter(v if v in keys else None for case_id, v in values.items() if case_id in cases)
            out[f"equality-{dimension}-{outcome}"] = [tally[k] for k in keys] + [tally[None]]
    return out


def test_the_equality_tables_are_those_of_checking_case_by_case(app: Flask) -> None:
    from app.reports.registry import Period
    from cases.equality.reports import sections

    ids = _generate(app)
    period = Period.year(YEAR)
    with app.test_request_context("/"):
        gathered = sections.gather(ids, period)
        for unit in ([ids[0]], [ids[1]], [ids[2]], ids[:2], ids):
            got: dict[str, Any] = {t.key: [row[0] for row in t.counts] for t in sections.build(gathered, unit, period)}
            expected = _reference(unit)
            assert got == expected, unit
        # every outcome is exercised, and each differs from the cohort (the test sees the outcome's condition)
        everyone = _reference(ids)
        for outcome in ("referred", "sheltered", "ordered"):
            counts = everyone[f"equality-disability-{outcome}"]
            assert 0 < sum(counts) < sum(everyone["equality-disability-applied"]), outcome
