"""Recording and linking location inquiries; what a linked inquiry sets off.

Linking (at recording time, or later by a supervisor) moves the inquiry under the case's data key: its values are
decrypted, written again (the flush encrypts them with the case's key) and the inquiry's own key is destroyed, so
erasing the case erases what was asked about her. Then the case gets a ``location-inquiry`` re-assessment prompt and
the coordinators of a shelter she lives in get an alert (a date and a channel, nothing else). ``shelters`` tells
which shelters and coordinators through :func:`register_shelter_lookup` (``cases`` does not import ``shelters``).

Services flush, never commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import crypto
from app import audit
from app.db import db, utcnow
from app.users.models import Role, User
from cases.core.labels import label
from cases.core.models import Case, Person, PersonKind
from cases.core.policies import visible_cases_query
from cases.inquiries.models import CHANNELS, InquiryAlert, LocationInquiry
from cases.risk.services import request_reassessment

CHANNEL_LABELS = {
    "phone": _l("Phone call"),
    "door": _l("At the door"),
    "message": _l("Message (text, e-mail, social media)"),
    "institution": _l("An institution asked"),
}
STANDARD_ANSWER = _l("We cannot give any information about who does or does not apply to the centre.")
SEARCH_LIMIT = 10

# shelters registers one: (case) -> [(shelter name, coordinator user ids)] for shelters where she stays now.
ShelterLookup = Callable[[Case], list[tuple[str, list[int]]]]
_LOOKUPS: list[ShelterLookup] = []


def register_shelter_lookup(lookup: ShelterLookup) -> None:
    if lookup not in _LOOKUPS:
        _LOOKUPS.append(lookup)


def channel_label(key: str) -> str:
    return label(CHANNEL_LABELS, key)


def may_search(user: User) -> bool:
    """Who may look a woman up while recording: those who may see cases (a coordinator records, a supervisor
    links)."""
    return user.role in (Role.COUNSELLOR, Role.SUPERVISOR)


# Case numbers are the centre's code (2-10 ASCII letters or digits), the year and a serial: BYK-2026-0042.
_CASE_NUMBER = re.compile(r"^[A-Z0-9]{2,10}-\d{4}-\d{1,8}$")


def case_number_of(text: str | None) -> str | None:
    """``text`` as a case number (upper case, spaces removed), or None when it cannot be one.

    Only ASCII text is upper-cased: ``str.upper()`` folds some other letters into ASCII ones ("ſ" becomes "S", the
    ligature "ﬁ" becomes "FI"), which would let a word that is not a case number meet one."""
    candidate = "".join((text or "").split())
    if not candidate.isascii():
        return None
    candidate = candidate.upper()
    return candidate if _CASE_NUMBER.match(candidate) else None


def find_cases(user: User, query: str) -> list[Case]:
    """Cases ``user`` may see whose number is ``query`` or whose applicant's name matches it (blind index, verified
    after decryption). Nothing for a user who may not see cases."""
    query = (query or "").strip()
    if not query or not may_search(user):
        return []
    visible = visible_cases_query(user)
    if (number := case_number_of(query)) is not None:
        by_number = db.session.scalars(visible.where(Case.number == number)).all()
        if by_number:
            return list(by_number)
    ids = visible.with_only_columns(Case.id)
    people = crypto.search(db.session(), Person.full_name, query,
                           where=sa.and_(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(ids)),
                           limit=SEARCH_LIMIT)
    case_ids = list(dict.fromkeys(p.case_id for p in people))
    if not case_ids:
        return []
    return list(db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)).order_by(Case.number)))


def record_inquiry(actor: User, *, channel: str, occurred_at: datetime, asker: str | None, question: str,
                   answer: str | None, notes: str | None, case: Case | None = None) -> LocationInquiry:
    if channel not in CHANNELS:
        raise ValueError("unknown channel")
    inquiry = LocationInquiry(centre_id=actor.centre_id, channel=channel, occurred_at=occurred_at,
                              recorded_by_id=actor.id, recorded_at=utcnow(), asker=asker or None, question=question,
                              answer=answer or None, notes=notes or None)
    if case is not None:
        inquiry.case_id, inquiry.case_public_id, inquiry.case = case.id, case.public_id, case
    db.session.add(inquiry)
    db.session.flush()
    audit.record("inquiry.record", actor=actor, object_type="location_inquiries", object_id=inquiry.public_id,
                 case_number=case.number if case is not None else None, details={"channel": channel})
    if case is not None:
        _linked(inquiry, case, actor)
    return inquiry


def link_inquiry(inquiry: LocationInquiry, case: Case, *, actor: User) -> None:
    """Link a centre-level inquiry to a case: re-encrypt under the case's key, destroy its own key."""
    if inquiry.case_id is not None:
        raise ValueError("already linked")
    values = {name: getattr(inquiry, name) for name in ("asker", "question", "answer", "notes")}
    inquiry.case_id, inquiry.case_public_id, inquiry.case = case.id, case.public_id, case
    for name, value in values.items():
        setattr(inquiry, name, value)   # pending again: the flush encrypts under the case's key
    inquiry.linked_by_id, inquiry.linked_at = actor.id, utcnow()
    db.session.flush()
    # SECURITY: the inquiry's own key goes: no second readable copy of what was asked about her.
    crypto.shred(db.session(), "inquiry", inquiry.public_id, models=[LocationInquiry], reason="linked to a case")
    audit.record("inquiry.link", actor=actor, object_type="location_inquiries", object_id=inquiry.public_id,
                 case_number=case.number)
    _linked(inquiry, case, actor)


