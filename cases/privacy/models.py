"""The information notice given to her and her explicit consents (categorical; no free text)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case

NOTICE_METHODS = ("printed", "read-aloud", "interpreter")
CONSENT_PURPOSES = ("special-data", "statistics", "follow-up")
CONSENT_METHODS = ("written", "verbal")


class PrivacyNotice(PublicIdMixin, Base):
    __tablename__ = "privacy_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(12))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User] = relationship()

    @property
    def audit_case_number(self) -> str:
        return self.case.number


class ExplicitConsent(PublicIdMixin, Base):
    """Her explicit consent to one purpose; revoked, it stays on record with who revoked it and when."""

    __tablename__ = "explicit_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    method: Mapped[str] = mapped_column(sa.String(10))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def audit_case_number(self) -> str:
        return self.case.number
