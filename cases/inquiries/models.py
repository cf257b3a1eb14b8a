"""A location inquiry and the alerts it raises."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case

CHANNELS = ("phone", "door", "message", "institution")


class LocationInquiry(PublicIdMixin, Base):
    """Someone asked whether a woman is here, or where she is. Centre-level until linked to a case."""

    __tablename__ = "location_inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    channel: Mapped[str] = mapped_column(sa.String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asker_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    asker = crypto.Encrypted()          # who they said they were
    question_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    question = crypto.Encrypted()       # what they asked (and about whom)
    answer_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    answer = crypto.Encrypted()         # what was answered
    notes_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    notes = crypto.Encrypted()

    case: Mapped[Case | None] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        # Linked: the case's key (erasing the case erases the inquiry); not yet: its own key.
        if self.case_public_id is not None:
            return ("case", self.case_public_id)
        return ("inquiry", self.public_id)

    @property
    def audit_case_number(self) -> str | None:
        return self.case.number if self.case is not None else None


class InquiryAlert(Base):
    """A shelter coordinator told that someone asked about a resident of her shelter (no text, no name)."""

    __tablename__ = "location_inquiry_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("location_inquiries.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    shelter_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    inquiry: Mapped[LocationInquiry] = relationship()
