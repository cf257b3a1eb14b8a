"""Safety-plan and support-plan pages of a case.

Safety plan: view (current and history), edit (a draft), submit; approve and return are the supervisor's
(``case_access("approve")``: a counsellor gets the audited 404). Support plan: goals by domain, actions with owner,
due date and status, progress notes, plan reviews. Every mutating request commits once, then redirects.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.db import db
from cases.core import policies
from cases.core.access import case_access, in_case
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.labels import label
from cases.core.models import Case
from cases.plans import services as plans_service
from cases.plans.forms import (
    ACTION_STATUS_BADGES,
    ACTION_STATUS_LABELS,
    DOMAIN_LABELS,
    GOAL_STATUS_LABELS,
    KADES_LABELS,
    OWNER_LABELS,
    PLAN_STATUS_BADGES,
    PLAN_STATUS_LABELS,
    SECTION_LABELS,
    ActionForm,
    ActionUpdateForm,
    ApproveForm,
    GoalForm,
    GoalStatusForm,
    ReturnForm,
    ReviewForm,
    SafetyPlanForm,
)
from cases.plans.models import SAFETY_PLAN_SECTIONS, ActionOwner, ActionStatus, GoalStatus, SupportAction

LABELS: dict[str, dict[str, Any]] = {
    "section": SECTION_LABELS, "kades": KADES_LABELS, "plan_status": PLAN_STATUS_LABELS,
    "plan_badge": PLAN_STATUS_BADGES, "domain": DOMAIN_LABELS, "goal_status": GOAL_STATUS_LABELS,
    "action_status": ACTION_STATUS_LABELS, "action_badge": ACTION_STATUS_BADGES, "owner": OWNER_LABELS,
}


@bp.app_template_global("plans_label")
def plans_label(kind: str, key: Any) -> str:
    return label(LABELS[kind], key)


@bp.app_template_global("plans_can")
def plans_can(action: str, case: Case) -> bool:
    user = current_user._get_current_object()  # the user, not the proxy: one look-up, not one per attribute
    return user.is_authenticated and policies.can(user, action, case)


@bp.app_template_global("safety_plan_summary")
def safety_plan_summary(case: Case) -> plans_service.SafetyPlanStatus:
    return plans_service.safety_plan_status(case)


@bp.app_template_global("support_plan_summary")
def support_plan_summary(case: Case) -> dict[str, Any]:
    return {"open_actions": plans_service.open_actions(case), "goals": len(plans_service.support_goals(case))}


def _to_safety_plan(case: Case) -> Any:
    return redirect(url_for("cases.view_safety_plan", case_id=case.public_id))


def _to_support_plan(case: Case) -> Any:
    return redirect(url_for("cases.view_support_plan", case_id=case.public_id))


# --- safety plan -----------------------------------------------------------------------------------------------

def _safety_plan_page(case: Case, status: int = 200, approve_form: ApproveForm | None = None,
                      return_form: ReturnForm | None = None) -> Any:
    versions = plans_service.safety_plan_versions(case)
    shown = versions[0] if versions else None
    version_arg = request.args.get("version", type=int) if request.method == "GET" else None
    if version_arg is not None:
        shown = next((v for v in versions if v.version == version_arg), None)
        if shown is None:
            abort(404)
    return render_template(
        "cases/plans/safety_plan.html", case=case, versions=versions, shown=shown,
        latest=versions[0] if versions else None, summary=plans_service.safety_plan_status(case),
        sections=SAFETY_PLAN_SECTIONS, approve_form=approve_form or ApproveForm(),
        return_form=return_form or ReturnForm(),
    ), status


@bp.get("/<uuid:case_id>/safety-plan")
@case_access("view")
def view_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    return _safety_plan_page(case)


@bp.route("/<uuid:case_id>/safety-plan/edit", methods=["GET", "POST"])
@case_access("edit")
def edit_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    latest = plans_service.latest_safety_plan(case)
    form = SafetyPlanForm()
    if request.method == "GET":
        if latest is not None:
            form.fill_from(latest.sections)
        return render_template("cases/plans/safety_plan_edit.html", case=case, form=form, latest=latest)
    if not form.validate_on_submit():
        return render_template("cases/plans/safety_plan_edit.html", case=case, form=form, latest=latest), 422
    try:
        plan = plans_service.save_safety_plan(case, form.sections(), actor=current_user)
    except CaseError as exc:
        form.form_errors.append(str(exc))
        return render_template("cases/plans/safety_plan_edit.html", case=case, form=form, latest=latest), 422
    db.session.commit()
    flash(_("Safety plan saved as a draft (version %(v)s). Submit it for review when it is ready.", v=plan.version),
          "success")
    return _to_safety_plan(case)


@bp.post("/<uuid:case_id>/safety-plan/submit")
@case_access("edit")
def submit_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    try:
        plan = plans_service.submit_safety_plan(case, actor=current_user)
    except CaseError as exc:
        flash(str(exc), "error")
        return _to_safety_plan(case)
    db.session.commit()
    flash(_("Version %(v)s submitted for a supervisor's review.", v=plan.version), "success")
    return _to_safety_plan(case)


@bp.post("/<uuid:case_id>/safety-plan/approve")
@case_access("approve")
def approve_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    form = ApproveForm()
    if not form.validate_on_submit():
        return _safety_plan_page(case, 422, approve_form=form)
    try:
        plan = plans_service.approve_safety_plan(case, actor=current_user, review_due_on=form.review_due_on.data)
    except CaseError as exc:
        form.review_due_on.errors = [*form.review_due_on.errors, str(exc)]
        return _safety_plan_page(case, 422, approve_form=form)
    db.session.commit()
    flash(_("Safety plan version %(v)s approved.", v=plan.version), "success")
    return _to_safety_plan(case)


@bp.post("/<uuid:case_id>/safety-plan/return")
@case_access("approve")
def return_safety_plan(case: Case):  # type: ignore[no-untyped-def]
    form = ReturnForm()
    if not form.validate_on_submit():
        return _safety_plan_page(case, 422, return_form=form)
    try:
        plan = plans_service.return_safety_plan(case, actor=current_user, comments=form.comments.data)
    except CaseError as exc:
        form.comments.errors = [*form.comments.errors, str(exc)]
        return _safety_plan_page(case, 422, return_form=form)
    db.session.commit()
    flash(_("Safety plan version %(v)s returned to the counsellor with your comments.", v=plan.version), "success")
    return _to_safety_plan(case)


# --- support plan ----------------------------------------------------------------------------------------------

def _owner_fields(case: Case, form: Any) -> tuple[ActionOwner, int | None]:
    value = form.owner.data
    if value in (ActionOwner.WOMAN.value, ActionOwner.EXTERNAL.value):
        return ActionOwner(value), None
    staff = {str(u.public_id): u.id for u in plans_service.staff_owners(case)}
    return ActionOwner.STAFF, staff.get(value)


@bp.get("/<uuid:case_id>/support-plan")
@case_access("view")
def view_support_plan(case: Case):  # type: ignore[no-untyped-def]
    goals = plans_service.support_goals(case)
    by_domain = [(domain, [g for g in goals if g.domain == domain]) for domain in DOMAIN_LABELS]
    return render_template("cases/plans/support_plan.html", case=case, by_domain=[d for d in by_domain if d[1]],
                           goals=goals, reviews=plans_service.support_reviews(case))


@bp.route("/<uuid:case_id>/support-plan/goals/new", methods=["GET", "POST"])
@case_access("edit")
def new_support_goal(case: Case):  # type: ignore[no-untyped-def]
    form = GoalForm()
    if request.method == "GET":
        form.domain.data = request.args.get("domain") if request.args.get("domain") in DOMAIN_LABELS else ""
        return render_template("cases/plans/goal_new.html", case=case, form=form)
    if not form.validate_on_submit():
        return render_template("cases/plans/goal_new.html", case=case, form=form), 422
    try:
        plans_service.add_goal(case, domain=form.domain.data, goal=form.goal.data, need=form.need.data,
                               actor=current_user)
    except CaseError as exc:
        form.form_errors.append(str(exc))
        return render_template("cases/plans/goal_new.html", case=case, form=form), 422
    db.session.commit()
    flash(_("Goal added."), "success")
    return _to_support_plan(case)


@bp.post("/<uuid:case_id>/support-plan/goals/<uuid:goal_id>/status")
@case_access("edit")
def update_support_goal(case: Case, goal_id: uuid.UUID):  # type: ignore[no-untyped-def]
    goal = in_case(plans_service.find_goal(case, goal_id), "support_goal", goal_id)
    form = GoalStatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status from the list."), "error")
        return _to_support_plan(case)
    try:
        plans_service.update_goal(goal, status=GoalStatus(form.status.data), actor=current_user)
    except CaseError as exc:
        flash(str(exc), "error")
        return _to_support_plan(case)
    db.session.commit()
    flash(_("Goal updated."), "success")
    return _to_support_plan(case)


@bp.route("/<uuid:case_id>/support-plan/goals/<uuid:goal_id>/actions/new", methods=["GET", "POST"])
@case_access("edit")
def new_support_action(case: Case, goal_id: uuid.UUID):  # type: ignore[no-untyped-def]
    goal = in_case(plans_service.find_goal(case, goal_id), "support_goal", goal_id)
    form = ActionForm()
    form.fill_owner_choices(plans_service.staff_owners(case))
    if request.method == "GET":
        form.owner.data = str(current_user.public_id)
        return render_template("cases/plans/action_form.html", case=case, form=form, goal=goal, action=None)
    if not form.validate_on_submit():
        return render_template("cases/plans/action_form.html", case=case, form=form, goal=goal, action=None), 422
    owner_kind, owner_id = _owner_fields(case, form)
    try:
        plans_service.add_action(goal, description=form.description.data, owner_kind=owner_kind,
                                 owner_user_id=owner_id, due_on=form.due_on.data, actor=current_user)
    except CaseError as exc:
        form.owner.errors = [*form.owner.errors, str(exc)]
        return render_template("cases/plans/action_form.html", case=case, form=form, goal=goal, action=None), 422
    db.session.commit()
    flash(_("Action added."), "success")
    return _to_support_plan(case)


def _fill_action(form: ActionUpdateForm, action: SupportAction) -> None:
    form.status.data = action.status.value
    form.due_on.data = action.due_on
    if action.owner_kind == ActionOwner.STAFF and action.owner_user is not None:
        form.owner.data = str(action.owner_user.public_id)
    else:
        form.owner.data = action.owner_kind.value


@bp.route("/<uuid:case_id>/support-plan/actions/<uuid:action_id>", methods=["GET", "POST"])
@case_access("edit")
def edit_support_action(case: Case, action_id: uuid.UUID):  # type: ignore[no-untyped-def]
    action = in_case(plans_service.find_action(case, action_id), "support_action", action_id)
    form = ActionUpdateForm()
    form.fill_owner_choices(plans_service.staff_owners(case))
    context = {"case": case, "form": form, "goal": action.goal, "action": action}
    if request.method == "GET":
        _fill_action(form, action)
        return render_template("cases/plans/action_form.html", **context)
    if not form.validate_on_submit():
        return render_template("cases/plans/action_form.html", **context), 422
    owner_kind, owner_id = _owner_fields(case, form)
    try:
        plans_service.update_action(action, status=ActionStatus(form.status.data), owner_kind=owner_kind,
                                    owner_user_id=owner_id, due_on=form.due_on.data, note=form.note.data,
                                    actor=current_user)
    except CaseError as exc:
        form.owner.errors = [*form.owner.errors, str(exc)]
        return render_template("cases/plans/action_form.html", **context), 422
    db.session.commit()
    flash(_("Action updated."), "success")
    return _to_support_plan(case)


@bp.route("/<uuid:case_id>/support-plan/reviews/new", methods=["GET", "POST"])
@case_access("edit")
def new_support_review(case: Case):  # type: ignore[no-untyped-def]
    form = ReviewForm()
    if request.method == "GET":
        return render_template("cases/plans/review_new.html", case=case, form=form)
    if not form.validate_on_submit():
        return render_template("cases/plans/review_new.html", case=case, form=form), 422
    try:
        plans_service.add_review(case, reviewed_on=form.reviewed_on.data, summary=form.summary.data,
                                 next_review_on=form.next_review_on.data, actor=current_user)
    except CaseError as exc:
        form.form_errors.append(str(exc))
        return render_template("cases/plans/review_new.html", case=case, form=form), 422
    db.session.commit()
    flash(_("Plan review recorded."), "success")
    return _to_support_plan(case)
