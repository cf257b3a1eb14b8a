"""Admissions and stays: admitting or declining a request, the household page (the resident view, moves,
extensions, discharge), a request for a place from a case, and the case page's shelter partial."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app import access, audit
from app.dates import local_today
from app.db import db
from app.users.models import Role
from cases.core.policies import load_case_for
from shelters.admissions import forms
from shelters.admissions import services as stays
from shelters.admissions.resident_view import resident_view
from shelters.board import services as board_service
from shelters.core import labels
from shelters.core.blueprint import bed_of, bp, committed, refuse, shelter_access, status_for, within_shelter
from shelters.core.errors import ShelterError
from shelters.core.models import AdmissionRequest, RequestStatus, Shelter
from shelters.core.policies import can

# --- admission ----------------------------------------------------------------------------------------------------

def _bed_choices(shelter: Shelter) -> list[SelectChoice]:
    return [SelectChoice(str(b.public_id), f"{b.room.name} · {b.label}") for b in stays.shelter_beds(shelter)]


def _resident_view_on_record(req: Any) -> None:
    # SECURITY: the resident view is a read of case data, whatever the method (a refused form shows it again): on
    # record, with the case number, before it is shown. Callers render it before a change or after a rollback.
    audit.record("shelter.resident-view", object_type="shelter_admission_request", object_id=req.public_id,
                 case_number=req.case.number)
    access.commit_read()


def _admit_page(shelter: Shelter, req: Any, people: list[Any], form: Any, decline_form: Any, status: int = 200):  # type: ignore[no-untyped-def]
    today = local_today()
    free = [b for b in stays.shelter_beds(shelter)
            if stays.bed_free(b, today, today + timedelta(days=shelter.max_stay_days))]
    _resident_view_on_record(req)
    view = resident_view(req, today)
    planned_end = today + timedelta(days=shelter.max_stay_days)
    warnings = stays.age_limit_warnings(stays.request_people(req), shelter, planned_end)
    return render_template("shelters/admit.html", shelter=shelter, req=req, form=form, decline_form=decline_form,
                           people=people, resident=view, free_beds=free, today=today, planned_end=planned_end,
                           age_warnings=warnings), status


def _pending_request(shelter: Shelter, request_id: uuid.UUID) -> AdmissionRequest:
    req = within_shelter(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
    return req


@bp.route("/<uuid:shelter_id>/requests/<uuid:request_id>/admit", methods=["GET", "POST"])
@shelter_access("operate")
def admit(shelter: Shelter, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    req = _pending_request(shelter, request_id)
    if req.status != RequestStatus.PENDING:
        flash(_("This request has already been decided."), "info")
        return redirect(url_for("shelters.waitlist", shelter_id=shelter.public_id))
    people = stays.request_people(req)
    suffixes = [(str(p.public_id).replace("-", ""), p) for p in people]
    form = forms.admit_form([(s, board_service.first_name(p.full_name)) for s, p in suffixes], _bed_choices(shelter),
                            formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.starts_on.data = local_today()
        return _admit_page(shelter, req, suffixes, form, forms.DeclineForm())
    if not form.validate_on_submit():
        return _admit_page(shelter, req, suffixes, form, forms.DeclineForm(formdata=None), 422)
    beds = {}
    for suffix, person in suffixes:
        bed = bed_of(shelter, getattr(form, f"bed_{suffix}").data)
        if bed is None:
            getattr(form, f"bed_{suffix}").errors.append(_("Choose a bed of this shelter."))
            return _admit_page(shelter, req, suffixes, form, forms.DeclineForm(formdata=None), 422)
        beds[person.id] = bed
    try:
        stays.admit(req, beds=beds, starts_on=form.starts_on.data, actor=current_user, today=local_today())
    except ShelterError as exc:
        refuse(exc, shelter)
        req = within_shelter(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
        people = stays.request_people(req)
        suffixes = [(str(p.public_id).replace("-", ""), p) for p in people]
        return _admit_page(shelter, req, suffixes, form, forms.DeclineForm(formdata=None), status_for(exc))
    return committed(_("Admitted."), "shelters.household", shelter_id=shelter.public_id, request_id=req.public_id)


@bp.post("/<uuid:shelter_id>/requests/<uuid:request_id>/decline")
@shelter_access("operate")
def decline(shelter: Shelter, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    req = _pending_request(shelter, request_id)
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        people = stays.request_people(req)
        suffixes = [(str(p.public_id).replace("-", ""), p) for p in people]
        admit_form = forms.admit_form([(s, board_service.first_name(p.full_name)) for s, p in suffixes],
                                      _bed_choices(shelter))
        return _admit_page(shelter, req, suffixes, admit_form, form, 422)
    try:
        stays.decline(req, reason=form.reason.data, note=form.note.data, actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return redirect(url_for("shelters.waitlist", shelter_id=shelter.public_id))
    return committed(_("Request declined. The counsellor sees the reason on the case."),
                     "shelters.waitlist", shelter_id=shelter.public_id)


# --- household: resident view, move, extension, discharge ---------------------------------------------------------

def _household_page(shelter: Shelter, req: Any, status: int = 200, **overrides: Any):  # type: ignore[no-untyped-def]
    _resident_view_on_record(req)
    today = local_today()
    active = stays.active_stays(req)
    bed_choices = _bed_choices(shelter)
    move_forms = {}
    for stay in active:
        f = overrides.get("move_form") if overrides.get("move_stay") == stay.id else None
        if f is None:
            f = forms.MoveForm(formdata=None, on=today, prefix=_move_prefix(stay))
        f.bed.choices = [SelectChoice("", _("Choose a bed")), *bed_choices]
        move_forms[stay.id] = f
    discharge_form = overrides.get("discharge_form") or forms.DischargeForm(formdata=None, on=today)
    discharge_form.residents.choices = [
        SelectChoice(str(s.public_id), board_service.first_name(s.person.full_name)) for s in active]
    if not overrides.get("discharge_form"):
        discharge_form.residents.data = [str(s.public_id) for s in active]
    ext_form = overrides.get("extension_form") or forms.ExtensionForm(formdata=None)
    return render_template(
        "shelters/household.html", shelter=shelter, req=req, resident=resident_view(req, today), today=today,
        stays=req.stays, active=active, beds={s.id: board_service.bed_of(s, today) for s in active},
        move_forms=move_forms, discharge_form=discharge_form, extension_form=ext_form,
        pending_extension=stays.pending_extension(req),
        can_operate=can(current_user, "operate", shelter), can_approve=can(current_user, "approve", shelter),
    ), status


def _move_prefix(stay: Any) -> str:
    # One move form per resident on the page: distinct field ids, so every label points at its own field.
    return "m" + stay.public_id.hex[:12]


def _household(shelter: Shelter, request_id: uuid.UUID) -> Any:
    req = within_shelter(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
    if req.status != RequestStatus.ADMITTED:
        access.deny("shelter_admission_request.view", object_type="shelter_admission_request", object_id=request_id)
    return req


@bp.get("/<uuid:shelter_id>/households/<uuid:request_id>")
@shelter_access("view")
def household(shelter: Shelter, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    req = _household(shelter, request_id)
    return _household_page(shelter, req)


@bp.post("/<uuid:shelter_id>/stays/<uuid:stay_id>/move")
@shelter_access("operate")
def move_resident(shelter: Shelter, stay_id: uuid.UUID):  # type: ignore[no-untyped-def]
    stay = within_shelter(stays.find_stay(shelter, stay_id), "shelter_stay", stay_id)
    req = stay.request
    form = forms.MoveForm(prefix=_move_prefix(stay))
    form.bed.choices = [SelectChoice("", _("Choose a bed")), *_bed_choices(shelter)]
    if not form.validate_on_submit():
        return _household_page(shelter, req, 422, move_form=form, move_stay=stay.id)
    bed = bed_of(shelter, form.bed.data)
    try:
        if bed is None:
            raise ShelterError(_("Choose a bed of this shelter."))
        stays.move(stay, bed=bed, on=form.on.data, actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        req = within_shelter(stays.find_request(shelter, req.public_id), "shelter_admission_request", req.public_id)
        return _household_page(shelter, req, status_for(exc))
    return committed(_("Moved."), "shelters.household", shelter_id=shelter.public_id, request_id=req.public_id)


@bp.post("/<uuid:shelter_id>/households/<uuid:request_id>/extension")
@shelter_access("operate")
def request_extension(shelter: Shelter, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    req = _household(shelter, request_id)
    form = forms.ExtensionForm()
    if not form.validate_on_submit():
        return _household_page(shelter, req, 422, extension_form=form)
    try:
        stays.request_extension(req, new_end_on=form.new_end_on.data, reason=form.reason.data, note=form.note.data,
                                actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return _household_page(shelter, stays.find_request(shelter, request_id), 422)
    _warn_age_limit(shelter, req, form.new_end_on.data)
    return committed(_("Extension requested. A supervisor will decide."),
                     "shelters.household", shelter_id=shelter.public_id, request_id=req.public_id)


def _warn_age_limit(shelter: Shelter, req: AdmissionRequest, until: Any) -> None:
    for warning in stays.age_limit_warnings([s.person for s in stays.active_stays(req)], shelter, until):
        flash(warning, "warning")


def _decide(shelter: Shelter, extension_id: uuid.UUID, approve: bool) -> Response:
    extension = within_shelter(stays.find_extension(shelter, extension_id), "shelter_extension_request", extension_id)
    request_id = extension.request.public_id
    try:
        stays.decide_extension(extension, approve=approve, actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=request_id))
    db.session.commit()
    flash(_("Extension approved.") if approve else _("Extension refused."), "success")
    if approve:
        _warn_age_limit(shelter, extension.request, extension.new_end_on)
    return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=request_id))


@bp.post("/<uuid:shelter_id>/extensions/<uuid:extension_id>/approve")
@shelter_access("approve")
def approve_extension(shelter: Shelter, extension_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _decide(shelter, extension_id, True)


@bp.post("/<uuid:shelter_id>/extensions/<uuid:extension_id>/refuse")
@shelter_access("approve")
def refuse_extension(shelter: Shelter, extension_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _decide(shelter, extension_id, False)


@bp.post("/<uuid:shelter_id>/households/<uuid:request_id>/discharge")
@shelter_access("operate")
def discharge(shelter: Shelter, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    req = _household(shelter, request_id)
    active = stays.active_stays(req)
    form = forms.DischargeForm()
    form.residents.choices = [SelectChoice(str(s.public_id), board_service.first_name(s.person.full_name))
                              for s in active]
    if not form.validate_on_submit():
        return _household_page(shelter, req, 422, discharge_form=form)
    chosen = [s for s in active if str(s.public_id) in set(form.residents.data)]
    try:
        stays.discharge(req, stays=chosen, on=form.on.data, destination=form.destination.data, actor=current_user,
                        today=local_today())
    except ShelterError as exc:
        refuse(exc, shelter)
        return _household_page(shelter, stays.find_request(shelter, request_id), 422)
    db.session.commit()
    flash(_("Discharge recorded."), "success")
    if stays.active_stays(req):
        return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=req.public_id))
    return redirect(url_for("shelters.view_board", shelter_id=shelter.public_id))


# --- request from a case (counsellor, supervisor) -----------------------------------------------------------------

def _request_form(case: Any) -> forms.RequestForm:
    form = forms.RequestForm()
    shelters = db.session.scalars(sa.select(Shelter).where(Shelter.centre_id == case.centre_id,
                                                           Shelter.is_active.is_(True)).order_by(Shelter.name))
    form.shelter.choices = [SelectChoice("", _("Choose a shelter"))] + [SelectChoice(str(s.public_id), s.name)
                                                                        for s in shelters]
    form.children.choices = [SelectChoice(str(p.public_id), p.full_name or "?") for p in case.children]
    return form


@bp.route("/requests/new", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def new_request():  # type: ignore[no-untyped-def]
    case_id = request.args.get("case", "")
    try:
        # SECURITY: the case is loaded through the case policy (assigned counsellor or supervisor; else 404).
        case = load_case_for(current_user, case_id, "edit")
    except NotFound:
        access.deny("case.edit", object_type="case", object_id=case_id[:36] or None)
    form = _request_form(case)
    # SECURITY: the form names her children, whatever the method: on record before the view goes on.
    audit.record("case.view", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"page": "shelter-request"})
    access.commit_read()
    if request.method == "GET":
        form.children.data = [choice.value for choice in form.children.choices]
        return render_template("shelters/request_new.html", case=case, form=form,
                               existing=stays.open_request_for(case))
    if not form.validate_on_submit():
        return render_template("shelters/request_new.html", case=case, form=form,
                               existing=stays.open_request_for(case)), 422
    shelter = within_shelter(
        db.session.scalar(sa.select(Shelter).where(Shelter.public_id == uuid.UUID(form.shelter.data))),
        "shelter", form.shelter.data)
    try:
        req = stays.request_admission(case, shelter=shelter,
                                      child_ids=[uuid.UUID(c) for c in form.children.data or []], actor=current_user)
    except ShelterError as exc:
        db.session.rollback()
        form.shelter.errors = [*form.shelter.errors, str(exc)]
        return render_template("shelters/request_new.html", case=case, form=form,
                               existing=stays.open_request_for(case)), 422
    db.session.commit()
    flash(_("Shelter place requested. The coordinator will admit or decline."), "success")
    for warning in stays.age_limit_warnings(stays.request_people(req), shelter,
                                            local_today() + timedelta(days=shelter.max_stay_days)):
        flash(warning, "warning")
    return redirect(_case_url(case))


def _case_url(case: Any) -> str:
    try:
        return url_for("cases.view_case", case_id=case.public_id)
    except Exception:  # noqa: BLE001 - the case page belongs to a colleague; fall back to the dashboard
        return url_for("main.dashboard")


# --- the case page partial and the dashboard panels ---------------------------------------------------------------

@bp.app_template_global()
def shelter_status(case: Any) -> dict[str, Any]:
    """For ``cases/partials/_shelter.html``: the case's requests and stays (status, shelter name, dates), and whether
    the current user may request a place. Never the address, never which bed or room."""
    from cases.core.policies import can as can_case
    from shelters.core.models import AdmissionRequest

    rows = []
    for req in db.session.scalars(sa.select(AdmissionRequest).where(AdmissionRequest.case_id == case.id)
                                  .order_by(AdmissionRequest.requested_at.desc())):
        active = stays.active_stays(req)
        rows.append({
            "status": labels.label(labels.REQUEST_STATUS_LABELS, str(req.status)),
            "status_key": str(req.status),
            "shelter": req.shelter.name, "requested_on": req.requested_at.date(),
            "decline_reason": labels.label(labels.DECLINE_REASON_LABELS, req.decline_reason)
            if req.decline_reason else None,
            "decline_note": req.decline_note if req.status == RequestStatus.DECLINED else None,
            "in_shelter": len(active), "since": min((s.starts_on for s in req.stays), default=None),
            "planned_end": max((s.planned_end_on for s in active), default=None),
            "left_on": max((s.ended_on for s in req.stays if s.ended_on), default=None) if not active else None,
        })
    may_request = (current_user.role in (Role.COUNSELLOR, Role.SUPERVISOR) and can_case(current_user, "edit", case)
                   and stays.open_request_for(case) is None)
    return {"rows": rows, "can_request": may_request}
