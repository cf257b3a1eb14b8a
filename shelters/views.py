"""Shelter pages: list, configuration (settings, address, coordinators, rooms, beds, outages), the bed board,
occupancy, waitlist, admission and refusal, the household page (the resident view, moves, extensions, discharge), and
the request-from-case flow.

Every shelter page loads the shelter through ``shelters.policies.load_shelter_for`` (``shelter_access``); rows inside
a shelter (requests, stays, beds) are looked up *within* that shelter, so an id from another shelter is a 404.
One commit per mutating request, then a redirect. A bed conflict refused by the database becomes a message and 409/422
re-render, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app import access, audit
from app.cli import register_demo_generator, register_demo_seeder
from app.db import db
from app.main.views import register_dashboard_panel
from app.users.models import Role, User
from cases.policies import load_case_for
from cases.services.erasure import register_erasure_guard
from cases.services.people import register_removal_guard
from shelters import demo, forms, generate, labels
from shelters.dates import local_today
from shelters.errors import BedTaken, ShelterError
from shelters.models import AdmissionRequest, Bed, Outage, RequestStatus, Room, Shelter
from shelters.policies import SHELTER_ROLES, can, can_see_address, load_shelter_for, visible_shelters_query
from shelters.resident_view import resident_view
from shelters.services import board as board_service
from shelters.services import setup, stays

bp = Blueprint("shelters", __name__, url_prefix="/shelters")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def shelter_access(action: str) -> Callable[[F], F]:
    return access.object_access("shelter", load_shelter_for, action, id_arg="shelter_id", obj_arg="shelter",
                                allowed_roles=SHELTER_ROLES)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"shelter_labels": labels, "shelter_label": labels.label}


def _inside(obj: T | None, what: str, object_id: object) -> T:
    """A row looked up within the loaded shelter; absent (or another shelter's) → audited 404."""
    if obj is None:
        access.deny(f"{what}.view", object_type=what, object_id=object_id)
    return obj


def _fail(exc: ShelterError, shelter: Shelter) -> None:
    """Undo the attempt, keep a record of the refusal, and tell the user why."""
    db.session.rollback()
    audit.record("shelter.refused", outcome=audit.Outcome.FAILURE, object_type="shelter",
                 object_id=shelter.public_id, reason=type(exc).__name__)
    db.session.commit()
    flash(str(exc), "error")


def _status_for(exc: ShelterError) -> int:
    return 409 if isinstance(exc, BedTaken) else 422


# --- list and new -------------------------------------------------------------------------------------------------

@bp.get("/")
@access.roles(Role.COORDINATOR, Role.SUPERVISOR, Role.ADMIN)
def list_shelters():  # type: ignore[no-untyped-def]
    today = local_today()
    rows = []
    for shelter in db.session.scalars(visible_shelters_query(current_user)):
        can_view = can(current_user, "view", shelter)
        rows.append({"shelter": shelter, "can_view": can_view,
                     "occupancy": stays.occupancy_on(shelter, today) if can_view else None})
    return render_template("shelters/list.html", rows=rows,
                           can_create=current_user.role in (Role.SUPERVISOR, Role.ADMIN))


@bp.route("/new", methods=["GET", "POST"])
@access.roles(Role.SUPERVISOR, Role.ADMIN)
def new_shelter():  # type: ignore[no-untyped-def]
    # SECURITY: an admin never sees or types the address (configuration only); a supervisor may set it here.
    form = forms.NewShelterForm() if current_user.role == Role.SUPERVISOR else forms.ShelterForm()
    if request.method == "GET":
        return render_template("shelters/shelter_form.html", form=form, shelter=None)
    if not form.validate_on_submit():
        return render_template("shelters/shelter_form.html", form=form, shelter=None), 422
    shelter = setup.create_shelter(actor=current_user, name=form.name.data, capacity=form.capacity.data,
                                   boy_age_limit=form.boy_age_limit.data, max_stay_days=form.max_stay_days.data,
                                   address=getattr(form, "address", None) and form.address.data)
    db.session.commit()
    flash(_("Shelter created. Add its rooms and beds."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


# --- configuration ------------------------------------------------------------------------------------------------

@bp.route("/<uuid:shelter_id>/settings", methods=["GET", "POST"])
@shelter_access("manage")
def settings(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = forms.ShelterForm(obj=shelter)
    coordinator_form = _coordinator_form(shelter)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("shelters/settings.html", shelter=shelter, form=form,
                                   coordinator_form=coordinator_form), 422
        setup.update_shelter(shelter, actor=current_user, name=form.name.data, capacity=form.capacity.data,
                             boy_age_limit=form.boy_age_limit.data, max_stay_days=form.max_stay_days.data)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))
    return render_template("shelters/settings.html", shelter=shelter, form=form, coordinator_form=coordinator_form)


def _coordinator_form(shelter: Shelter) -> forms.CoordinatorForm:
    form = forms.CoordinatorForm()
    form.user.choices = [SelectChoice("", _("Choose a coordinator"))] + [
        SelectChoice(str(u.public_id), u.name) for u in setup.coordinator_candidates(shelter)]
    return form


def _user_by_public_id(value: Any) -> User | None:
    try:
        public_id = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None
    return db.session.scalar(sa.select(User).where(User.public_id == public_id))


@bp.post("/<uuid:shelter_id>/coordinators")
@shelter_access("manage")
def add_coordinator(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = _coordinator_form(shelter)
    if not form.validate_on_submit():
        return render_template("shelters/settings.html", shelter=shelter, form=forms.ShelterForm(obj=shelter),
                               coordinator_form=form), 422
    try:
        setup.assign_coordinator(shelter, _user_by_public_id(form.user.data), actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))
    db.session.commit()
    flash(_("Coordinator added."), "success")
    return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/coordinators/<uuid:user_id>/remove")
@shelter_access("manage")
def remove_coordinator(shelter: Shelter, user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    try:
        setup.remove_coordinator(shelter, _user_by_public_id(user_id), actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))
    db.session.commit()
    flash(_("Coordinator removed."), "success")
    return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))


