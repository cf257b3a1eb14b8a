"""Consent records and referrals (DESIGN.md §2 "Referral"; research/domain.md b4).

A consent record is a dated, scoped, expiring, revocable permission the woman gave: to which kind of institution
(``institution_type``), which data classes, how (written / verbal), witnessed by whom, valid until when. A referral
sends chosen data classes to one institution; it can leave ``draft`` only under a consent that is unrevoked, unexpired
on the sending day, for the same institution type and covering every shared class — or under an audited emergency
override. Institution names, contact people, notes, outcomes and reasons are encrypted under the case's key; the
institution type, data classes, status and outcome category stay plain for dashboards and statistics.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case

# Recipient institutions (keys; labels in cases/referrals/forms.py).
INSTITUTION_TYPES = ("police", "prosecutor", "family-court", "sonim", "bar-legal-aid", "hospital", "ashb",
                     "iskur", "ministry-shelter", "ngo", "other")
# What may leave the centre, by class (the preview shows each class's actual values). The equality answers
# (issue 21) are classes of their own, so none of them leaves unless her consent names it.
DATA_CLASSES = ("identity", "contact", "address", "narrative", "risk", "children", "documents", "disability",
                "migration-status", "gender-identity")
CONSENT_METHODS = ("written", "verbal")

# Referral lifecycle: draft → sent → accepted / declined; accepted → completed; withdrawn from any open state.
REFERRAL_STATUSES = ("draft", "sent", "accepted", "declined", "completed", "withdrawn")
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent", "withdrawn"}),
    "sent": frozenset({"accepted", "declined", "withdrawn"}),
    "accepted": frozenset({"completed", "withdrawn"}),
    "declined": frozenset(),
    "completed": frozenset(),
    "withdrawn": frozenset(),
}
OPEN_REFERRAL_STATUSES = ("sent", "accepted")  # waiting on the recipient: follow-ups apply
# Categorical outcome for statistics (the free text is encrypted beside it).
REFERRAL_OUTCOMES = ("service-provided", "order-issued", "shelter-placed", "appointment-given", "no-service",
                     "not-reachable", "she-declined", "other")


class ConsentRecord(PublicIdMixin, Base):
    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    institution_type: Mapped[str] = mapped_column(sa.String(30))
    data_classes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    method: Mapped[str] = mapped_column(sa.String(10))  # written / verbal
    witnessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    given_on: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date] = mapped_column(sa.Date, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    institution_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    institution_name = crypto.Encrypted()
    witness_text_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # a witness who is not a staff user
    witness_text = crypto.Encrypted()
    revocation_reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    revocation_reason = crypto.Encrypted()

    case: Mapped[Case] = relationship()
    witnessed_by: Mapped[User | None] = relationship(foreign_keys=[witnessed_by_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, on: date) -> bool:
        return on > self.valid_until

    def is_usable(self, on: date) -> bool:
        return not self.is_revoked and self.given_on <= on <= self.valid_until


class Referral(PublicIdMixin, Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    institution_type: Mapped[str] = mapped_column(sa.String(30), index=True)
    data_classes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    consent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consent_records.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    follow_up_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    outcome: Mapped[str | None] = mapped_column(sa.String(30))  # categorical, for statistics
    is_override: Mapped[bool] = mapped_column(default=False, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    institution_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    institution_name = crypto.Encrypted()
    contact_person_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    contact_person = crypto.Encrypted()
    notes_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # reason for the referral, notes
    notes = crypto.Encrypted()
    outcome_text_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    outcome_text = crypto.Encrypted()
    override_reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    override_reason = crypto.Encrypted()

    case: Mapped[Case] = relationship()
    consent: Mapped[ConsentRecord | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES

    def follow_up_overdue(self, today: date) -> bool:
        return self.is_open and self.follow_up_on is not None and self.follow_up_on < today
