"""Papers to print (see the package docstring). The scoped loader (``case_access("view")``) puts the read on record;
each paper adds what was printed (``case.print``; the case summary ``case.export``) before any of it leaves.

The referral letter and the consent form belong to one referral or consent *of this case* (another case's id is an
audited 404). A paper that must not exist answers 409 with the reason, and nothing is printed or recorded as printed:
a letter for a draft that could not be sent (no valid consent) or a discarded draft, a consent form for a consent she
revoked."""

from __future__ import annotations

import uuid
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import access, audit
from app.auth import stepup
from app.dates import local_today
from app.users.models import Role
from cases.casefile.page import case_page_context
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.models import Case
from cases.papers.services import blot_names
from cases.plans import services as plans_service
from cases.plans.models import SAFETY_PLAN_SECTIONS
from cases.referrals import services as referrals_service
from cases.referrals.models import ConsentRecord, Referral

# The discreet copy's headings say what each part is to her, not that it is a safety plan.
DISCREET_LABELS = {
    "safe_contacts": _l("People"), "code_word": _l("Word"), "escape_route": _l("Way out"), "safe_place": _l("Place"),
    "documents_money": _l("Papers and money"), "children": _l("Children"), "digital": _l("Phone"),
    "work_school": _l("Work and school"), "other": _l("Other"),
}


def _on_record(case: Case, action: str, paper: str, **details: Any) -> None:
    # SECURITY: what was printed, by whom, is on record before the page leaves (fail closed).
    audit.record(action, object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"paper": paper, **details})
    access.commit_read()


@bp.get("/<uuid:case_id>/papers/safety-plan")
@case_access("view")
@stepup.required
def print_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    discreet = request.args.get("discreet") == "1"
    plan = plans_service.approved_safety_plan(case)
    versions = plans_service.safety_plan_versions(case) if plan is None else []
    plan = plan or (versions[0] if versions else None)
    _on_record(case, "case.print", "safety-plan", discreet=discreet,
               version=plan.version if plan is not None else None)
    content = dict(plan.sections or {}) if plan is not None else {}
    if discreet:  # nothing on it names him, her centre or what the paper is
        names = [p.full_name for p in case.perpetrators]
        content = {key: blot_names(value, names) if isinstance(value, str) else value
                   for key, value in content.items()}
    return render_template("cases/papers/safety_plan.html", case=case, plan=plan, content=content,
                           sections=SAFETY_PLAN_SECTIONS, discreet=discreet, today=local_today(),
                           discreet_label=lambda key: str(DISCREET_LABELS.get(key, "")))


@bp.get("/<uuid:case_id>/papers/summary")
@case_access("view")
@stepup.required
def print_case_summary(case: Case):  # type: ignore[no-untyped-def]
    _on_record(case, "case.export", "case-summary")
    context = case_page_context(case)
    return render_template("cases/papers/summary.html", today=local_today(), **context)


@bp.get("/<uuid:case_id>/papers/kvkk")
@case_access("view")
@stepup.required
def print_kvkk_notice(case: Case):  # type: ignore[no-untyped-def]
    _on_record(case, "case.print", "kvkk-notice")
    return render_template("cases/papers/kvkk.html", case=case, applicant=case.applicant, today=local_today(),
                           counsellor=current_user if current_user.role == Role.COUNSELLOR else
                           case.primary_counsellor)


def _cannot_print(case: Case, message: str) -> tuple[str, int]:
    return render_template("cases/papers/cannot_print.html", case=case, message=message), 409


def _referral_or_404(case: Case, referral_id: uuid.UUID) -> Referral:
    referral = referrals_service.find_referral(case, referral_id)
    if referral is None:
        access.deny("referral.print", object_type="referral", object_id=referral_id, reason="not in case")
    assert referral is not None
    return referral


def letter_problem(referral: Referral) -> str | None:
    """Why no letter can be printed for ``referral`` (None when it can). A sent referral went under her consent or an
    override, checked when it was sent; a draft only prints what could be sent today."""
    if referral.sent_at is not None:
        return None
    if referral.status != "draft":
        return _("This draft was discarded: nothing was sent, so there is no letter to print.")
    problem = referrals_service.consent_problem(referral)
    if problem is not None:
        return _("The letter cannot be printed before her consent covers this referral. %(problem)s", problem=problem)
    return None


@bp.get("/<uuid:case_id>/referrals/<uuid:referral_id>/letter")
@case_access("edit")
@stepup.required
def print_referral_letter(case: Case, referral_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The referral letter: exactly what the preview shows (the same sections), to whom, why, under which consent."""
    referral = _referral_or_404(case, referral_id)
    problem = letter_problem(referral)
    if problem is not None:
        return _cannot_print(case, problem)
    _on_record(case, "case.print", "referral-letter", referral=str(referral.public_id))
    return render_template("cases/papers/referral_letter.html", case=case, referral=referral, today=local_today(),
                           sections=referrals_service.build_preview(referral),
                           counsellor=referral.sent_by or referral.created_by)


@bp.get("/<uuid:case_id>/consents/<uuid:consent_id>/form")
@case_access("view")
@stepup.required
def print_consent_form(case: Case, consent_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Her consent as a form to sign: which institution may receive which information, from when until when.

    ``?discreet=1`` is her own copy to keep, like the discreet safety-plan copy: what she agreed to and that she can
    withdraw it, with no title, no centre name, no names (hers, the counsellor's, a witness's) and no signatures."""
    discreet = request.args.get("discreet") == "1"
    consent: ConsentRecord | None = referrals_service.find_consent(case, consent_id)
    if consent is None:
        access.deny("consent.print", object_type="consent", object_id=consent_id, reason="not in case")
    assert consent is not None
    if consent.is_revoked:
        return _cannot_print(case, _("She revoked this consent: it cannot be printed for signing. Record a new "
                                     "consent if she agrees again."))
    _on_record(case, "case.print", "consent-form", consent=str(consent.public_id), discreet=discreet)
    return render_template("cases/papers/consent_form.html", case=case, consent=consent, applicant=case.applicant,
                           today=local_today(), class_labels=referrals_service.DATA_CLASS_LABELS,
                           discreet=discreet)
