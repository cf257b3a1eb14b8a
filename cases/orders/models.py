"""Protective orders under Law 6284 (tedbir kararları), their extensions and violations (research/domain.md b2).

Kind, issuer, measures, dates and statuses are plain (dashboards, statistics, expiry alerts); the order's free-text
details, extension reasons and violation descriptions are encrypted under the case's key. An order issued by the
police in an emergency lapses unless a governor / district governor or judge approves it within 48 hours:
``approval_deadline`` and ``approved_at`` track that.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case

ORDER_KINDS = ("protective", "preventive")  # koruyucu (for her) / önleyici (against him)
ORDER_ISSUERS = ("governor", "family-court", "police")
# Measures of 6284 m.3–5 (plain categorical keys; labels in cases/orders/forms.py).
ORDER_MEASURES = (
    # protective (koruyucu), by the governor / district governor or the judge
    "shelter", "financial-aid", "guidance", "protective-custody", "daycare", "workplace-change",
    "separate-domicile", "family-home-annotation", "identity-change",
    # preventive (önleyici), by the judge (police in an emergency)
    "no-threats", "leave-shared-home", "restraining-distance", "no-approach-relatives", "no-contact",
    "child-contact-supervised", "weapon-surrender", "no-substances", "treatment", "temporary-custody",
    "temporary-alimony",
)
DEFAULT_DURATION_DAYS = 180
MAX_DURATION_DAYS = 366 * 2
POLICE_APPROVAL_WINDOW = timedelta(hours=48)
EXPIRY_ALERT_DAYS = 14


class ProtectiveOrder(PublicIdMixin, Base):
    __tablename__ = "protective_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.String(20))
    issuer: Mapped[str] = mapped_column(sa.String(20), index=True)
    measures: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    duration_days: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_DURATION_DAYS)
    expires_on: Mapped[date] = mapped_column(sa.Date, index=True)  # last day in force (extensions move it)
    approval_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # police orders only
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # who recorded the approval
    last_violation_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    details_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # authority, decision number, conditions
    details = crypto.Encrypted()

    case: Mapped[Case] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    extensions: Mapped[list[OrderExtension]] = relationship(back_populates="order", order_by="OrderExtension.id",
                                                            cascade="all, delete-orphan")
    violations: Mapped[list[OrderViolation]] = relationship(
        back_populates="order", order_by="OrderViolation.occurred_on.desc(), OrderViolation.id.desc()",
        cascade="all, delete-orphan")

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def needs_approval(self) -> bool:
        return self.approval_deadline is not None and self.approved_at is None

    def approval_overdue(self, now: datetime) -> bool:
        return self.needs_approval and self.approval_deadline is not None and now > self.approval_deadline

    def status(self, today: date, now: datetime) -> str:
        """lapsed (police order not approved in time) / awaiting-approval / upcoming / active / expired."""
        if self.approval_overdue(now):
            return "lapsed"
        if today > self.expires_on:
            return "expired"
        if self.needs_approval:
            return "awaiting-approval"
        if today < self.starts_on:
            return "upcoming"
        return "active"

    def days_left(self, today: date) -> int:
        return (self.expires_on - today).days

    def expiring_soon(self, today: date, now: datetime) -> bool:
        return self.status(today, now) in ("active", "awaiting-approval") and \
            0 <= self.days_left(today) <= EXPIRY_ALERT_DAYS


class OrderExtension(PublicIdMixin, Base):
    __tablename__ = "order_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("protective_orders.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    previous_expires_on: Mapped[date] = mapped_column(sa.Date)
    new_expires_on: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    reason = crypto.Encrypted()

    order: Mapped[ProtectiveOrder] = relationship(back_populates="extensions")

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.order.case.number


class OrderViolation(PublicIdMixin, Base):
    __tablename__ = "order_violations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("protective_orders.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    description_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    description = crypto.Encrypted()

    order: Mapped[ProtectiveOrder] = relationship(back_populates="violations")
    recorded_by: Mapped[User] = relationship()

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.order.case.number
