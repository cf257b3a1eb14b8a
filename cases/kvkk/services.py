"""What the centre holds about one woman: her cases in the centre (this one, and any other case whose applicant has
the same TCKN, found through the blind index and checked after decryption), every row of each case decrypted, and
the audit events about them. Reads only; the view records the ``case.kvkk-report`` events."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import crypto
from app.audit import AuditEvent
from app.db import Base, db
from cases.core.models import Case, Person, PersonKind
from cases.kvkk.labels import field_label

# Bookkeeping columns that say nothing about her.
HIDDEN = frozenset({"id", "public_id", "case_public_id", "serial", "centre_id", "year"})
SECTION_LABELS = {
    "cases": _l("The case"), "persons": _l("People"), "contact_notes": _l("Contact notes"),
    "case_documents": _l("Documents"), "location_inquiries": _l("Location inquiries"),
    "protective_orders": _l("Protective orders"), "referrals": _l("Referrals"),
    "consent_records": _l("Consents"), "risk_assessments": _l("Risk assessments"),
    "safety_plan_versions": _l("Safety plan"), "support_goals": _l("Support goals"),
    "support_actions": _l("Support actions"), "incidents": _l("Incidents"),
    "shelter_stays": _l("Shelter stays"), "shelter_admission_requests": _l("Shelter requests"),
}
EVENT_LIMIT = 5000


@dataclass(frozen=True)
class Row:
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class CaseReport:
    case: Case
    sections: list[Section]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _field_label(table: str, name: str) -> str:
    # Every listed field has a label (tests/cases/test_kvkk_report.py); the database name is the last resort only.
    return field_label(table, name) or name.removesuffix("_id").replace("_", " ").capitalize()


def listed_fields(mapper: Any) -> list[str]:
    """The names of the fields of ``mapper``'s table the report lists (columns, then encrypted fields)."""
    names = [column.key for column in mapper.local_table.c
             if not (column.key in HIDDEN or column.key.endswith(("_ct", "_bidx"))
                     or (column.key.endswith("_id") and column.foreign_keys))]
    return names + [descriptor.name for descriptor in crypto.orm.encrypted_attributes(mapper.class_)]


def case_mappers() -> list[Any]:
    """The mapped classes whose rows belong to a case (the case itself, and every table with ``case_id``), in the
    report's order: the case, her people, then by table name."""
    found = [m for m in Base.registry.mappers if isinstance(m.local_table, sa.Table)
             and (m.class_ is Case or "case_id" in m.local_table.c)]
    return sorted(found, key=lambda m: (m.class_ is not Case, m.class_ is not Person, m.local_table.name))


def _row(mapper: Any, obj: Any) -> Row:
    fields: list[tuple[str, str]] = []
    table = mapper.local_table.name
    encrypted = {descriptor.name for descriptor in crypto.orm.encrypted_attributes(mapper.class_)}
    for name in listed_fields(mapper):
        try:
            value = (getattr(obj, name) if name in encrypted
                     else getattr(obj, mapper.get_property_by_column(mapper.local_table.c[name]).key))
        except crypto.KeyDestroyed:  # pragma: no cover - an erased case is never loaded for the report
            continue
        if value not in (None, "", [], {}):
            fields.append((_field_label(table, name), _text(value)))
    return Row(fields)


def case_report(case: Case) -> CaseReport:
    """Every row of ``case`` and of every table that belongs to it (``case_id``), decrypted."""
    sections: list[Section] = []
    for mapper in case_mappers():
        table = mapper.local_table
        if mapper.class_ is Case:
            rows: list[Any] = [case]
        else:
            rows = list(db.session.scalars(sa.select(mapper.class_).where(table.c.case_id == case.id)
                                           .order_by(*table.primary_key.columns)))
        if rows:
            title = SECTION_LABELS.get(table.name) or table.name.replace("_", " ").capitalize()
            sections.append(Section(table.name, str(title), [_row(mapper, r) for r in rows]))
    return CaseReport(case, sections)


def her_cases(case: Case) -> list[Case]:
    """This case and the centre's other cases whose applicant has her TCKN (not erased), oldest first."""
    applicant = case.applicant
    found = {case.id: case}
    tckn = applicant.tckn if applicant is not None else None
    if tckn:
        same_centre = sa.select(Case.id).where(Case.centre_id == case.centre_id,
                                               sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"))
        people = crypto.search(db.session(), Person.tckn, tckn,
                               where=sa.and_(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(same_centre)))
        for person in people:
            if person.tckn == tckn and person.case_id not in found:
                other = db.session.get(Case, person.case_id)
                if other is not None:
                    found[other.id] = other
    return sorted(found.values(), key=lambda c: (c.opened_at, c.id))


def access_events(cases: list[Case]) -> list[AuditEvent]:
    numbers = [c.number for c in cases]
    ids = [str(c.public_id) for c in cases]
    return list(db.session.scalars(
        sa.select(AuditEvent)
        .where(sa.or_(AuditEvent.case_number.in_(numbers),
                      sa.and_(AuditEvent.object_type == "case", AuditEvent.object_id.in_(ids))))
        .order_by(AuditEvent.seq.desc()).limit(EVENT_LIMIT)))
