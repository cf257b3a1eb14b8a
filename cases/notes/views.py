"""Contact notes: add (from the case page), edit within the author's window, add a correction."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.db import db
from cases.casefile.page import render_case_page
from cases.core.access import audited_read, case_access, in_case
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.labels import SYSTEM_NOTE_KINDS
from cases.core.models import Case
from cases.notes import services as notes_service
from cases.notes.forms import NoteForm
from cases.notes.models import ContactNote


def _note_or_404(case: Case, note_id: object) -> ContactNote:
    # SECURITY: the note is looked up inside this case only; another case's note id is a plain 404.
    return in_case(notes_service.load_note(case, note_id), "contact_note", note_id)


@bp.post("/<uuid:case_id>/notes")
@case_access("edit")
def add_note(case: Case):  # type: ignore[no-untyped-def]
    form = NoteForm()
    if not form.validate_on_submit():
        return render_case_page(case, note_form=form, status=422)
    try:
        notes_service.add_note(case, actor=current_user, kind=form.kind.data, occurred_on=form.occurred_on.data,
                               text=form.text.data)
    except CaseError as exc:
        audited_read(case, "edit")
        form.text.errors = [str(exc)]
        return render_case_page(case, note_form=form, status=422)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id, _anchor="notes"))


@bp.route("/<uuid:case_id>/notes/<uuid:note_id>/edit", methods=["GET", "POST"])
@case_access("edit")
def edit_note(case: Case, note_id):  # type: ignore[no-untyped-def]
    note = _note_or_404(case, note_id)
    if not notes_service.can_edit_note(current_user, note):
        return render_template("cases/notes/locked.html", case=case, note=note), 403
    form = NoteForm(obj=note)
    if not form.is_submitted():
        return render_template("cases/notes/edit.html", case=case, note=note, form=form,
                               until=notes_service.editable_until(note))
    if not form.validate():
        return render_template("cases/notes/edit.html", case=case, note=note, form=form,
                               until=notes_service.editable_until(note)), 422
    try:
        notes_service.edit_note(note, actor=current_user, kind=form.kind.data, occurred_on=form.occurred_on.data,
                                text=form.text.data)
    except CaseError as exc:
        audited_read(case, "edit")
        note = _note_or_404(case, note_id)
        form.text.errors = [str(exc)]
        return render_template("cases/notes/edit.html", case=case, note=note, form=form,
                               until=notes_service.editable_until(note)), 422
    db.session.commit()
    flash(_("Note updated."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id, _anchor="notes"))


@bp.route("/<uuid:case_id>/notes/<uuid:note_id>/correction", methods=["GET", "POST"])
@case_access("edit")
def correct_note(case: Case, note_id):  # type: ignore[no-untyped-def]
    original = _note_or_404(case, note_id)
    if original.kind in SYSTEM_NOTE_KINDS:
        abort(404)  # lifecycle entries are not corrected; a new note says what changed
    form = NoteForm()
    if not form.is_submitted():
        form.kind.data = original.kind
        return render_template("cases/notes/correction.html", case=case, note=original, form=form)
    if not form.validate():
        return render_template("cases/notes/correction.html", case=case, note=original, form=form), 422
    try:
        notes_service.add_note(case, actor=current_user, kind=form.kind.data, occurred_on=form.occurred_on.data,
                               text=form.text.data, corrects=original)
    except CaseError as exc:
        audited_read(case, "edit")
        original = _note_or_404(case, note_id)
        form.text.errors = [str(exc)]
        return render_template("cases/notes/correction.html", case=case, note=original, form=form), 422
    db.session.commit()
    flash(_("Correction added."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id, _anchor="notes"))
