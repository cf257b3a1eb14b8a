"""An anonymous feedback response: the centre, the month and categorical answers only."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ANSWERS = ("yes", "partly", "no")
QUESTIONS = ("felt_safe", "felt_believed", "would_recommend")
HELPED = ("listening", "safety-plan", "legal", "shelter", "psychological", "economic", "children", "referrals")


class FeedbackResponse(Base):
    __tablename__ = "feedback_responses"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)  # random, unordered
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    month: Mapped[date] = mapped_column(sa.Date, index=True)  # the first day of the month, nothing finer
    felt_safe: Mapped[str | None] = mapped_column(sa.String(10))
    felt_believed: Mapped[str | None] = mapped_column(sa.String(10))
    would_recommend: Mapped[str | None] = mapped_column(sa.String(10))
    helped: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
