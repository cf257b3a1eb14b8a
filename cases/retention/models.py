"""The retention schedule (one period and method per data class), each run, and its destruction records.

A destruction record (imha tutanağı) names case numbers only, never names or content; records are never destroyed by
retention (KVKK's regulation asks for at least three years: they are kept for good).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, PublicIdMixin, UTCDateTime, utcnow


class RetentionRule(Base):
    """The admin's choice for one data class; a class without a row uses its default."""

    __tablename__ = "retention_rules"

    data_class: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    days: Mapped[int] = mapped_column(sa.Integer)
    method: Mapped[str] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class RetentionRun(PublicIdMixin, Base):
    """One run of ``retention run`` (a dry run is recorded too, marked as such)."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_dry_run: Mapped[bool] = mapped_column(default=False)
    run_by: Mapped[str] = mapped_column(sa.String(254))  # the admin's e-mail, or "cli"
    failed: Mapped[int] = mapped_column(sa.Integer, default=0)

    records: Mapped[list[DestructionRecord]] = relationship(
        back_populates="run", order_by="DestructionRecord.id", cascade="all, delete-orphan")


class DestructionRecord(Base):
    """What one run destroyed (or, for a dry run, would destroy) of one data class."""

    __tablename__ = "destruction_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("retention_runs.id"), index=True)
    data_class: Mapped[str] = mapped_column(sa.String(40))
    method: Mapped[str] = mapped_column(sa.String(20))
    days: Mapped[int] = mapped_column(sa.Integer)
    item_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    held: Mapped[int] = mapped_column(sa.Integer, default=0)
    case_numbers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # numbers only, never names

    run: Mapped[RetentionRun] = relationship(back_populates="records")
