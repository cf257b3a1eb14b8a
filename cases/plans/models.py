"""Safety plans (versioned, supervisor-reviewed) and individual support plans (goals, actions, notes, reviews).

Every text a woman or her counsellor writes here is encrypted under the case's key: the safety plan's sections (one
encrypted JSON per version), return comments, goals, needs, action descriptions, progress notes and review
summaries. Statuses, domains, owners and dates stay plain for dashboards and deadlines.
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
from cases.core.models import Case


def _enum(cls: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(cls, native_enum=False, length=20, validate_strings=True,
                   values_callable=lambda members: [m.value for m in members])


def _today() -> date:
    return local_today()


class _CaseOwned:
    """Rows of one case: encrypted under the case's data key; the case number goes into change events.
    (No mapped annotations here: declarative would turn them into columns.)"""

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)  # type: ignore[attr-defined]

    @property
    def audit_case_number(self) -> str:
        return str(self.case.number)  # type: ignore[attr-defined]


# --- safety plan -----------------------------------------------------------------------------------------------

class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


SAFETY_PLAN_SECTIONS = ("safe_contacts", "code_word", "escape_route", "safe_place", "documents_money", "children",
                        "digital", "work_school", "other")
KADES_CHOICES = ("installed", "not-installed", "not-safe")  # KADES on her phone; "not-safe": he checks her phone


class SafetyPlanVersion(_CaseOwned, PublicIdMixin, Base):
    """One version of a case's safety plan. The latest version is the one being worked on; a returned or approved
    version is never edited again (editing it starts the next version)."""

    __tablename__ = "safety_plan_versions"
    __table_args__ = (sa.UniqueConstraint("case_id", "version", name="uq_safety_plan_versions_case_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    version: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)

    # {section key: text, "kades": one of KADES_CHOICES or ""}
    sections_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sections = crypto.Encrypted[dict[str, Any]](kind="json")
    return_comments_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    return_comments = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def is_review_overdue(self) -> bool:
        return self.review_due_on is not None and self.review_due_on < _today()


# --- individual support plan -----------------------------------------------------------------------------------

SUPPORT_DOMAINS = ("legal", "psychological", "social", "economic", "housing", "health", "children", "education")


class GoalStatus(enum.StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    DROPPED = "dropped"


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class ActionOwner(enum.StrEnum):
    STAFF = "staff"  # a staff user of the centre (owner_user_id)
    WOMAN = "woman"
    EXTERNAL = "external"


class SupportGoal(_CaseOwned, PublicIdMixin, Base):
    """A need in one domain and the goal agreed with her for it."""

    __tablename__ = "support_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    domain: Mapped[str] = mapped_column(sa.String(20), index=True)  # a key of SUPPORT_DOMAINS
    status: Mapped[GoalStatus] = mapped_column(_enum(GoalStatus), default=GoalStatus.OPEN)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    need = crypto.Encrypted[str]()
    goal_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    goal = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    actions: Mapped[list[SupportAction]] = relationship(back_populates="goal", order_by="SupportAction.id")


class SupportAction(_CaseOwned, PublicIdMixin, Base):
    __tablename__ = "support_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("support_goals.id"), index=True)
    owner_kind: Mapped[ActionOwner] = mapped_column(_enum(ActionOwner))
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus), default=ActionStatus.PLANNED, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    description_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    description = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    goal: Mapped[SupportGoal] = relationship(back_populates="actions")
    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    notes: Mapped[list[SupportProgressNote]] = relationship(back_populates="action",
                                                            order_by="SupportProgressNote.id")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < _today()


class SupportProgressNote(_CaseOwned, PublicIdMixin, Base):
    __tablename__ = "support_progress_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("support_actions.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    text_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    text = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    action: Mapped[SupportAction] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class SupportPlanReview(_CaseOwned, PublicIdMixin, Base):
    __tablename__ = "support_plan_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    next_review_on: Mapped[date | None] = mapped_column(sa.Date)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    summary_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    summary = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    reviewer: Mapped[User] = relationship()
