"""Contact notes: add, edit within the author's short window, then append-only corrections.

A note is editable by its author for ``CASE_NOTE_EDIT_MINUTES`` (default 15) after it was written; after that, or
for anyone else, the record stands and a correction is a new note pointing at the original (``corrects_id``).
System notes (closure, reopening, transfer) are written by ``cases.lifecycle.services`` and are never edited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db import db, utcnow
from app.users.models import User
from cases.core.errors import CaseClosed, CaseError
from cases.core.labels import NOTE_KINDS, SYSTEM_NOTE_KINDS
from cases.core.models import Case, CaseStatus
from cases.notes.models import ContactNote


class NoteNotEditable(CaseError):
    """The note can no longer be edited (not the author, window passed, or a system note)."""


def edit_window() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("CASE_NOTE_EDIT_MINUTES", 15)))


def editable_until(note: ContactNote) -> datetime:
    return note.created_at + edit_window()


def can_edit_note(user: User, note: ContactNote, now: datetime | None = None) -> bool:
    return (note.author_id == user.id and note.kind not in SYSTEM_NOTE_KINDS
            and (now or utcnow()) < editable_until(note))


def _check_open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(str(_l("The case is closed. Reopen it before adding notes.")))


def add_note(case: Case, *, actor: User, kind: str, occurred_on: date, text: str,
             corrects: ContactNote | None = None) -> ContactNote:
    """A new contact note; the first one moves the case from open to active."""
    _check_open(case)
    if kind not in NOTE_KINDS:
        raise CaseError(str(_l("Choose a kind of contact.")))
    if corrects is not None:
        if corrects.case_id != case.id:  # SECURITY: a correction never reaches another case's note
            raise CaseError(str(_l("That note is not part of this case.")))
        # Corrections hang under the original, even a correction of a correction.
        corrects_id = corrects.corrects_id or corrects.id
    else:
        corrects_id = None
    note = ContactNote(case=case, case_id=case.id, case_public_id=case.public_id, author_id=actor.id, kind=kind,
                       occurred_on=occurred_on, text=text, corrects_id=corrects_id, created_at=utcnow())
    db.session.add(note)
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACTIVE
    db.session.flush()
    return note


def edit_note(note: ContactNote, *, actor: User, kind: str, occurred_on: date, text: str) -> ContactNote:
    _check_open(note.case)
    if not can_edit_note(actor, note):
        raise NoteNotEditable(str(_l("This note can no longer be edited. Add a correction instead.")))
    if kind not in NOTE_KINDS:
        raise CaseError(str(_l("Choose a kind of contact.")))
    note.kind = kind
    note.occurred_on = occurred_on
    note.text = text
    note.edited_at = utcnow()
    db.session.flush()
    return note


def add_system_note(case: Case, *, actor: User, kind: str, text: str, occurred_on: date | None = None) -> ContactNote:
    """A lifecycle entry in the timeline (closure, reopening, transfer, a new application); its text is encrypted
    like any note."""
    assert kind in SYSTEM_NOTE_KINDS
    note = ContactNote(case=case, case_id=case.id, case_public_id=case.public_id, author_id=actor.id, kind=kind,
                       occurred_on=occurred_on or utcnow().date(), text=text, created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    return note


def load_note(case: Case, note_id: object) -> ContactNote | None:
    """A note of *this* case by public id, or None (another case's note is never loaded)."""
    try:
        public_id = note_id if isinstance(note_id, uuid.UUID) else uuid.UUID(str(note_id))
    except ValueError:
        return None
    return db.session.scalar(sa.select(ContactNote).where(ContactNote.public_id == public_id,
                                                          ContactNote.case_id == case.id))


@dataclass
class TimelineEntry:
    note: ContactNote
    corrections: list[ContactNote] = field(default_factory=list)


def timeline(case: Case) -> list[TimelineEntry]:
    """Notes newest first; each correction listed (oldest first) under the note it corrects."""
    notes = db.session.scalars(
        sa.select(ContactNote).where(ContactNote.case_id == case.id)
        .order_by(ContactNote.occurred_on.desc(), ContactNote.created_at.desc(), ContactNote.id.desc())
    ).all()
    entries: dict[int, TimelineEntry] = {}
    ordered: list[TimelineEntry] = []
    for note in notes:
        if note.corrects_id is None:
            entry = TimelineEntry(note)
            entries[note.id] = entry
            ordered.append(entry)
    for note in sorted((n for n in notes if n.corrects_id is not None), key=lambda n: (n.created_at, n.id)):
        parent = entries.get(note.corrects_id)  # type: ignore[arg-type]
        if parent is not None:
            parent.corrections.append(note)
        else:  # orphaned correction (should not happen): still shown
            ordered.append(TimelineEntry(note))
    return ordered
