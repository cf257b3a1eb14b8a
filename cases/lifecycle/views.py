"""Lifecycle pages: team and transfer (supervisor), closure (primary counsellor or supervisor), reopening
(supervisor), break-glass (counsellor) and its review (supervisor)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access
from app.auth import stepup
from app.db import db
from app.users.models import Centre, Role, User
from cases.core.access import audited_read, case_access
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.labels import CLOSURE_CHECKLIST_LABELS
from cases.core.models import Case
from cases.lifecycle import services as lifecycle_service
from cases.lifecycle.forms import (
    BreakGlassForm,
    CloseForm,
    ClosureDecisionForm,
    ReopenForm,
    ReviewForm,
    TeamForm,
    TransferForm,
)


def _team_form(case: Case, formdata: Any = None) -> TeamForm:
    counsellors = lifecycle_service.centre_counsellors(case.centre_id)
    form = TeamForm(formdata=formdata) if formdata is not None else TeamForm()
    options = [SelectChoice(str(u.public_id), u.name) for u in counsellors]
    form.primary.choices = [SelectChoice("", _("Choose a counsellor")), *options]
    form.members.choices = options
    if not form.is_submitted():
        primary = next((u for u in counsellors if u.id == case.primary_counsellor_id), None)
        form.primary.data = str(primary.public_id) if primary else ""
        form.members.data = [str(u.public_id) for u in lifecycle_service.team_members(case)]
    return form


def _transfer_form(case: Case) -> TransferForm:
    form = TransferForm()
    centres = db.session.scalars(sa.select(Centre).where(Centre.id != case.centre_id).order_by(Centre.name))
    form.centre.choices = [SelectChoice("", _("Choose a centre")),
                           *(SelectChoice(str(c.public_id), f"{c.code} · {c.name}") for c in centres)]
    return form


def _manage_page(case: Case, *, team_form: TeamForm | None = None, transfer_form: TransferForm | None = None,
                 status: int = 200) -> Any:
    return render_template("cases/lifecycle/manage.html", case=case, team_form=team_form or _team_form(case),
                           transfer_form=transfer_form or _transfer_form(case)), status


@bp.get("/<uuid:case_id>/manage")
@case_access("manage")
def manage_case(case: Case):  # type: ignore[no-untyped-def]
    return _manage_page(case)


def _users_by_public_id(case: Case, public_ids: list[str]) -> list[User]:
    wanted = []
    for value in public_ids:
        try:
            wanted.append(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    if not wanted:
        return []
    return list(db.session.scalars(sa.select(User).where(User.public_id.in_(wanted),
                                                         User.centre_id == case.centre_id)))


@bp.post("/<uuid:case_id>/team")
@case_access("manage")
def update_team(case: Case):  # type: ignore[no-untyped-def]
    form = _team_form(case)
    if not form.validate_on_submit():
        return _manage_page(case, team_form=form, status=422)
    primary = _users_by_public_id(case, [form.primary.data])
    members = _users_by_public_id(case, form.members.data or [])
    try:
        if not primary:
            raise lifecycle_service.InvalidAssignment(_("Choose active counsellors of this centre."))
        lifecycle_service.update_team(case, actor=current_user, primary=primary[0], members=members)
    except CaseError as exc:
        audited_read(case, "manage")
        form = _team_form(case, formdata=None)
        form.primary.errors = [str(exc)]
        return _manage_page(case, team_form=form, status=422)
    db.session.commit()
    flash(_("The team was updated."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.post("/<uuid:case_id>/transfer")
@case_access("manage")
def transfer_case(case: Case):  # type: ignore[no-untyped-def]
    form = _transfer_form(case)
    if not form.validate_on_submit():
        return _manage_page(case, transfer_form=form, status=422)
    try:
        to_centre = db.session.scalar(sa.select(Centre).where(Centre.public_id == uuid.UUID(form.centre.data)))
    except ValueError:
        to_centre = None
    number = case.number
    try:
        if to_centre is None:
            raise CaseError(_("Choose a centre."))
        lifecycle_service.transfer_case(case, actor=current_user, to_centre=to_centre, reason=form.reason.data)
    except CaseError as exc:
        audited_read(case, "manage")
        form = _transfer_form(case)
        form.centre.errors = [str(exc)]
        return _manage_page(case, transfer_form=form, status=422)
    db.session.commit()
    # The case now belongs to another centre: this supervisor can no longer open it.
    flash(_("Case %(number)s was transferred to %(centre)s.", number=number, centre=to_centre.name), "success")
    return redirect(url_for("cases.list_cases"))


def _close_page(case: Case, form: CloseForm, status: int = 200) -> Any:
    return render_template("cases/lifecycle/close.html", case=case, form=form,
                           pending=lifecycle_service.pending_closure(case),
                           is_supervisor=current_user.role == Role.SUPERVISOR,
                           high_risk=lifecycle_service.is_high_risk(case, None)), status


@bp.route("/<uuid:case_id>/close", methods=["GET", "POST"])
@case_access("close")
def close_case(case: Case):  # type: ignore[no-untyped-def]
    """The counsellor asks for closure; a supervisor closes directly (she is the approver)."""
    pending = lifecycle_service.pending_closure(case)
    if pending is not None and current_user.role == Role.SUPERVISOR:
        return redirect(url_for("cases.decide_closure", case_id=case.public_id))
    form = CloseForm()
    if not form.is_submitted():
        if case.risk_level is not None:
            form.risk_at_closure.data = case.risk_level.value
        return _close_page(case, form)
    if not form.validate():
        return _close_page(case, form, 422)
    data = {"reason": form.reason.data, "checklist": form.checklist.data or [],
            "explanation": form.explanation.data, "risk_at_closure": form.risk_at_closure.data}
    try:
        if current_user.role == Role.SUPERVISOR:
            lifecycle_service.close_case(case, actor=current_user, decision_note=form.decision_note.data, **data)
        else:
            lifecycle_service.request_closure(case, actor=current_user, **data)
    except CaseError as exc:
        audited_read(case, "close")
        target = form.decision_note if isinstance(exc, lifecycle_service.ClosureApprovalRequired) else form.explanation
        target.errors = [str(exc)]
        return _close_page(case, form, 422)
    db.session.commit()
    if case.is_closed:
        flash(_("Case %(number)s was closed.", number=case.number), "success")
    else:
        flash(_("Your closure request was sent to your supervisor. The case stays open until she decides."),
              "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.route("/<uuid:case_id>/closure-request", methods=["GET", "POST"])
@case_access("approve")
def decide_closure(case: Case):  # type: ignore[no-untyped-def]
    """The supervisor approves a closure request (and the case closes) or returns it with comments."""
    request_ = lifecycle_service.pending_closure(case)
    if request_ is None:
        flash(_("No closure request of this case is waiting for a decision."), "info")
        return redirect(url_for("cases.view_case", case_id=case.public_id))
    form = ClosureDecisionForm()
    page = "cases/lifecycle/decide.html"
    high_risk = lifecycle_service.is_high_risk(case, request_.risk_at_closure)
    if not form.is_submitted():
        return render_template(page, case=case, form=form, request_=request_, high_risk=high_risk)
    if not form.validate():
        return render_template(page, case=case, form=form, request_=request_, high_risk=high_risk), 422
    try:
        if form.decision.data == "approve":
            lifecycle_service.approve_closure(request_, actor=current_user, note=form.note.data)
        else:
            lifecycle_service.return_closure(request_, actor=current_user, comments=form.note.data or "")
    except CaseError as exc:
        audited_read(case, "approve")
        request_ = lifecycle_service.pending_closure(case)
        form.note.errors = [str(exc)]
        return render_template(page, case=case, form=form, request_=request_, high_risk=high_risk), 422
    db.session.commit()
    if case.is_closed:
        flash(_("Case %(number)s was closed.", number=case.number), "success")
    else:
        flash(_("The closure request was returned to the counsellor."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.route("/<uuid:case_id>/reopen", methods=["GET", "POST"])
@case_access("reopen")
def reopen_case(case: Case):  # type: ignore[no-untyped-def]
    form = ReopenForm()
    if not form.is_submitted():
        return render_template("cases/lifecycle/reopen.html", case=case, form=form)
    if not form.validate():
        return render_template("cases/lifecycle/reopen.html", case=case, form=form), 422
    try:
        lifecycle_service.reopen_case(case, actor=current_user, reason=form.reason.data)
    except CaseError as exc:
        audited_read(case, "reopen")
        form.reason.errors = [str(exc)]
        return render_template("cases/lifecycle/reopen.html", case=case, form=form), 422
    db.session.commit()
    flash(_("Case %(number)s was reopened.", number=case.number), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.route("/break-glass", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR)
@stepup.required
def break_glass():  # type: ignore[no-untyped-def]
    form = BreakGlassForm()
    hours = lifecycle_service.break_glass_hours()
    if not form.is_submitted():
        # From the search page: the case number she found there (a case number, never identity data).
        number = request.args.get("number", "")
        if number and len(number) <= 40 and number.isprintable():
            form.number.data = number
        return render_template("cases/lifecycle/break_glass.html", form=form, hours=hours)
    if not form.validate():
        return render_template("cases/lifecycle/break_glass.html", form=form, hours=hours), 422
    try:
        grant = lifecycle_service.grant_break_glass(actor=current_user, number=form.number.data,
                                                    reason=form.reason.data, category=form.category.data)
    except lifecycle_service.BreakGlassRefused:
        db.session.rollback()
        # The same answer for a missing number, another centre's number and a case she is already on.
        form.number.errors = [_("There is no case with that number that you can open this way.")]
        return render_template("cases/lifecycle/break_glass.html", form=form, hours=hours), 422
    db.session.commit()
    flash(_("Emergency access to case %(number)s is open for %(hours)s hours. Your supervisor will review it.",
            number=grant.case.number, hours=f"{hours:g}"), "warning")
    return redirect(url_for("cases.view_case", case_id=grant.case.public_id))


@bp.get("/break-glass/reviews")
@access.roles(Role.SUPERVISOR)
def break_glass_reviews():  # type: ignore[no-untyped-def]
    grants = lifecycle_service.grants_to_review(current_user)
    return render_template("cases/lifecycle/reviews.html", grants=grants, form=ReviewForm())


@bp.post("/break-glass/reviews")
@access.roles(Role.SUPERVISOR)
def review_break_glass():  # type: ignore[no-untyped-def]
    form = ReviewForm()
    grant_id = form.grant.data if form.validate_on_submit() else None
    try:
        grant = lifecycle_service.review_break_glass(int(grant_id or ""), actor=current_user)
    except (LookupError, ValueError):
        db.session.rollback()
        flash(_("That emergency access could not be found."), "error")
        return redirect(url_for("cases.break_glass_reviews"))
    db.session.commit()
    flash(_("Emergency access to case %(number)s marked as reviewed.", number=grant.case.number), "success")
    return redirect(url_for("cases.break_glass_reviews"))


CLOSURE_STATUS_LABELS = {"pending": _l("Waiting for a decision"), "approved": _l("Approved"),
                         "returned": _l("Returned with comments")}


@bp.app_template_global("closure_history")
def closure_history(case: Case) -> list[Any]:
    return lifecycle_service.closure_history(case)


@bp.app_template_global("closure_status_label")
def closure_status_label(status: str) -> str:
    return str(CLOSURE_STATUS_LABELS.get(status, status))


@bp.app_template_global("closure_checklist_labels")
def closure_checklist_labels() -> dict[str, Any]:
    return CLOSURE_CHECKLIST_LABELS
