"""Consent and referral pages of a case: the list (consents, referrals, new-consent and new-referral forms), a
referral's page with its status form (and, for a draft, discarding it), editing a draft, the preview of exactly what
leaves, and sending from the preview.

Every view goes through ``case_access`` (404 + audited denial for anyone who may not act on the case); a consent or
referral id is then looked up *within that case*, so another case's id is a 404 too. Reading the list needs "view";
the preview (which decrypts what would be shared), the edit form and every change need "edit".
A page re-shown after a refused change puts its read on record first (``_refused``).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import access
from app.db import db
from app.numbers import number
from app.users.models import Role, User
from cases.casefile.page import case_page_url
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.models import Case
from cases.core.policies import can
from cases.referrals import services as svc
from cases.referrals.forms import (
    ConsentForm,
    OverrideReferralForm,
    ReferralForm,
    ReferralStatusForm,
    RevokeConsentForm,
    SendReferralForm,
)
from cases.referrals.models import REFERRAL_TRANSITIONS, ConsentRecord, Referral


def _colleagues(case: Case) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).where(User.centre_id == case.centre_id, User.is_active.is_(True),
                              User.role.in_((Role.COUNSELLOR, Role.SUPERVISOR))).order_by(User.name)
    ))


def describe_consent(consent: ConsentRecord) -> str:
    label = str(svc.INSTITUTION_LABELS.get(consent.institution_type, consent.institution_type))
    name = f" · {consent.institution_name}" if consent.institution_name else ""
    return _("%(institution)s%(name)s · until %(date)s · %(classes)s", institution=label, name=name,
             date=format_date(consent.valid_until), classes=svc.class_list(consent.data_classes))


def _consent_form(case: Case) -> ConsentForm:
    form = ConsentForm()
    form.fill_witnesses(_colleagues(case))
    return form


def _referral_form(case: Case, *, formdata: bool = True, current: ConsentRecord | None = None,
                   **data: Any) -> ReferralForm:
    """The referral form with her usable consents as choices; when editing a draft, also the consent it is linked
    to now (even if no longer usable: the preview then says why it cannot be sent), so that saving a correction
    never drops the link unseen."""
    form = ReferralForm(**data) if formdata else ReferralForm(formdata=None, **data)
    today = svc.local_today()
    consents = svc.usable_consents(case, today)
    if current is not None and all(c.id != current.id for c in consents):
        consents.append(current)

    def describe(consent: ConsentRecord) -> str:
        if consent.is_usable(today):
            return describe_consent(consent)
        return _("%(consent)s (not valid today)", consent=describe_consent(consent))

    form.fill_consents(consents, describe)
    return form


def _refused(case: Case) -> None:
    """Before re-showing a page after a refused change: drop what the request did. The read of the page is already
    on record (``case_access`` commits the access decision before the view runs, for every method)."""
    db.session.rollback()


def _render_list(case: Case, *, consent_form: ConsentForm | None = None,
                 referral_form: ReferralForm | None = None, status: int = 200) -> tuple[str, int]:
    if consent_form is None:
        consent_form = ConsentForm(formdata=None, given_on=svc.local_today())
        consent_form.fill_witnesses(_colleagues(case))
    if referral_form is None:
        referral_form = ReferralForm(formdata=None)
        referral_form.fill_consents(svc.usable_consents(case), describe_consent)
    today = svc.local_today()
    context: dict[str, Any] = {
        "case": case,
        "case_url": case_page_url(case),
        "consents": svc.case_consents(case),
        "referrals": svc.case_referrals(case),
        "consent_form": consent_form,
        "referral_form": referral_form,
        "revoke_form": RevokeConsentForm(formdata=None),
        "can_edit": can(current_user, "edit", case),
        "today": today,
        "labels": svc,
    }
    return render_template("cases/referrals/list.html", **context), status


def _referral_or_404(case: Case, referral_id: uuid.UUID) -> Referral:
    referral = svc.find_referral(case, referral_id)
    if referral is None:
        access.deny("referral.view", object_type="referral", object_id=referral_id, reason="not in case")
    assert referral is not None
    return referral


def _to_list(case: Case) -> Response:
    return redirect(url_for("cases.list_referrals", case_id=case.public_id))


@bp.get("/<uuid:case_id>/referrals")
@case_access("view")
def list_referrals(case: Case):  # type: ignore[no-untyped-def]
    return _render_list(case)


@bp.post("/<uuid:case_id>/consents")
@case_access("edit")
def create_consent(case: Case):  # type: ignore[no-untyped-def]
    form = _consent_form(case)
    if not form.validate_on_submit():
        _refused(case)
        return _render_list(case, consent_form=form, status=422)
    witness = None
    if form.witnessed_by.data:
        witness = next((u for u in _colleagues(case) if str(u.public_id) == form.witnessed_by.data), None)
    try:
        svc.record_consent(
            case, actor=current_user, institution_type=form.institution_type.data or "",
            institution_name=form.institution_name.data, data_classes=list(form.data_classes.data or []),
            method=form.method.data or "", given_on=form.given_on.data, valid_until=form.valid_until.data,
            witnessed_by=witness, witness_text=form.witness_text.data,
        )
    except CaseError as exc:
        form.form_errors.append(str(exc))
        _refused(case)
        return _render_list(case, consent_form=form, status=422)
    db.session.commit()
    flash(_("Consent recorded."), "success")
    return _to_list(case)


@bp.post("/<uuid:case_id>/consents/<uuid:consent_id>/revoke")
@case_access("edit")
def revoke_consent(case: Case, consent_id: uuid.UUID):  # type: ignore[no-untyped-def]
    consent = svc.find_consent(case, consent_id)
    if consent is None:
        access.deny("consent.revoke", object_type="consent", object_id=consent_id, reason="not in case")
    assert consent is not None
    form = RevokeConsentForm()
    if not form.validate_on_submit():
        flash(_("The consent was not revoked: %(problem)s",
                problem="; ".join(str(e) for errors in form.errors.values() for e in errors)), "error")
        _refused(case)
        return _render_list(case, status=422)
    try:
        affected = svc.revoke_consent(consent, actor=current_user, reason=form.reason.data)
    except CaseError as exc:
        flash(str(exc), "error")
        _refused(case)
        return _render_list(case, status=422)
    db.session.commit()
    flash(_("Consent revoked. It can no longer be used for a referral."), "success")
    if affected:
        flash(_("%(count)s referral(s) already sent under this consent are open: tell those institutions that "
                "she withdrew her consent.", count=number(len(affected))), "warning")
    return _to_list(case)


@bp.post("/<uuid:case_id>/referrals")
@case_access("edit")
def create_referral(case: Case):  # type: ignore[no-untyped-def]
    form = _referral_form(case)
    if not form.validate_on_submit():
        _refused(case)
        return _render_list(case, referral_form=form, status=422)
    consent = svc.find_consent(case, uuid.UUID(form.consent.data)) if form.consent.data else None
    try:
        referral = svc.create_referral(case, actor=current_user, consent=consent, **form.draft_fields())
    except CaseError as exc:
        form.form_errors.append(str(exc))
        _refused(case)
        return _render_list(case, referral_form=form, status=422)
    db.session.commit()
    flash(_("Referral saved as a draft. Check what will be shared, then send it."), "success")
    return redirect(url_for("cases.preview_referral", case_id=case.public_id, referral_id=referral.public_id))


def _render_edit(case: Case, referral: Referral, form: ReferralForm, status: int = 200) -> tuple[str, int]:
    return render_template("cases/referrals/edit.html", case=case, referral=referral, form=form,
                           case_url=case_page_url(case)), status


def _not_editable(case: Case, referral: Referral, message: str) -> tuple[str, int]:
    return render_template("cases/referrals/not_editable.html", case=case, referral=referral,
                           message=message), 409


@bp.route("/<uuid:case_id>/referrals/<uuid:referral_id>/edit", methods=["GET", "POST"])
@case_access("edit")
def edit_referral(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Correct a draft (the same form and rules as creating one). A sent or closed referral answers 409. Saving
    leads back to the preview: any change to what leaves the centre makes an earlier preview unsendable."""
    referral = _referral_or_404(case, referral_id)
    try:
        svc.ensure_editable(referral)
    except svc.ReferralNotEditable as exc:
        return _not_editable(case, referral, str(exc))
    if request.method != "POST":
        form = _referral_form(
            case, formdata=False, current=referral.consent,
            institution_type=referral.institution_type, institution_name=referral.institution_name,
            contact_person=referral.contact_person, notes=referral.notes, data_classes=list(referral.data_classes),
            consent=str(referral.consent.public_id) if referral.consent else "", follow_up_on=referral.follow_up_on,
        )
        return _render_edit(case, referral, form)
    form = _referral_form(case, current=referral.consent)
    if not form.validate():
        return _render_edit(case, referral, form, 422)
    consent = svc.find_consent(case, uuid.UUID(form.consent.data)) if form.consent.data else None
    try:
        changed = svc.edit_referral(referral, actor=current_user, consent=consent, **form.draft_fields())
    except svc.ReferralNotEditable as exc:  # sent from another tab meanwhile
        _refused(case)
        return _not_editable(case, _referral_or_404(case, referral_id), str(exc))
    except CaseError as exc:
        _refused(case)
        form.form_errors.append(str(exc))
        return _render_edit(case, _referral_or_404(case, referral_id), form, 422)
    db.session.commit()
    if changed:
        flash(_("Draft updated. Check what will be shared, then send it."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("cases.preview_referral", case_id=case.public_id, referral_id=referral.public_id))


def _render_referral(case: Case, referral: Referral, *, status_form: ReferralStatusForm | None = None,
                     status: int = 200) -> tuple[str, int]:
    return render_template(
        "cases/referrals/view.html", case=case, referral=referral, case_url=case_page_url(case),
        status_form=status_form or ReferralStatusForm(formdata=None),
        next_statuses=sorted(REFERRAL_TRANSITIONS.get(referral.status, frozenset()) - {"sent"}),
        consent_problem=svc.consent_problem(referral) if referral.status == "draft" else None,
        can_edit=can(current_user, "edit", case), today=svc.local_today(), labels=svc,
    ), status


@bp.get("/<uuid:case_id>/referrals/<uuid:referral_id>")
@case_access("view")
def view_referral(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _render_referral(case, _referral_or_404(case, referral_id))


def _render_preview(case: Case, referral: Referral, *, form: SendReferralForm | None = None,
                    override_form: OverrideReferralForm | None = None, status: int = 200) -> tuple[str, int]:
    digest = svc.preview_digest(referral)
    form = form or SendReferralForm(formdata=None)
    override_form = override_form or OverrideReferralForm(formdata=None)
    form.digest.data = override_form.override_digest.data = digest
    return render_template(
        "cases/referrals/preview.html", case=case, referral=referral, case_url=case_page_url(case),
        sections=svc.build_preview(referral), consent_problem=svc.consent_problem(referral),
        form=form, override_form=override_form, labels=svc,
    ), status


@bp.get("/<uuid:case_id>/referrals/<uuid:referral_id>/preview")
@case_access("edit")
def preview_referral(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    referral = _referral_or_404(case, referral_id)
    if referral.status != "draft":
        flash(_("This referral was already sent or closed."), "info")
        return redirect(url_for("cases.view_referral", case_id=case.public_id, referral_id=referral.public_id))
    return _render_preview(case, referral)


@bp.post("/<uuid:case_id>/referrals/<uuid:referral_id>/send")
@case_access("edit")
def send_referral(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Send from the preview: with a valid consent (``SendReferralForm``) or under an emergency override
    (``OverrideReferralForm``, recognised by its own fields).

    When the referral (or a value it shares) changed after the preview was shown, nothing is sent: the preview is
    shown again with what would leave now, and the confirmation must be given again."""
    referral = _referral_or_404(case, referral_id)
    override = OverrideReferralForm()
    if override.override_digest.raw_data:
        if not override.validate_on_submit():
            _refused(case)
            return _render_preview(case, _referral_or_404(case, referral_id), override_form=override, status=422)
        try:
            svc.send_referral(referral, actor=current_user, digest=override.override_digest.data,
                              override_reason=override.override_reason.data or "")
        except CaseError as exc:
            _refused(case)
            if isinstance(exc, svc.PreviewOutdated):
                override.override_confirm.data = False  # she must check the new preview before confirming
            override.override_reason.errors = [*override.override_reason.errors, str(exc)]
            return _render_preview(case, _referral_or_404(case, referral_id), override_form=override, status=422)
    else:
        form = SendReferralForm()
        if not form.validate_on_submit():
            _refused(case)
            return _render_preview(case, _referral_or_404(case, referral_id), form=form, status=422)
        try:
            svc.send_referral(referral, actor=current_user, digest=form.digest.data)
        except CaseError as exc:
            _refused(case)
            if isinstance(exc, svc.PreviewOutdated):
                form.confirm.data = False  # she must check the new preview before confirming
            form.form_errors.append(str(exc))
            return _render_preview(case, _referral_or_404(case, referral_id), form=form, status=422)
    db.session.commit()
    if referral.is_override:
        flash(_("Referral sent under an emergency override. Your supervisor will review it."), "warning")
    else:
        flash(_("Referral marked as sent."), "success")
    return redirect(url_for("cases.view_referral", case_id=case.public_id, referral_id=referral.public_id))


@bp.post("/<uuid:case_id>/referrals/<uuid:referral_id>/status")
@case_access("edit")
def update_referral_status(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Record what happened; for a draft, the only move is withdrawn (the draft page's "Discard draft")."""
    referral = _referral_or_404(case, referral_id)
    form = ReferralStatusForm()
    if not form.validate_on_submit():
        _refused(case)
        return _render_referral(case, _referral_or_404(case, referral_id), status_form=form, status=422)
    previous = referral.status
    try:
        svc.change_referral_status(referral, actor=current_user, status=form.status.data or "",
                                   outcome=form.outcome.data or None, outcome_text=form.outcome_text.data,
                                   follow_up_on=form.follow_up_on.data)
    except CaseError as exc:
        _refused(case)
        form.status.errors = [*form.status.errors, str(exc)]
        return _render_referral(case, _referral_or_404(case, referral_id), status_form=form, status=422)
    db.session.commit()
    if previous == "draft" and referral.status == "withdrawn":
        flash(_("Draft discarded. Nothing was sent."), "success")
    else:
        flash(_("Referral updated."), "success")
    return redirect(url_for("cases.view_referral", case_id=case.public_id, referral_id=referral.public_id))


_LABELS: dict[str, dict[str, Any]] = {
    "institution": svc.INSTITUTION_LABELS, "class": svc.DATA_CLASS_SHORT, "class_long": svc.DATA_CLASS_LABELS,
    "method": svc.METHOD_LABELS, "status": svc.STATUS_LABELS, "outcome": svc.OUTCOME_LABELS,
}
STATUS_BADGES = {"draft": "muted", "sent": "warning", "accepted": "ok", "declined": "danger", "completed": "ok",
                 "withdrawn": "muted"}


@bp.app_template_global("referral_label")
def referral_label(kind: str, key: str | None) -> str:
    """The translated label of a referral vocabulary key (``kind``: institution, class, class_long, method, status,
    outcome); ``"badge"`` gives the badge kind of a status."""
    if kind == "badge":
        return STATUS_BADGES.get(key or "", "")
    return str(_LABELS[kind].get(key or "", key or ""))


@bp.app_template_global("referrals_summary")
def referrals_summary(case: Case) -> dict[str, Any]:
    """What the case page's referral card shows: open and draft referrals, valid consents, follow-ups."""
    today = svc.local_today()
    referrals = svc.case_referrals(case)
    return {
        "active": [r for r in referrals if r.status in ("draft", "sent", "accepted")],
        "closed_count": sum(1 for r in referrals if r.status not in ("draft", "sent", "accepted")),
        "usable_consents": len(svc.usable_consents(case, today)),
        "today": today,
    }
