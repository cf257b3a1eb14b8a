"""The intake page: a new case with the returning-applicant check before saving.

The people of a case after intake: correct the applicant, a child or the perpetrator, add a child, add the
perpetrator when the intake recorded none, remove a child.

Every view is ``case_access("edit")``; the person is then looked up inside the loaded case only, and a person id
that is not the applicant, a child or the perpetrator of *this* case is an audited 404, whether it belongs to
another case of the centre, another centre or nobody. One commit per request, with the semantic audit event of the
change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from wtforms import FieldList, FormField

from app import access, audit
from app.db import db
from app.users.models import Role
from cases.core.access import audited_read, case_access
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.models import Case, Person, PersonKind
from cases.intake import applications
from cases.intake import services as intake_service
from cases.intake.forms import (
    ApplicantDetailsForm,
    ChildDetailsForm,
    IntakeForm,
    NewApplicationForm,
    PerpetratorDetailsForm,
    RemoveChildForm,
)
from cases.privacy import services as privacy_service


@bp.route("/new", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def new_case():  # type: ignore[no-untyped-def]
    form = IntakeForm()
    if not form.is_submitted():
        return render_template("cases/new.html", form=form, check=None)
    if form.add_child.data:  # one more child row, what was typed kept (the page's script does this in place)
        form.add_child_row()
        return render_template("cases/new.html", form=form, check=None)
    if form.check_now.data or form.resume.data:
        # The returning-applicant check as soon as her identity is entered, before the long narrative is typed; and
        # again when she comes back from a new application in an earlier file (cases.intake.applications). What was
        # typed is kept server-side and the page is fetched again by GET: Back and reload show it (issue 16).
        if not form.identity_valid():
            return render_template("cases/new.html", form=form, check=None), 422
        return _to_draft(form, "cases.intake_draft")
    if not form.validate():
        return render_template("cases/new.html", form=form, check=None), 422
    data = form.to_data()
    check = intake_service.find_returning(actor=current_user, applicant=data["applicant"])
    if check.found and not intake_service.confirmation_valid(check, form.confirm.data):
        # Show what was found (numbers only where she may view the case); she confirms with "Save as new case".
        db.session.commit()  # the check itself is on record
        form.confirm.data = check.token
        return render_template("cases/new.html", form=form, check=check), 200
    case = intake_service.open_case_from_intake(actor=current_user, data=data)
    privacy_service.record_privacy(case, actor=current_user, notice_given=form.notice_given.data,
                                   notice_method=form.notice_method.data, purposes=form.consent_purposes.data or [],
                                   consent_method=form.consent_method.data)
    intake_service.discard_draft(current_user, form.draft_id())
    db.session.commit()
    flash(_("Case %(number)s opened.", number=case.number), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


def _declared_pairs(form: Any) -> Iterator[tuple[str, str]]:
    """What was posted for the fields the form declares (nested rows included), as the form received it: a draft
    keeps nothing else (no mass assignment through a stored draft either)."""
    for field in form:
        if isinstance(field, (FieldList, FormField)):
            yield from _declared_pairs(field)
        else:
            for value in field.raw_data or ():
                if isinstance(value, str):
                    yield field.name, value


def _to_draft(form: IntakeForm, endpoint: str, **values: Any) -> Any:
    """Keep what was typed (``IntakeDraft``) and answer 303 to its page, fetched by GET with only the opaque id."""
    try:
        draft_id = intake_service.keep_draft(current_user, _declared_pairs(form), form.draft_id())
    except intake_service.DraftNotFound:  # no server-side session: the sign-in check has answered already
        abort(404)
    db.session.commit()
    return redirect(url_for(endpoint, draft_id=draft_id, **values), code=303)


def _draft_pairs(draft_id: uuid.UUID) -> list[tuple[str, str]] | None:
    """The draft's form values; None when it has expired; an audited 404 when it is not this session's."""
    try:
        return intake_service.open_draft(current_user, draft_id)
    except intake_service.DraftNotFound:
        # SECURITY: another user's or another session's draft looks exactly like a missing one, and is on record.
        access.deny("case.intake-draft", object_type="intake_draft", object_id=draft_id, reason="not found")


def _expired() -> Any:
    db.session.commit()  # an expired draft's content is emptied
    return render_template("cases/intake/draft_expired.html",
                           minutes=int(intake_service.DRAFT_TTL.total_seconds() // 60)), 410


@bp.get("/new/<uuid:draft_id>")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def intake_draft(draft_id):  # type: ignore[no-untyped-def]
    """The intake page with what was typed, after "Check now" or "Back to the intake form", and the check's answer."""
    pairs = _draft_pairs(draft_id)
    if pairs is None:
        return _expired()
    form = IntakeForm(formdata=MultiDict(pairs))
    form.draft.data = str(draft_id)
    check = intake_service.find_returning(actor=current_user, applicant=form.to_data()["applicant"])
    db.session.commit()  # the check itself is on record
    form.confirm.data = check.token if check.found else ""
    return render_template("cases/new.html", form=form, check=check, checked_early=True)