def _linked(inquiry: LocationInquiry, case: Case, actor: User) -> None:
    request_reassessment(case, "location-inquiry", actor)
    for shelter_name, user_ids in (item for lookup in _LOOKUPS for item in lookup(case)):
        for user_id in user_ids:
            # SECURITY: the alert carries the shelter's name and the inquiry's date and channel, never its text.
            db.session.add(InquiryAlert(inquiry_id=inquiry.id, user_id=user_id, shelter_name=shelter_name[:200]))
    db.session.flush()


def case_inquiries(case: Case) -> list[LocationInquiry]:
    return list(db.session.scalars(sa.select(LocationInquiry).where(LocationInquiry.case_id == case.id)
                                   .order_by(LocationInquiry.occurred_at.desc())))


def centre_inquiries(user: User, *, days: int = 180) -> list[LocationInquiry]:
    """The centre's inquiries of the last ``days`` days, unlinked first (the supervisor's page)."""
    since = utcnow() - timedelta(days=days)
    return list(db.session.scalars(
        sa.select(LocationInquiry).where(LocationInquiry.centre_id == user.centre_id,
                                         sa.or_(LocationInquiry.case_id.is_(None),
                                                LocationInquiry.occurred_at >= since))
        .order_by(LocationInquiry.case_id.is_not(None), LocationInquiry.occurred_at.desc())))


def find_inquiry(user: User, public_id: Any) -> LocationInquiry | None:
    # SECURITY: within her centre only.
    return db.session.scalar(sa.select(LocationInquiry).where(LocationInquiry.public_id == public_id,
                                                              LocationInquiry.centre_id == user.centre_id))


@dataclass(frozen=True)
class AlertRow:
    occurred_at: datetime
    channel: str
    shelter_name: str


def coordinator_alerts(user: User, *, days: int = 30) -> list[AlertRow]:
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        sa.select(LocationInquiry.occurred_at, LocationInquiry.channel, InquiryAlert.shelter_name)
        .join(LocationInquiry, LocationInquiry.id == InquiryAlert.inquiry_id)
        .where(InquiryAlert.user_id == user.id, InquiryAlert.created_at >= since)
        .order_by(LocationInquiry.occurred_at.desc()).limit(50)).all()
    return [AlertRow(*row) for row in rows]


def not_linked_message() -> str:
    return _("Recorded at centre level: a supervisor will link it to her file if she is known.")
