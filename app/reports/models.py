"""A statistics release: the already-suppressed figures of one closed calendar year, stored once and served as they
are by every later page, CSV and printout of that year (``app.reports.releases``).

``content`` holds display text only (numbers shown, ``<k``, ``x``), the labels in every language and the relations a
reader knows between the figures, so an earlier release can be checked against a revision without the raw counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, PublicIdMixin, UTCDateTime, utcnow


class StatisticsRelease(PublicIdMixin, Base):
    __tablename__ = "statistics_releases"
    __table_args__ = (sa.UniqueConstraint("year", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, index=True)
    revision: Mapped[int] = mapped_column(sa.Integer)  # 1 = the first release of the year
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    data_cut_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the case data was read
    min_cell: Mapped[int] = mapped_column(sa.Integer)
    min_population: Mapped[int] = mapped_column(sa.Integer)
    withheld: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # table keys not revised (see releases.py)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
