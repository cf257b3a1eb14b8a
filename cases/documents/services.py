"""Storing, reading and deleting a case's documents.

Upload: the type is read from the first bytes (never the name or the browser's claim) and must be one of
``ALLOWED_TYPES``; a photo (JPEG, PNG) is decoded and written again by Pillow from its pixels only, so EXIF (GPS
position, device, time), XMP, IPTC and comments are gone before anything is encrypted (its orientation is applied
first, so the photo still stands the right way up); a PDF keeps its bytes (its metadata is never shown). The result
is sealed in 64 KiB chunks under the case's data key (``crypto.stream``) and inserted chunk by chunk with Core
statements: a 20 MB file is never whole in memory (a photo is: Pillow holds its pixels, bounded by ``MAX_PIXELS``).

Delete: the chunks are deleted (SQLite's ``secure_delete`` zeroes them; PostgreSQL's VACUUM reclaims them, see the
README), the file name and note are cleared, the row keeps kind, dates, who and the encrypted reason. Erasing the
case destroys the key every chunk is sealed under.

Services flush, never commit; views own the transaction and write the access audit event.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO, Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

import crypto
from app import audit
from app.db import db, utcnow
from cases.core.errors import CaseClosed, CaseError
from cases.core.labels import label
from cases.core.models import Case
from cases.documents.models import DOCUMENT_KINDS, CaseDocument, DocumentChunk
from crypto import stream

MAX_BYTES = 20 * 1024 * 1024        # per file
REQUEST_MAX_BYTES = MAX_BYTES + 1024 * 1024  # the upload's body limit (app.request_guard): the file and its form
MAX_PIXELS = 50_000_000              # a photo decoded by Pillow: ≈150 MB of RGB at most, refused beyond
ALLOWED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
_CHUNKS = cast(sa.Table, DocumentChunk.__table__)

KIND_LABELS = {
    "court-decision": _l("Court decision"),
    "medical-report": _l("Medical or forensic report"),
    "police-record": _l("Police record or statement"),
    "identity-document": _l("Identity document"),
    "photo": _l("Photo"),
    "other": _l("Other"),
}


def kind_label(kind: str) -> str:
    return str(label(KIND_LABELS, kind))


class DocumentRejected(CaseError):
    """The file cannot be stored (type or content); the message is safe to show."""


class DocumentTooLarge(CaseError):
    """The file is over ``MAX_BYTES``."""


class DocumentDamaged(CaseError):
    """The stored bytes do not authenticate (tampered or truncated) or their key is destroyed."""


def sniff_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes, among ``ALLOWED_TYPES``; None for anything else."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def file_size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def strip_photo(fileobj: IO[bytes], content_type: str) -> IO[bytes]:
    """The photo written again from its pixels only: no EXIF, XMP, IPTC, ICC or comment survives (Pillow)."""
    fmt = PHOTO_TYPES[content_type]
    try:
        with Image.open(fileobj, formats=[fmt]) as img:
            if img.width * img.height > MAX_PIXELS:
                raise DocumentRejected(_("The photo is too large (more than 50 megapixels)."))
            # The camera's orientation lives in EXIF: apply it to the pixels before the EXIF goes.
            upright = ImageOps.exif_transpose(img)
            if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
                upright = upright.convert("RGB")
            # SECURITY: save only pixels: an empty info dict, no exif=/xmp=/icc_profile=/pnginfo= arguments.
            upright.info = {}
            out = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (returned to the caller)
            if fmt == "JPEG":
                upright.save(out, "JPEG", quality=92)
            else:
                upright.save(out, "PNG")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise DocumentRejected(_("The photo could not be read; it may be damaged.")) from None
    out.seek(0)
    return out


def _stored_name(filename: str | None, content_type: str) -> str:
    """A safe display and download name: the base name, printable, at most 120 characters, the right extension."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*').strip(" .")[:120]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return (stem or "belge") + ALLOWED_TYPES[content_type]


