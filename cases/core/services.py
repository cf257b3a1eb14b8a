"""Opening a case (with its human number) and the people in it."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import db
from app.users.models import Centre, User
from cases.core.models import Case, CaseStatus, Person, PersonKind

AGE_BANDS = ((0, 17, "0-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"),
             (55, 64, "55-64"), (65, 200, "65+"))


def age_band(birth: date | None, on: date) -> str | None:
    if birth is None:
        return None
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), None)


def disability_stat_key(types: list[str] | None) -> str | None:
    """The statistics' one key for her disability answer: the category, "multiple", "none" or "prefers-not"."""
    chosen = [t for t in (types or []) if t]
    if not chosen:
        return None
    if len(chosen) == 1:
        return chosen[0]
    return "multiple"


def sync_equality_copies(case: Case, applicant: Person) -> None:
    """Refresh the plain categorical copies on ``case`` from the applicant's encrypted equality answers (the
    statistics count these; see ``cases.core.models``). Her own words for her gender identity never leave the
    encrypted field."""
    case.applicant_disability = disability_stat_key(applicant.disability_types)
    case.applicant_migration_status = applicant.migration_status or None
    case.applicant_gender_identity = applicant.gender_identity or None


def next_case_number(centre: Centre, year: int) -> tuple[int, str]:
    """The next serial and number for this centre and year, e.g. (42, "BYK-2026-0042").

    Concurrent openings are serialised by a row lock on the centre (PostgreSQL); on SQLite the database write lock
    does it; the unique (centre, year, serial) constraint is the backstop either way.
    """
    db.session.execute(sa.select(Centre.id).where(Centre.id == centre.id).with_for_update())
    last = db.session.scalar(
        sa.select(sa.func.max(Case.serial)).where(Case.centre_id == centre.id, Case.year == year)
    )
    serial = (last or 0) + 1
    # A case transferred away keeps its number, so a number can be taken without its serial: skip those.
    while db.session.scalar(sa.select(Case.id).where(Case.number == f"{centre.code}-{year}-{serial:04d}")):
        serial += 1
    return serial, f"{centre.code}-{year}-{serial:04d}"


def open_case(*, actor: User, applied_on: date, channel: str, primary_counsellor: User | None = None,
              **intake: object) -> Case:
    """A new case in the actor's centre, numbered, with the actor (or the given counsellor) as primary."""
    centre = actor.centre
    serial, number = next_case_number(centre, applied_on.year)
    case = Case(
        centre_id=centre.id, year=applied_on.year, serial=serial, number=number, status=CaseStatus.OPEN,
        primary_counsellor_id=(primary_counsellor or actor).id, created_by_id=actor.id,
        applied_on=applied_on, channel=channel,
    )
    for key, value in intake.items():
        setattr(case, key, value)
    db.session.add(case)
    db.session.flush()
    return case


def add_person(case: Case, kind: PersonKind, **fields: object) -> Person:
    person = Person(case=case, case_id=case.id, case_public_id=case.public_id, kind=kind)
    for key, value in fields.items():
        setattr(person, key, value)
    db.session.add(person)
    return person


def case_perpetrator(case: Case, public_id: Any) -> Person | None:
    """One of this case's perpetrators by public id, or None (SECURITY: never a person of another case)."""
    return next((p for p in case.perpetrators
                 if str(p.public_id) == str(public_id) and p.kind == PersonKind.PERPETRATOR), None)
