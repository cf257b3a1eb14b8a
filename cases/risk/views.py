"""Risk assessment pages of a case (history, new assessment, one assessment) and the administrators' checklist page.

Case pages go through ``case_access`` (a case the user may not see is an audited 404). The checklist page is for
administrators only and shows the instrument's definition — never a case, a score or an assessment.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.db import db
from app.users.models import Role
from cases.core.access import case_access, in_case
from cases.core.blueprint import bp
from cases.core.errors import CaseClosed
from cases.core.labels import RISK_BADGES, RISK_LABELS, label
from cases.core.models import Case, RiskLevel
from cases.risk import services as risk_service
from cases.risk.forms import ANSWER_LABELS, REASSESSMENT_REASON_LABELS, ChecklistForm, assessment_form


def _locale() -> str:
    return str(get_locale() or "tr")


@bp.app_template_global("risk_summary")
def risk_summary(case: Case) -> dict[str, Any]:
    """What the case page's risk partial shows: the latest assessment and open re-assessment prompts."""
    latest = risk_service.latest_assessment(case)
    return {"latest": latest, "prompts": risk_service.open_prompts(case),
            "overdue": latest is not None and latest.is_overdue and not case.is_closed}


@bp.app_template_global("risk_label")
def risk_label(kind: str, key: Any) -> str:
    tables = {"level": RISK_LABELS, "badge": RISK_BADGES, "reason": REASSESSMENT_REASON_LABELS,
              "answer": ANSWER_LABELS}
    return label(tables[kind], key)


@bp.get("/<uuid:case_id>/risk")
@case_access("view")
def risk_history(case: Case):  # type: ignore[no-untyped-def]
    return render_template("cases/risk/history.html", case=case,
                           assessments=risk_service.assessment_history(case),
                           prompts=risk_service.open_prompts(case))


@bp.route("/<uuid:case_id>/risk/new", methods=["GET", "POST"])
@case_access("edit")
def new_risk_assessment(case: Case):  # type: ignore[no-untyped-def]
    checklist = risk_service.current_checklist()
    form = assessment_form(checklist, _locale())
    if request.method == "GET":
        return render_template("cases/risk/new.html", case=case, form=form, checklist=checklist)
    if not form.validate_on_submit():
        return render_template("cases/risk/new.html", case=case, form=form, checklist=checklist), 422
    try:
        assessment = risk_service.record_assessment(
            case, answers=form.answers(), actor=current_user,
            level=RiskLevel(form.level.data) if form.level.data else None,
            judgement_reason=form.judgement_reason.data,
            checklist=checklist,
        )
    except (risk_service.LevelLowered, risk_service.IncompleteAnswers) as exc:
        form.level.errors = [*form.level.errors, str(exc)]
        return render_template("cases/risk/new.html", case=case, form=form, checklist=checklist), 422
    except risk_service.JudgementReasonRequired as exc:
        form.judgement_reason.errors = [*form.judgement_reason.errors, str(exc)]
        return render_template("cases/risk/new.html", case=case, form=form, checklist=checklist), 422
    except CaseClosed as exc:
        flash(str(exc), "error")
        return redirect(url_for("cases.risk_history", case_id=case.public_id))
    db.session.commit()
    flash(_("Risk assessment saved: %(level)s (score %(score)s).",
            level=risk_service.level_label(assessment.level), score=assessment.score), "success")
    return redirect(url_for("cases.view_risk_assessment", case_id=case.public_id,
                            assessment_id=assessment.public_id))


@bp.get("/<uuid:case_id>/risk/<uuid:assessment_id>")
@case_access("view")
def view_risk_assessment(case: Case, assessment_id: uuid.UUID):  # type: ignore[no-untyped-def]
    assessment = in_case(risk_service.find_assessment(case, assessment_id), "risk_assessment", assessment_id)
    checklist = assessment.checklist
    answers = assessment.answers or {}
    rows = [(checklist.item_text(item, _locale()), item["weight"], answers.get(item["key"]))
            for item in checklist.items]
    return render_template("cases/risk/view.html", case=case, assessment=assessment, checklist=checklist,
                           rows=rows)


@bp.route("/risk-checklists", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def manage_risk_checklists():  # type: ignore[no-untyped-def]
    """The instrument's versions and a form to publish the next one (prefilled with the current version)."""
    current = risk_service.current_checklist()
    form = ChecklistForm()
    if request.method == "GET":
        form.fill_from(current)
        db.session.commit()  # the lazily seeded version 1, if there was none
        return render_template("cases/risk/checklists.html", form=form, current=current,
                               versions=risk_service.checklist_versions())
    status = 422
    if form.validate_on_submit():
        try:
            checklist = risk_service.publish_checklist(
                items=form.parsed_items, medium_threshold=form.medium_threshold.data,
                high_threshold=form.high_threshold.data, review_days=form.review_days(), actor=current_user)
        except risk_service.ChecklistInvalid as exc:
            form.items.errors = [*form.items.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Checklist version %(version)s published. New assessments use it; earlier assessments keep "
                    "their own version.", version=checklist.version), "success")
            return redirect(url_for("cases.manage_risk_checklists"))
    return render_template("cases/risk/checklists.html", form=form, current=current,
                           versions=risk_service.checklist_versions()), status
