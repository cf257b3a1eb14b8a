"""An intake being typed, kept server-side so that "Check now" and "Continue in her file" answer with a redirect to
a page fetched by GET (``/cases/new/<random id>``): the browser's Back and reload show what was typed again, with no
"Confirm Form Resubmission" (issue 16). The same design as the saved search (``cases.casefile.models.SavedSearch``).

SECURITY: the form's values (her identity, her story) are AES-GCM ciphertext under the user's data key, bound to this
row; the row is bound to the user and to the session that typed it (the SHA-256 of its token, as
``user_sessions.token_hash``) and is readable for ``DRAFT_TTL`` after its last change. An expired draft keeps no
content (``form_ct`` is emptied), only the fact that it existed, so that the page can say it expired. A draft is
deleted when its intake is saved and when its session ends (signed out, timed out, or every session of the user
ended: ``app.auth.sessions.register_end_listener``).
Rows are written with Core statements (a transient cache, not case data: the returning-applicant check it feeds is
audited as ``case.returning-check``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class IntakeDraft(Base):
    __tablename__ = "intake_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    session_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    form_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
