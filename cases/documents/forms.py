"""The upload and delete forms of a case's documents."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.numbers import lazy_number
from cases.core.forms import no_control_chars, single_line, strip
from cases.core.labels import choices
from cases.documents.services import KIND_LABELS


class UploadForm(FlaskForm):
    kind = SelectField(_l("What is it?"), choices=choices(KIND_LABELS, blank=_l("Choose")), default="",
                       validators=[DataRequired(message=_l("Choose what kind of document this is."))])
    file = FileField(_l("File"), description=_l("PDF, JPEG or PNG, at most 20 MB. Photos lose their location "
                                                "and camera details before they are stored."),
                     validators=[FileRequired(message=_l("Choose a file."))])
    note = StringField(_l("Note (optional)"), filters=[strip],
                       validators=[Optional(),
                                   Length(max=300, message=_l("At most %(max)s characters.", max=lazy_number(300))),
                                   single_line])


class DeleteForm(FlaskForm):
    reason = TextAreaField(_l("Why is it deleted?"), filters=[strip], render_kw={"rows": 3},
                           validators=[DataRequired(message=_l("State why the document is deleted.")),
                                       Length(min=5, max=500, message=_l("Between %(min)s and %(max)s characters.",
                                                                         min=lazy_number(5), max=lazy_number(500))),
                                       no_control_chars])
