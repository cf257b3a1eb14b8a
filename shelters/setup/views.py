"""Shelter configuration pages: the list, a new shelter, settings, the confidential address, coordinators, rooms,
beds and out-of-service periods."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access
from app.dates import local_today
from app.db import db
from app.users.models import Role, User
from shelters.admissions import services as stays
from shelters.core.blueprint import bed_of, bp, committed, refuse, shelter_access, within_shelter
from shelters.core.errors import ShelterError
from shelters.core.models import Outage, Room, Shelter
from shelters.core.policies import can, visible_shelters_query
from shelters.setup import forms
from shelters.setup import services as setup

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
    return committed(_("Shelter created. Add its rooms and beds."), "shelters.rooms", shelter_id=shelter.public_id)


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
        return committed(_("Settings saved."), "shelters.settings", shelter_id=shelter.public_id)
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
        refuse(exc, shelter)
        return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))
    return committed(_("Coordinator added."), "shelters.settings", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/coordinators/<uuid:user_id>/remove")
@shelter_access("manage")
def remove_coordinator(shelter: Shelter, user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    try:
        setup.remove_coordinator(shelter, _user_by_public_id(user_id), actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return redirect(url_for("shelters.settings", shelter_id=shelter.public_id))
    return committed(_("Coordinator removed."), "shelters.settings", shelter_id=shelter.public_id)


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
    return committed(_("Address saved."), "shelters.address", shelter_id=shelter.public_id)


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
    return within_shelter(room, "shelter_room", room_id)  # type: ignore[no-any-return]


@bp.post("/<uuid:shelter_id>/rooms")
@shelter_access("configure")
def add_room(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = forms.RoomForm()
    if not form.validate_on_submit():
        return _rooms_page(shelter, 422, room_form=form)
    setup.add_room(shelter, form.name.data, actor=current_user)
    return committed(_("Room added."), "shelters.rooms", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/rooms/<uuid:room_id>/rename")
@shelter_access("configure")
def rename_room(shelter: Shelter, room_id: uuid.UUID):  # type: ignore[no-untyped-def]
    room = _room(shelter, room_id)
    form = forms.RoomForm()
    if not form.validate_on_submit():
        flash(_("Enter a room name of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.rename_room(room, form.name.data, actor=current_user)
    return committed(_("Room renamed."), "shelters.rooms", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/rooms/<uuid:room_id>/beds")
@shelter_access("configure")
def add_bed(shelter: Shelter, room_id: uuid.UUID):  # type: ignore[no-untyped-def]
    room = _room(shelter, room_id)
    form = forms.BedForm()
    if not form.validate_on_submit():
        flash(_("Enter a bed label of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.add_bed(room, form.label.data, is_cot=bool(form.is_cot.data), actor=current_user)
    return committed(_("Bed added."), "shelters.rooms", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/beds/<uuid:bed_id>/rename")
@shelter_access("configure")
def rename_bed(shelter: Shelter, bed_id: uuid.UUID):  # type: ignore[no-untyped-def]
    bed = within_shelter(bed_of(shelter, bed_id), "shelter_bed", bed_id)
    form = forms.BedForm()
    if not form.validate_on_submit():
        flash(_("Enter a bed label of up to 60 characters."), "error")
        return _rooms_page(shelter, 422)
    setup.rename_bed(bed, form.label.data, actor=current_user)
    return committed(_("Bed renamed."), "shelters.rooms", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/out-of-service")
@shelter_access("configure")
def add_outage(shelter: Shelter):  # type: ignore[no-untyped-def]
    form = _outage_form(shelter)
    if not form.validate_on_submit():
        return _rooms_page(shelter, 422, outage_form=form)
    kind, _sep, target_id = form.target.data.partition(":")
    bed = bed_of(shelter, target_id) if kind == "bed" else None
    # The choices were this shelter's rooms and beds when the form was built; one removed since → audited 404.
    room = bed.room if bed is not None else within_shelter(db.session.scalar(
        sa.select(Room).where(Room.public_id == uuid.UUID(target_id), Room.shelter_id == shelter.id)),
        "shelter_room", target_id)
    try:
        setup.mark_out_of_service(room, bed, reason=form.reason.data, starts_on=form.starts_on.data,
                                  ends_on=form.ends_on.data, actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return _rooms_page(shelter, 422, outage_form=form)
    return committed(_("Marked out of service."), "shelters.rooms", shelter_id=shelter.public_id)


@bp.post("/<uuid:shelter_id>/out-of-service/<uuid:outage_id>/end")
@shelter_access("configure")
def end_outage(shelter: Shelter, outage_id: uuid.UUID):  # type: ignore[no-untyped-def]
    outage = within_shelter(db.session.scalar(sa.select(Outage).join(Room).where(
        Outage.public_id == outage_id, Room.shelter_id == shelter.id)), "shelter_outage", outage_id)
    form = forms.EndOutageForm()
    if not form.validate_on_submit():
        flash(_("Enter a valid date."), "error")
        return _rooms_page(shelter, 422)
    try:
        setup.end_outage(outage, form.on.data, actor=current_user)
    except ShelterError as exc:
        refuse(exc, shelter)
        return _rooms_page(shelter, 422)
    return committed(_("Back in service."), "shelters.rooms", shelter_id=shelter.public_id)
