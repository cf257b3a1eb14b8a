"""Closure requests: a counsellor asks to close a case with the closure checklist; a supervisor approves or returns
it with comments. Every request stays, so reopening a case keeps the history of how it was closed before.

The reason, the ticked checklist items and the risk level at closure are categorical (dashboards and KPIs read
them); the counsellor's explanation and the supervisor's comments are encrypted under the case's data key.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case


class ClosureStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class ClosureRequest(PublicIdMixin, Base):
    __tablename__ = "closure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(sa.String(40))  # a key of CLOSE_REASONS
    checklist: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # ticked keys of CLOSURE_CHECKLIST
    risk_at_closure: Mapped[str] = mapped_column(sa.String(10))  # standard / medium / high
    status: Mapped[str] = mapped_column(sa.String(10), default=ClosureStatus.PENDING.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    explanation_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    explanation = crypto.Encrypted[str]()
    # the supervisor's comments when she returns it, her reason when she approves it
    decision_note_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    decision_note = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_pending(self) -> bool:
        return self.status == ClosureStatus.PENDING
