"""Documents of a case: the list with the upload form, upload, download (an attachment, never shown in the app's
origin), delete with a reason. Reading needs "view" (the counsellor on the case, her supervisor, a break-glass
reader), every change "edit"; coordinators, auditors and admins never reach a case (an audited 404).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, audit
from app.db import db
from app.request_guard import accepts_files
from app.security_headers import DOWNLOAD_CSP
from cases.casefile.page import case_page_url
from cases.core.access import audited_read, case_access
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.models import Case
from cases.core.policies import can
from cases.documents import services as svc
from cases.documents.forms import DeleteForm, UploadForm
from cases.documents.models import CaseDocument
from cases.documents.services import KIND_LABELS, kind_label


def _render_list(case: Case, *, form: UploadForm | None = None, error: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template(
        "cases/documents/list.html", case=case, case_url=case_page_url(case), documents=svc.case_documents(case),
        form=form or UploadForm(formdata=None), error=error,
        can_edit=can(current_user, "edit", case) and not case.is_closed, kind_label=kind_label,
    ), status


def _document_or_404(case: Case, document_id: uuid.UUID, action: str) -> CaseDocument:
    document = svc.find_document(case, document_id)
    if document is None or document.is_deleted:
        access.deny(f"document.{action}", object_type="case_documents", object_id=document_id,
                    reason="not in case")
    assert document is not None
    return document


@bp.get("/<uuid:case_id>/documents")
@case_access("view")
def list_documents(case: Case):  # type: ignore[no-untyped-def]
    return _render_list(case)


@bp.post("/<uuid:case_id>/documents")
@accepts_files(svc.REQUEST_MAX_BYTES)
@case_access("edit")
def upload_document(case: Case):  # type: ignore[no-untyped-def]
    form = UploadForm()
    if not form.validate_on_submit():
        audited_read(case, "edit")
        return _render_list(case, form=form, status=422)
    try:
        svc.add_document(case, actor=current_user, kind=form.kind.data, note=form.note.data,
                         fileobj=form.file.data.stream, filename=form.file.data.filename)
    except svc.DocumentTooLarge as exc:
        audited_read(case, "edit")
        form.file.errors = [str(exc)]
        return _render_list(case, form=form, status=413)
    except CaseError as exc:
        audited_read(case, "edit")
        form.file.errors = [str(exc)]
        return _render_list(case, form=form, status=422)
    db.session.commit()
    flash(_("Document stored."), "success")
    return redirect(url_for("cases.list_documents", case_id=case.public_id))


def _disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266), never quotes or line breaks."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/<uuid:case_id>/documents/<uuid:document_id>")
@case_access("view")
def download_document(case: Case, document_id: uuid.UUID):  # type: ignore[no-untyped-def]
    document = _document_or_404(case, document_id, "download")
    try:
        svc.verify_document(document)
    except svc.DocumentDamaged as exc:
        db.session.rollback()
        audit.record("document.download", outcome=audit.Outcome.FAILURE, object_type="case_documents",
                     object_id=document.public_id, case_number=case.number, reason="damaged")
        db.session.commit()
        return _render_list(case, error=str(exc), status=409)
    # SECURITY: the download is on record before a byte leaves (fail closed).
    audit.record("document.download", object_type="case_documents", object_id=document.public_id,
                 case_number=case.number)
    access.commit_read()
    response = Response(stream_with_context(svc.read_document(document)), mimetype=document.content_type)
    headers = response.headers
    headers["Content-Length"] = str(document.size_bytes)
    # SECURITY: never rendered in the app's origin: an attachment, not sniffed, sandboxed, never cached.
    headers["Content-Disposition"] = _disposition(document.filename or "belge")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = DOWNLOAD_CSP
    headers["Cache-Control"] = "no-store, max-age=0"
    return response


@bp.route("/<uuid:case_id>/documents/<uuid:document_id>/delete", methods=["GET", "POST"])
@case_access("edit")
def delete_document(case: Case, document_id: uuid.UUID):  # type: ignore[no-untyped-def]
    document = _document_or_404(case, document_id, "delete")
    form = DeleteForm()
    context: dict[str, Any] = {"case": case, "document": document, "form": form, "kind_label": kind_label,
                               "case_url": case_page_url(case)}
    if not form.is_submitted():
        return render_template("cases/documents/delete.html", **context)
    if not form.validate():
        audited_read(case, "edit")
        return render_template("cases/documents/delete.html", **context), 422
    try:
        svc.delete_document(document, actor=current_user, reason=form.reason.data)
    except CaseError as exc:
        audited_read(case, "edit")
        form.reason.errors = [str(exc)]
        return render_template("cases/documents/delete.html", **context), 422
    db.session.commit()
    flash(_("Document deleted."), "success")
    return redirect(url_for("cases.list_documents", case_id=case.public_id))


@bp.app_template_global("documents_summary")
def documents_summary(case: Case) -> dict[str, Any]:
    """For the case page's documents card: the live documents and their labels."""
    return {"documents": svc.live_documents(case), "kind_label": kind_label, "kinds": KIND_LABELS}
