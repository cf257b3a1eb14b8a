"""The incident: a dated record of violence in a case. Categorical columns; injuries encrypted."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case, Person

SUB_KINDS = ("forced-marriage", "weapon-threat", "strangulation")
PLACE_TYPES = ("home", "relatives-home", "street", "workplace", "school", "online", "other")
REPORTED_TO = ("police", "gendarmerie", "kades")


class Incident(PublicIdMixin, Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    occurred_on: Mapped[date] = mapped_column(sa.Date, index=True)
    is_approximate: Mapped[bool] = mapped_column(default=False)  # "around then": the month is known, not the day
    violence_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    sub_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    place_type: Mapped[str | None] = mapped_column(sa.String(20))
    perpetrator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"))
    reported_to: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    forensic_report: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    injuries_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    injuries = crypto.Encrypted[str]()

    case: Mapped[Case] = relationship()
    perpetrator: Mapped[Person | None] = relationship()
    recorded_by: Mapped[User] = relationship()

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number
