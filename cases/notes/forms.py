"""The contact-note form (add, edit within the window, correction)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from app.dates import local_today
from app.numbers import lazy_number
from cases.core.forms import no_control_chars, not_in_future, sensible_past_date, strip
from cases.core.labels import NOTE_KIND_LABELS, choices

NOTE_MAX = 20_000


class NoteForm(FlaskForm):
    kind = SelectField(_l("Kind of contact"), choices=choices(NOTE_KIND_LABELS, blank=_l("Choose")), default="",
                       validators=[DataRequired(message=_l("Choose the kind of contact."))])
    occurred_on = DateField(_l("Date of the contact"), default=local_today,
                            validators=[InputRequired(message=_l("Enter the date of the contact.")), not_in_future,
                                        sensible_past_date])
    text = TextAreaField(_l("Note"),
                         description=_l("Write what matters for her support. Do not copy it anywhere else."),
                         validators=[DataRequired(message=_l("Write the note.")),
                                     Length(max=NOTE_MAX, message=_l("A note can be at most %(max)s characters.",
                                                                     max=lazy_number(NOTE_MAX))),
                                     no_control_chars],
                         filters=[strip], render_kw={"rows": 6})