def add_document(case: Case, *, actor: Any, kind: str, note: str | None, fileobj: IO[bytes],
                 filename: str | None) -> CaseDocument:
    """Store an uploaded file on the case (flushes; the caller commits). Raises DocumentRejected (422) or
    DocumentTooLarge (413) before anything is written."""
    if case.is_closed:
        raise CaseClosed(_("The case is closed; reopen it first."))
    if kind not in DOCUMENT_KINDS:
        raise DocumentRejected(_("Choose what kind of document this is."))
    if file_size(fileobj) > MAX_BYTES:
        raise DocumentTooLarge(_("The file is larger than 20 MB."))
    content_type = sniff_type(fileobj.read(16))
    fileobj.seek(0)
    if content_type is None:
        raise DocumentRejected(_("Only PDF files and JPEG or PNG photos can be stored."))
    source = strip_photo(fileobj, content_type) if content_type in PHOTO_TYPES else fileobj
    document = CaseDocument(case_id=case.id, case_public_id=case.public_id, kind=kind, content_type=content_type,
                            uploaded_by_id=actor.id, uploaded_at=utcnow(),
                            filename=_stored_name(filename, content_type), note=(note or "").strip() or None)
    db.session.add(document)
    db.session.flush()
    session = db.session()
    ctx = crypto.get_context()
    handle = ctx.dek_for_owner(session, ("case", case.public_id))
    size = count = 0
    for seq, sealed, length in stream.seal_stream(source.read, handle.aead, handle.dek_id_bytes, document.public_id,
                                                  ctx.next_nonce):
        size += length
        if size > MAX_BYTES:   # a photo written again may grow past the limit
            raise DocumentTooLarge(_("The file is larger than 20 MB."))
        session.execute(sa.insert(_CHUNKS), {"document_id": document.id, "seq": seq, "data": sealed})
        count += 1
    document.size_bytes, document.chunk_count = size, count
    audit.record("document.upload", actor=actor, object_type="case_documents", object_id=document.public_id,
                 case_number=case.number, details={"kind": kind, "content_type": content_type, "size": size})
    db.session.flush()
    return document


def case_documents(case: Case) -> list[CaseDocument]:
    return list(db.session.scalars(sa.select(CaseDocument).where(CaseDocument.case_id == case.id)
                                   .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())))


def live_documents(case: Case) -> list[CaseDocument]:
    return [d for d in case_documents(case) if not d.is_deleted]


def find_document(case: Case, document_id: uuid.UUID) -> CaseDocument | None:
    # SECURITY: looked up inside this case only; another case's document id is not found.
    return db.session.scalar(sa.select(CaseDocument).where(CaseDocument.case_id == case.id,
                                                           CaseDocument.public_id == document_id))


def _sealed_chunks(document: CaseDocument, batch: int = 8) -> Iterator[bytes]:
    """The stored chunks in order, ``batch`` per query (512 KiB in memory), stopping at the first missing seq (the
    stream then ends early, which the last-chunk flag turns into a decryption error)."""
    seq = 0
    while True:
        rows = db.session.execute(sa.select(_CHUNKS.c.seq, _CHUNKS.c.data)
                                  .where(_CHUNKS.c.document_id == document.id, _CHUNKS.c.seq >= seq,
                                         _CHUNKS.c.seq < seq + batch)
                                  .order_by(_CHUNKS.c.seq)).all()
        for found, data in rows:
            if found != seq:
                return
            yield bytes(data)
            seq += 1
        if len(rows) < batch:
            return


def read_document(document: CaseDocument) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; DocumentDamaged on any tampering or a destroyed key."""
    session = db.session()
    ctx = crypto.get_context()
    try:
        yield from stream.open_stream(_sealed_chunks(document), lambda dek_id: ctx.dek_by_id(session, dek_id).aead,
                                      document.public_id)
    except (crypto.DecryptionError, crypto.KeyDestroyed, crypto.UnknownKey):
        raise DocumentDamaged(_("This document is damaged or no longer readable.")) from None


def verify_document(document: CaseDocument) -> None:
    """Authenticate every chunk before a download starts, so a damaged file is a clear error page, not a cut file."""
    for _chunk in read_document(document):
        pass


def delete_document(document: CaseDocument, *, actor: Any, reason: str) -> None:
    """Delete the bytes for good; keep who, when, why (flushes; the caller commits)."""
    if document.is_deleted:
        raise CaseError(_("This document was deleted already."))
    reason = reason.strip()
    if len(reason) < 5:
        raise CaseError(_("State why the document is deleted."))
    db.session.execute(sa.delete(_CHUNKS).where(_CHUNKS.c.document_id == document.id))
    document.deleted_at, document.deleted_by_id = utcnow(), getattr(actor, "id", None)  # None: retention
    document.delete_reason = reason
    document.filename, document.note = None, None
    document.size_bytes = document.chunk_count = 0
    audit.record("document.delete", actor=actor, object_type="case_documents", object_id=document.public_id,
                 case_number=document.case.number, details={"kind": document.kind})
    db.session.flush()


def preview_items(case: Case) -> list[tuple[str, str]]:
    """What the referral preview lists when her consent includes documents: type, name and date of each."""
    return [(kind_label(d.kind), f"{d.filename or ''} ({d.uploaded_at:%Y-%m-%d})") for d in live_documents(case)]