@bp.post("/<uuid:case_id>/applications/new")
@case_access("edit")
def new_application(case: Case):  # type: ignore[no-untyped-def]
    """'Continue in her file': what was typed at intake, carried here in the POST body (never in a URL), validated
    again and shown prefilled; the new application is recorded only when the counsellor confirms."""
    form = NewApplicationForm()
    if not form.save_application.data:  # arriving from the intake page: kept, and fetched again by GET (issue 16)
        return _to_draft(form, "cases.application_draft", case_id=case.public_id)
    labels = form.difference_labels()
    found = applications.differences(case, form.to_data(), labels)
    form.bring_in.choices = [(d.key, applications.shown(d)) for d in found]
    if not form.validate():
        return render_template("cases/intake/new_application.html", case=case, form=form, found=found), 422
    try:
        applications.record_application(case, actor=current_user, data=form.to_data(),
                                                  bring_in=list(form.bring_in.data or []),
                                                  privacy=form.privacy_values(), labels=labels)
    except CaseError as exc:
        audited_read(case, "edit")
        form.bring_in.errors = [*form.bring_in.errors, str(exc)]
        return render_template("cases/intake/new_application.html", case=case, form=form, found=found), 422
    intake_service.discard_draft(current_user, form.draft_id())
    db.session.commit()
    flash(_("The new application is recorded in her file %(number)s.", number=case.number), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.get("/<uuid:case_id>/applications/new/<uuid:draft_id>")
@case_access("edit")
def application_draft(case: Case, draft_id):  # type: ignore[no-untyped-def]
    """'Continue in her file': what was typed at intake, shown prefilled with every difference from her file ticked;
    the new application is recorded only when the counsellor confirms (``new_application``)."""
    pairs = _draft_pairs(draft_id)
    if pairs is None:
        return _expired()
    form = NewApplicationForm(formdata=MultiDict([*pairs, ("csrf_token", generate_csrf())]))
    form.draft.data = str(draft_id)
    labels = form.difference_labels()
    found = applications.differences(case, form.to_data(), labels)
    form.bring_in.choices = [(d.key, applications.shown(d)) for d in found]
    form.bring_in.data = [d.key for d in found]
    status = 200 if form.validate() else 422
    return render_template("cases/intake/new_application.html", case=case, form=form, found=found), status


EDITABLE_KINDS = (PersonKind.APPLICANT, PersonKind.CHILD, PersonKind.PERPETRATOR)
PersonForm = ApplicantDetailsForm | ChildDetailsForm | PerpetratorDetailsForm
_ANCHORS = {PersonKind.APPLICANT: "applicant-title", PersonKind.CHILD: "children-title",
            PersonKind.PERPETRATOR: "perpetrator-title"}


def _person_or_404(case: Case, person_id: uuid.UUID, kinds: tuple[PersonKind, ...], action: str) -> Person:
    person = intake_service.load_person(case, person_id, kinds)
    if person is None:
        # SECURITY: another case's (or centre's) person looks exactly like a missing one, and is on record.
        access.deny(f"case.person.{action}", object_type="person", object_id=person_id, reason="not-in-case")
        raise NotFound()  # deny() has answered 404 already
    return person


def _form_for(case: Case, person: Person) -> PersonForm:
    if person.kind == PersonKind.APPLICANT:
        return ApplicantDetailsForm(obj=person, applied_on=case.applied_on)
    if person.kind == PersonKind.PERPETRATOR:
        return PerpetratorDetailsForm(obj=person)
    return ChildDetailsForm(obj=person)


def _back(case: Case, person_kind: PersonKind) -> Any:
    return redirect(url_for("cases.view_case", case_id=case.public_id, _anchor=_ANCHORS[person_kind]))


@bp.route("/<uuid:case_id>/people/<uuid:person_id>/edit", methods=["GET", "POST"])
@case_access("edit")
def edit_person(case: Case, person_id):  # type: ignore[no-untyped-def]
    person = _person_or_404(case, person_id, EDITABLE_KINDS, "edit")
    form = _form_for(case, person)
    if not form.is_submitted():
        return render_template("cases/intake/edit.html", case=case, person=person, form=form)
    if not form.validate():
        return render_template("cases/intake/edit.html", case=case, person=person, form=form), 422
    try:
        changed = intake_service.update_person(person, actor=current_user, values=form.values())
    except CaseError as exc:
        audited_read(case, "edit")
        person = _person_or_404(case, person_id, EDITABLE_KINDS, "edit")
        form.full_name.errors = [*form.full_name.errors, str(exc)]
        return render_template("cases/intake/edit.html", case=case, person=person, form=form), 422
    db.session.commit()
    flash(_("Changes saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
    return _back(case, person.kind)


@bp.route("/<uuid:case_id>/children/new", methods=["GET", "POST"])
@case_access("edit")
def add_child(case: Case):  # type: ignore[no-untyped-def]
    form = ChildDetailsForm()
    if not form.is_submitted():
        return render_template("cases/intake/add_child.html", case=case, form=form)
    if not form.validate():
        return render_template("cases/intake/add_child.html", case=case, form=form), 422
    try:
        intake_service.add_child(case, actor=current_user, values=form.values())
    except CaseError as exc:
        audited_read(case, "edit")
        form.full_name.errors = [*form.full_name.errors, str(exc)]
        return render_template("cases/intake/add_child.html", case=case, form=form), 422
    db.session.commit()
    flash(_("Child added."), "success")
    return _back(case, PersonKind.CHILD)


@bp.route("/<uuid:case_id>/perpetrator/new", methods=["GET", "POST"])
@case_access("edit")
def add_perpetrator(case: Case):  # type: ignore[no-untyped-def]
    """Record the person using violence when the intake recorded none; once recorded, he is corrected instead."""
    form = PerpetratorDetailsForm()
    if not form.is_submitted():
        if case.perpetrators:
            return redirect(url_for("cases.edit_person", case_id=case.public_id,
                                    person_id=case.perpetrators[0].public_id))
        return render_template("cases/intake/add_perpetrator.html", case=case, form=form)
    if not form.validate():
        return render_template("cases/intake/add_perpetrator.html", case=case, form=form), 422
    try:
        intake_service.add_perpetrator(case, actor=current_user, values=form.values())
    except intake_service.PerpetratorExists as exc:
        audited_read(case, "edit")
        form.full_name.errors = [*form.full_name.errors, str(exc)]
        return render_template("cases/intake/add_perpetrator.html", case=case, form=form), 409
    except CaseError as exc:
        audited_read(case, "edit")
        form.full_name.errors = [*form.full_name.errors, str(exc)]
        return render_template("cases/intake/add_perpetrator.html", case=case, form=form), 422
    db.session.commit()
    flash(_("The person using violence is recorded."), "success")
    return _back(case, PersonKind.PERPETRATOR)


@bp.get("/<uuid:case_id>/people/<uuid:person_id>/remove")
@case_access("edit")
def confirm_remove_child(case: Case, person_id):  # type: ignore[no-untyped-def]
    """The confirmation step: what will be removed, or why it cannot be."""
    child = _person_or_404(case, person_id, (PersonKind.CHILD,), "remove")
    problem = intake_service.removal_problems(child)
    return render_template("cases/intake/remove_child.html", case=case, child=child, form=RemoveChildForm(),
                           reasons=problem.reasons if problem else [])


@bp.post("/<uuid:case_id>/people/<uuid:person_id>/remove")
@case_access("edit")
def remove_child(case: Case, person_id):  # type: ignore[no-untyped-def]
    child = _person_or_404(case, person_id, (PersonKind.CHILD,), "remove")
    form = RemoveChildForm()
    if not form.validate_on_submit():  # CSRF is checked before the view; nothing else can be wrong here
        return render_template("cases/intake/remove_child.html", case=case, child=child, form=form,
                               reasons=[]), 422
    try:
        intake_service.remove_child(child, actor=current_user)
    except intake_service.PersonInUse as exc:
        # Nothing is changed; the refusal and the read of the re-rendered page are on record.
        db.session.rollback()
        audit.record("case.edit", object_type="case", object_id=case.public_id, case_number=case.number)
        audit.record("case.person.remove", outcome=audit.Outcome.FAILURE, object_type="person",
                     object_id=person_id, case_number=case.number,
                     details={"kind": str(PersonKind.CHILD), "references": exc.kinds})
        db.session.commit()
        child = _person_or_404(case, person_id, (PersonKind.CHILD,), "remove")
        return render_template("cases/intake/remove_child.html", case=case, child=child, form=form,
                               reasons=exc.reasons), 409
    except CaseError as exc:
        audited_read(case, "edit")
        child = _person_or_404(case, person_id, (PersonKind.CHILD,), "remove")
        return render_template("cases/intake/remove_child.html", case=case, child=child, form=form,
                               reasons=[str(exc)]), 422
    db.session.commit()
    flash(_("Child removed from the case."), "success")
    return _back(case, PersonKind.CHILD)
