"""A search the user just ran, kept server-side so that Back and reload show its results again without the query
ever being in a URL (DESIGN.md §3.5): the browser holds only ``/cases/search?r=<random id>``.

SECURITY: the query is AES-GCM ciphertext under the user's data key, bound to this row; the row is bound to the
session that ran it (the SHA-256 of its token, as ``user_sessions.token_hash``) and lives ``SEARCH_TTL``; rows are
written and purged with Core statements (a transient cache, not case data: the search itself is audited as
``case.search``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    session_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    query_ct: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
