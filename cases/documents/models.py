"""A case document and its encrypted chunks (the bytes live in the database: several app servers, one backup)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

import crypto
from app.db import Base, PublicIdMixin, UTCDateTime, utcnow
from app.users.models import User
from cases.core.models import Case

DOCUMENT_KINDS = ("court-decision", "medical-report", "police-record", "identity-document", "photo", "other")


class CaseDocument(PublicIdMixin, Base):
    """One uploaded file. Its name and note are encrypted like any case field; its bytes are in
    ``case_document_chunks``. A deleted document keeps this row (kind, dates, who, why) and loses its bytes."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    kind: Mapped[str] = mapped_column(sa.String(20))
    content_type: Mapped[str] = mapped_column(sa.String(40))   # detected from the bytes, one of ALLOWED_TYPES
    size_bytes: Mapped[int] = mapped_column(sa.Integer, default=0)
    chunk_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    filename_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    filename = crypto.Encrypted()
    note_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    note = crypto.Encrypted()
    delete_reason_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    delete_reason = crypto.Encrypted()

    case: Mapped[Case] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)

    @property
    def audit_case_number(self) -> str:
        return self.case.number

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class DocumentChunk(Base):
    """One sealed chunk (``crypto.stream``): written and read with Core statements, never held as ORM objects, so
    a 20 MB upload or download keeps one chunk in memory at a time."""

    __tablename__ = "case_document_chunks"

    document_id: Mapped[int] = mapped_column(sa.ForeignKey("case_documents.id", ondelete="CASCADE"),
                                             primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
