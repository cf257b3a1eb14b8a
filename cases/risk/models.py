"""Risk assessments: the versioned checklist, each assessment made with one version, and re-assessment prompts.

A checklist version is never changed once published (its items are the questions that were asked), so an old
assessment always renders with its own version. Answers and the professional-judgement reason are violence details
and are encrypted under the case's key; score, levels and dates are plain (dashboards, statistics).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.dates import local_today  # the centre's date, not the server's
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case, RiskLevel

LEVEL_ORDER = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


def _today() -> date:
    return local_today()


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _level_enum() -> sa.Enum:
    return sa.Enum(RiskLevel, native_enum=False, length=20, validate_strings=True,
                   values_callable=lambda members: [m.value for m in members])


class RiskChecklist(Base):
    """One published version of the risk instrument: items ``[{key, weight, text_tr, text_en}]`` and thresholds.

    Global configuration (no case content); only administrators publish versions. Rows are never updated."""

    __tablename__ = "risk_checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    medium_threshold: Mapped[int] = mapped_column(sa.Integer)
    high_threshold: Mapped[int] = mapped_column(sa.Integer)
    review_days_standard: Mapped[int] = mapped_column(sa.Integer, default=90)
    review_days_medium: Mapped[int] = mapped_column(sa.Integer, default=30)
    review_days_high: Mapped[int] = mapped_column(sa.Integer, default=14)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    published_by: Mapped[User | None] = relationship()

    @property
    def max_score(self) -> int:
        return sum(int(item["weight"]) for item in self.items)

    def review_days(self, level: RiskLevel) -> int:
        return {RiskLevel.HIGH: self.review_days_high, RiskLevel.MEDIUM: self.review_days_medium}.get(
            level, self.review_days_standard)

    def level_for(self, score: int) -> RiskLevel:
        if score >= self.high_threshold:
            return RiskLevel.HIGH
        if score >= self.medium_threshold:
            return RiskLevel.MEDIUM
        return RiskLevel.STANDARD

    def item_text(self, item: dict[str, Any], locale: str) -> str:
        return str(item["text_tr"] if locale == "tr" else item["text_en"])


class RiskAssessment(PublicIdMixin, Base):
    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_checklists.id"))
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    score: Mapped[int] = mapped_column(sa.Integer)
    unknown_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    computed_level: Mapped[RiskLevel] = mapped_column(_level_enum())
    level: Mapped[RiskLevel] = mapped_column(_level_enum(), index=True)  # final: computed or raised
    raised_by_judgement: Mapped[bool] = mapped_column(default=False)
    review_due_on: Mapped[date] = mapped_column(sa.Date, index=True)

    # {item key: "yes" | "no" | "unknown"}
    answers_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    answers = crypto.Encrypted[dict[str, Any]](kind="json")
    judgement_reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    judgement_reason = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    checklist: Mapped[RiskChecklist] = relationship()
    assessed_by: Mapped[User] = relationship()

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_overdue(self) -> bool:
        return self.review_due_on < _today()


# Why a re-assessment is asked for (categorical keys; labels in cases/risk/forms.py).
REASSESSMENT_REASONS = ("order-violation", "new-incident", "separation", "location-inquiry", "order-expiry",
                        "release-from-custody", "other")


class RiskReassessmentPrompt(PublicIdMixin, Base):
    """A request to re-assess a case now (a trigger such as a protective-order violation). Shown on the case page
    and the dashboard until the next assessment of the case resolves it."""

    __tablename__ = "risk_reassessment_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))  # a key of REASSESSMENT_REASONS; never free text
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_assessment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("risk_assessments.id"))

    case: Mapped[Case] = relationship()

    @property
    def audit_case_number(self) -> str:
        return self.case.number
