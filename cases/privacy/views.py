"""The printable information notice; a case's privacy page (record a missing notice, further consents); revoking a
consent. The case page's privacy partial gets its data through a template global."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.db import db
from app.users.models import Role
from cases.core.access import audited_read, case_access, form_page
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.models import Case
from cases.privacy import services as privacy_service
from cases.privacy.forms import (
    CONSENT_METHOD_LABELS,
    CONSENT_PURPOSE_LABELS,
    NOTICE_METHOD_LABELS,
    PrivacyForm,
    RevokeForm,
)
from cases.privacy.models import ExplicitConsent, PrivacyNotice


@bp.get("/privacy-notice")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def privacy_notice():  # type: ignore[no-untyped-def]
    return render_template("cases/privacy/notice.html", centre=current_user.centre)


@bp.route("/<uuid:case_id>/privacy", methods=["GET", "POST"])
@case_access("edit")
def edit_privacy(case: Case):  # type: ignore[no-untyped-def]
    form = PrivacyForm()
    page = "cases/privacy/edit.html"
    notice = privacy_service.case_notice(case)
    if (shown := form_page(page, form, case=case, notice=notice)) is not None:
        return shown
    try:
        privacy_service.record_privacy(case, actor=current_user, notice_given=form.notice_given.data,
                                       notice_method=form.notice_method.data,
                                       purposes=form.consent_purposes.data or [],
                                       consent_method=form.consent_method.data)
    except CaseError as exc:
        audited_read(case, "edit")
        form.notice_given.errors = [str(exc)]
        return render_template(page, case=case, form=form, notice=privacy_service.case_notice(case)), 422
    db.session.commit()
    flash(_("Her privacy choices were recorded."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id) + "#privacy")


@bp.post("/<uuid:case_id>/privacy/<uuid:consent_id>/revoke")
@case_access("edit")
def revoke_explicit_consent(case: Case, consent_id: uuid.UUID):  # type: ignore[no-untyped-def]
    consent = privacy_service.find_consent(case, consent_id)
    if consent is None:
        access.deny("case.explicit-consent-revoke", object_type="consent", object_id=consent_id,
                    reason="not in case")
    assert consent is not None
    if not RevokeForm().validate_on_submit():
        audited_read(case, "edit")
        flash(_("The form expired. Try again."), "error")
    else:
        try:
            privacy_service.revoke_consent(consent, actor=current_user)
        except CaseError as exc:
            audited_read(case, "edit")
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The consent was withdrawn."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id) + "#privacy")


@bp.app_template_global("case_privacy")
def case_privacy(case: Case, with_rows: Collection[str] | None = None) -> dict[str, Any]:
    """The privacy section. ``with_rows``: the tables known to hold rows of the case (the case page's EXISTS probe);
    the notice or the consents are not queried when their table is not among them. None: query both."""
    def has(model: Any) -> bool:
        return with_rows is None or model.__tablename__ in with_rows

    return {"notice": privacy_service.case_notice(case) if has(PrivacyNotice) else None,
            "consents": privacy_service.case_consents(case) if has(ExplicitConsent) else [],
            "revoke_form": RevokeForm()}


@bp.app_template_global("privacy_label")
def privacy_label(table: str, key: str | None) -> str:
    labels: dict[str, Any] = {"notice": NOTICE_METHOD_LABELS, "purpose": CONSENT_PURPOSE_LABELS,
                              "method": CONSENT_METHOD_LABELS}[table]
    return str(labels.get(key or "", key or ""))
