"""The contact note (görüşme notu): date, kind and encrypted text, under the case's data key."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case


class ContactNote(PublicIdMixin, Base):
    """A contact note: editable by its author for a short window, then append-only (corrections are new notes
    pointing at the corrected one)."""

    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # legal / psychological / social / phone / home-visit
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_notes.id"))
    text_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    text = crypto.Encrypted()

    case: Mapped[Case] = relationship()
    author: Mapped[User] = relationship()

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number
