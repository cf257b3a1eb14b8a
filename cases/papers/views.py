"""Papers to print (see the package docstring). The scoped loader (``case_access("view")``) puts the read on record;
each paper adds what was printed (``case.print``; the case summary ``case.export``) before any of it leaves."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
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