@bp.route("/<uuid:shelter_id>/address", methods=["GET", "POST"])
@shelter_access("address")
def address(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = forms.AddressForm()
    if request.method == "GET":
        form.address.data = shelter.address
        return render_template("shelters/address.html", shelter=shelter, form=form)
    if not form.validate_on_submit():
        return render_template("shelters/address.html", shelter=shelter, form=form), 422
    setup.set_address(shelter, form.address.data, actor=current_user)
    db.session.commit()
    flash(_("Address saved."), "success")
    return redirect(url_for("shelters.address", shelter_id=shelter.public_id))


def _rooms_page(shelter: Shelter, status: int = 200, **forms_: Any):  # type: ignore[no-untyped-def]
    outage_form = forms_.pop("outage_form", None) or _outage_form(shelter)
    return render_template(
        "shelters/rooms.html", shelter=shelter, room_form=forms_.pop("room_form", None) or forms.RoomForm(),
        bed_form=forms.BedForm(), rename_form=forms.RoomForm(), outage_form=outage_form,
        end_form=forms.EndOutageForm(formdata=None, on=local_today()), outages=setup.outages_for(shelter),
        today=local_today(),
    ), status


def _outage_form(shelter: Shelter) -> forms.OutageForm:
    form = forms.OutageForm()
    choices = [SelectChoice("", _("Choose"))]
    for room in shelter.rooms:
        choices.append(SelectChoice(f"room:{room.public_id}", _("Room %(name)s (all beds)", name=room.name)))
        choices += [SelectChoice(f"bed:{bed.public_id}", f"{room.name} · {bed.label}") for bed in room.beds]
    form.target.choices = choices
    return form


@bp.get("/<uuid:shelter_id>/rooms")
@shelter_access("configure")
def rooms(shelter: Shelter):  # type: ignore[no-untyped-def]
    return _rooms_page(shelter)


def _room(shelter: Shelter, room_id: uuid.UUID) -> Room:
    room = db.session.scalar(sa.select(Room).where(Room.public_id == room_id, Room.shelter_id == shelter.id))
    return _inside(room, "shelter_room", room_id)  # type: ignore[no-any-return]


def _bed(shelter: Shelter, bed_id: uuid.UUID | str) -> Bed | None:
    try:
        public_id = bed_id if isinstance(bed_id, uuid.UUID) else uuid.UUID(str(bed_id))
    except ValueError:
        return None
    return db.session.scalar(
        sa.select(Bed).join(Room).where(Bed.public_id == public_id, Room.shelter_id == shelter.id))


@bp.post("/<uuid:shelter_id>/rooms")
@shelter_access("configure")
def add_room(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = forms.RoomForm()
    if not form.validate_on_submit():
        return _rooms_page(shelter, 422, room_form=form)
    setup.add_room(shelter, form.name.data, actor=current_user)
    db.session.commit()
    flash(_("Room added."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/rooms/<uuid:room_id>/rename")
@shelter_access("configure")
def rename_room(shelter: Shelter, room_id: uuid.UUID):  # type: ignore[no-untyped-def]
    room = _room(shelter, room_id)
    form = forms.RoomForm()
    if not form.validate_on_submit():
        flash(_("Enter a room name of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.rename_room(room, form.name.data, actor=current_user)
    db.session.commit()
    flash(_("Room renamed."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/rooms/<uuid:room_id>/beds")
@shelter_access("configure")
def add_bed(shelter: Shelter, room_id: uuid.UUID):  # type: ignore[no-untyped-def]
    room = _room(shelter, room_id)
    form = forms.BedForm()
    if not form.validate_on_submit():
        flash(_("Enter a bed label of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.add_bed(room, form.label.data, is_cot=bool(form.is_cot.data), actor=current_user)
    db.session.commit()
    flash(_("Bed added."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/beds/<uuid:bed_id>/rename")
@shelter_access("configure")
def rename_bed(shelter: Shelter, bed_id: uuid.UUID):  # type: ignore[no-untyped-def]
    bed = _inside(_bed(shelter, bed_id), "shelter_bed", bed_id)
    form = forms.BedForm()
    if not form.validate_on_submit():
        flash(_("Enter a bed label of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.rename_bed(bed, form.label.data, actor=current_user)
    db.session.commit()
    flash(_("Bed renamed."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/out-of-service")
@shelter_access("configure")
def add_outage(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = _outage_form(shelter)
    if not form.validate_on_submit():
        return _rooms_page(shelter, 422, outage_form=form)
    kind, _sep, target_id = form.target.data.partition(":")
    bed = _bed(shelter, target_id) if kind == "bed" else None
    # The choices were this shelter's rooms and beds when the form was built; one removed since → audited 404.
    room = bed.room if bed is not None else _inside(db.session.scalar(
        sa.select(Room).where(Room.public_id == uuid.UUID(target_id), Room.shelter_id == shelter.id)),
        "shelter_room", target_id)
    try:
        setup.mark_out_of_service(room, bed, reason=form.reason.data, starts_on=form.starts_on.data,
                                  ends_on=form.ends_on.data, actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        return _rooms_page(shelter, 422, outage_form=form)
    db.session.commit()
    flash(_("Marked out of service."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


@bp.post("/<uuid:shelter_id>/out-of-service/<uuid:outage_id>/end")
@shelter_access("configure")
def end_outage(shelter: Shelter, outage_id: uuid.UUID):  # type: ignore[no-untyped-def]
    outage = _inside(db.session.scalar(sa.select(Outage).join(Room).where(
        Outage.public_id == outage_id, Room.shelter_id == shelter.id)), "shelter_outage", outage_id)
    form = forms.EndOutageForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid date."), "error")
        return _rooms_page(shelter, 422)
    try:
        setup.end_outage(outage, form.on.data, actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        return _rooms_page(shelter, 422)
    db.session.commit()
    flash(_("Back in service."), "success")
    return redirect(url_for("shelters.rooms", shelter_id=shelter.public_id))


# --- board, occupancy, waitlist -----------------------------------------------------------------------------------

@bp.get("/<uuid:shelter_id>")
@shelter_access("view")
def view_board(shelter: Shelter):  # type: ignore[no-untyped-def]
    today = local_today()
    board, alerts = board_service.board(shelter, today), board_service.alerts(shelter, today)
    # SECURITY: the board names residents: the households shown are on record before it leaves.
    board_service.households_shown("board", [*board.households, *(a.household_id for a in alerts)], shelter)
    access.commit_read()
    return render_template("shelters/board.html", shelter=shelter, board=board, alerts=alerts, today=today,
                           waiting=len(stays.waitlist(shelter)),
                           can_operate=can(current_user, "operate", shelter),
                           can_configure=can(current_user, "configure", shelter),
                           can_manage=can(current_user, "manage", shelter),
                           can_see_address=can_see_address(current_user, shelter))


@bp.get("/<uuid:shelter_id>/occupancy")
@shelter_access("view")
def occupancy(shelter: Shelter):  # type: ignore[no-untyped-def]
    today = local_today()
    series = board_service.occupancy_series(shelter, today)
    return render_template("shelters/occupancy.html", shelter=shelter, series=series,
                           chart=board_service.chart(series, shelter.capacity))


@bp.get("/<uuid:shelter_id>/waitlist")
@shelter_access("view")
def waitlist(shelter: Shelter):  # type: ignore[no-untyped-def]
    entries: list[dict[str, Any]] = []
    for req in stays.waitlist(shelter):
        people = stays.request_people(req)
        entries.append({"request": req, "adults": sum(1 for p in people if p.kind == "applicant"),
                        "children": sum(1 for p in people if p.kind == "child"),
                        "first_name": board_service.first_name(people[0].full_name if people else None)})
    board_service.households_shown("waitlist", [str(e["request"].public_id) for e in entries], shelter)
    access.commit_read()
    return render_template("shelters/waitlist.html", shelter=shelter, entries=entries,
                           can_operate=can(current_user, "operate", shelter))


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
    return render_template("shelters/admit.html", shelter=shelter, req=req, form=form, decline_form=decline_form,
                           people=people, resident=view, free_beds=free, today=today,
                           planned_end=today + timedelta(days=shelter.max_stay_days)), status


def _pending_request(shelter: Shelter, request_id: uuid.UUID) -> AdmissionRequest:
    req = _inside(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
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
        bed = _bed(shelter, getattr(form, f"bed_{suffix}").data)
        if bed is None:
            getattr(form, f"bed_{suffix}").errors.append(_("Choose a bed of this shelter."))
            return _admit_page(shelter, req, suffixes, form, forms.DeclineForm(formdata=None), 422)
        beds[person.id] = bed
    try:
        stays.admit(req, beds=beds, starts_on=form.starts_on.data, actor=current_user, today=local_today())
    except ShelterError as exc:
        _fail(exc, shelter)
        req = _inside(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
        people = stays.request_people(req)
        suffixes = [(str(p.public_id).replace("-", ""), p) for p in people]
        return _admit_page(shelter, req, suffixes, form, forms.DeclineForm(formdata=None), _status_for(exc))
    db.session.commit()
    flash(_("Admitted."), "success")
    return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=req.public_id))


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
        _fail(exc, shelter)
        return redirect(url_for("shelters.waitlist", shelter_id=shelter.public_id))
    db.session.commit()
    flash(_("Request declined. The counsellor sees the reason on the case."), "success")
    return redirect(url_for("shelters.waitlist", shelter_id=shelter.public_id))


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
    req = _inside(stays.find_request(shelter, request_id), "shelter_admission_request", request_id)
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
    stay = _inside(stays.find_stay(shelter, stay_id), "shelter_stay", stay_id)
    req = stay.request
    form = forms.MoveForm(prefix=_move_prefix(stay))
    form.bed.choices = [SelectChoice("", _("Choose a bed")), *_bed_choices(shelter)]
    if not form.validate_on_submit():
        return _household_page(shelter, req, 422, move_form=form, move_stay=stay.id)
    bed = _bed(shelter, form.bed.data)
    try:
        if bed is None:
            raise ShelterError(_("Choose a bed of this shelter."))
        stays.move(stay, bed=bed, on=form.on.data, actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        req = _inside(stays.find_request(shelter, req.public_id), "shelter_admission_request", req.public_id)
        return _household_page(shelter, req, _status_for(exc))
    db.session.commit()
    flash(_("Moved."), "success")
    return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=req.public_id))


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
        _fail(exc, shelter)
        return _household_page(shelter, stays.find_request(shelter, request_id), 422)
    db.session.commit()
    flash(_("Extension requested. A supervisor will decide."), "success")
    return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=req.public_id))


def _decide(shelter: Shelter, extension_id: uuid.UUID, approve: bool) -> Response:
    extension = _inside(stays.find_extension(shelter, extension_id), "shelter_extension_request", extension_id)
    request_id = extension.request.public_id
    try:
        stays.decide_extension(extension, approve=approve, actor=current_user)
    except ShelterError as exc:
        _fail(exc, shelter)
        return redirect(url_for("shelters.household", shelter_id=shelter.public_id, request_id=request_id))
    db.session.commit()
    flash(_("Extension approved.") if approve else _("Extension refused."), "success")
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
        _fail(exc, shelter)
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
    shelter = _inside(db.session.scalar(sa.select(Shelter).where(Shelter.public_id == uuid.UUID(form.shelter.data))),
                      "shelter", form.shelter.data)
    try:
        stays.request_admission(case, shelter=shelter, child_ids=[uuid.UUID(c) for c in form.children.data or []],
                                actor=current_user)
    except ShelterError as exc:
        db.session.rollback()
        form.shelter.errors = [*form.shelter.errors, str(exc)]
        return render_template("shelters/request_new.html", case=case, form=form,
                               existing=stays.open_request_for(case)), 422
    db.session.commit()
    flash(_("Shelter place requested. The coordinator will admit or decline."), "success")
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
    from cases.policies import can as can_case
    from shelters.models import AdmissionRequest

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


def _coordinator_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.COORDINATOR:
        return None
    today = local_today()
    items: list[dict[str, Any]] = [
        {"shelter": s, "occupancy": stays.occupancy_on(s, today), "alerts": board_service.alerts(s, today),
         "waiting": len(stays.waitlist(s))} for s in db.session.scalars(visible_shelters_query(user))]
    # SECURITY: the alerts name residents and sons nearing the age limit: on record before the dashboard leaves.
    board_service.households_shown("dashboard", [a.household_id for i in items for a in i["alerts"]])
    access.commit_read()
    return "shelters/_panel_coordinator.html", {"items": items}


def _supervisor_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.SUPERVISOR:
        return None
    today = local_today()
    shelters = list(db.session.scalars(visible_shelters_query(user)))
    capacity = [(s, stays.occupancy_on(s, today)) for s in shelters]
    return "shelters/_panel_supervisor.html", {
        "extensions": stays.pending_extensions(shelters),
        "capacity_alerts": [(s, n) for s, n in capacity if n >= s.capacity],
        "shelters": capacity,
    }


bp.record_once(lambda state: register_dashboard_panel(state.app, _coordinator_panel))
bp.record_once(lambda state: register_dashboard_panel(state.app, _supervisor_panel))
register_erasure_guard(stays.erasure_guard)
register_removal_guard(stays.removal_guard)
bp.record_once(lambda state: register_demo_seeder(state.app, 20, demo.seed_for_demo))
bp.record_once(lambda state: register_demo_generator(state.app, 20, generate.generate_stays))


@bp.app_template_global()
def shelter_can(action: str, shelter: Shelter) -> bool:
    return current_user.is_authenticated and can(current_user, action, shelter)


from shelters import reports as _reports  # noqa: E402,F401  (registers the shelter statistics; needs bp above)
