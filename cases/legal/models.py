"""Legal proceedings, confidentiality measures and the perpetrator's custody status. Categorical columns and dates
feed tasks and statistics; file numbers, the court or office and the lawyer are encrypted under the case's key."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case, Person

PROCEEDING_KINDS = ("criminal-complaint", "criminal-case", "divorce", "custody", "maintenance", "other")
PROCEEDING_STATUSES = ("ongoing", "concluded")
# How a proceeding ended (a decision of non-prosecution, a verdict, a judgment on a civil claim).
PROCEEDING_OUTCOMES = ("non-prosecution", "conviction", "deferred-verdict", "acquittal", "granted", "partly-granted",
                       "rejected", "withdrawn", "other")
APPEAL_CHOICES = ("filed", "not-filed")
CUSTODY_STATUSES = ("detained", "arrested", "sentenced", "released")
MEASURE_KINDS = ("identity", "address", "civil-registry", "school-transfer")
MEASURE_STATUSES = ("requested", "granted", "refused")
REPORT_CONCERNS = ("crime-against-her", "child-abuse", "other-crime")
REPORT_DECISIONS = ("reported", "not-reported", "undecided")
REPORT_RECIPIENTS = ("police", "gendarmerie", "prosecutor", "family-services", "other")


class _OfCase:
    """A record of a case: encrypted under the case's key, audited with the case's number."""

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)  # type: ignore[attr-defined]

    @property
    def audit_case_number(self) -> str:
        return self.case.number  # type: ignore[attr-defined,no-any-return]


class LegalProceeding(_OfCase, PublicIdMixin, Base):
    __tablename__ = "legal_proceedings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(10), default="ongoing")
    next_hearing_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    # The last day to object or appeal (itiraz, istinaf, temyiz) and whether it was done: until then a task.
    appeal_deadline_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    appeal: Mapped[str | None] = mapped_column(sa.String(10))
    has_legal_aid: Mapped[bool] = mapped_column(default=False)  # a lawyer from the bar's legal aid (adli yardım)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file_number_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the investigation (soruşturma) number
    file_number = crypto.Encrypted[str]()
    court_file_number_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the court's (esas) number
    court_file_number = crypto.Encrypted[str]()
    authority_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the court or prosecutor's office
    authority = crypto.Encrypted[str]()
    lawyer_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    lawyer = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User] = relationship()


class LegalHearing(_OfCase, PublicIdMixin, Base):
    """A hearing of a proceeding that took place: its day and what happened (encrypted). Recorded when the
    proceeding's next hearing is moved on from a day that has come, or the proceeding is concluded after it."""

    __tablename__ = "legal_hearings"

    id: Mapped[int] = mapped_column(primary_key=True)
    proceeding_id: Mapped[int] = mapped_column(sa.ForeignKey("legal_proceedings.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    held_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    note_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    note = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User] = relationship()


class ConfidentialityMeasure(_OfCase, PublicIdMixin, Base):
    """One 6284 confidentiality measure of a case and where it stands (one row per case and kind)."""

    __tablename__ = "confidentiality_measures"
    __table_args__ = (sa.UniqueConstraint("case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(10))
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class CustodyRecord(_OfCase, PublicIdMixin, Base):
    """The perpetrator's custody status as of a day; the newest record per case and perpetrator is the current one.
    ``release_on``: the expected release (in custody) or the day he was released; ``release_handled_at``: when the
    release asked for a re-assessment and alerted the team (once)."""

    __tablename__ = "custody_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    perpetrator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"))
    status: Mapped[str] = mapped_column(sa.String(12))
    release_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    release_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    perpetrator: Mapped[Person | None] = relationship()


class ReportDecision(_OfCase, PublicIdMixin, Base):
    """The duty-to-report decision log: when staff learned of a crime or child abuse, what was decided (reported or
    not, to whom), why (encrypted), by whom, and whether she was told first. An entry logged as ``undecided`` is a
    task until someone decides it (once); ``decided_by`` is then who decided, ``decided_at`` when."""

    __tablename__ = "report_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    learned_on: Mapped[date] = mapped_column(sa.Date)
    concern: Mapped[str] = mapped_column(sa.String(20))
    decision: Mapped[str] = mapped_column(sa.String(15))
    reported_to: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    she_was_told_first: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    reason = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    decided_by: Mapped[User] = relationship()
