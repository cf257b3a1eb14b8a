"""The inquiry form (anyone on the staff) and the supervisor's link form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from cases.core.forms import no_control_chars, single_line, strip
from cases.inquiries.models import CHANNELS
from cases.inquiries.services import CHANNEL_LABELS

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def now_local() -> datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))
    return datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)


def not_in_future(form: object, field: object) -> None:
    value = getattr(field, "data", None)
    if value is not None and (value.year < 2000 or value > now_local() + timedelta(minutes=5)):
        raise ValidationError(_l("Enter when it happened (not in the future)."))


def _text(label: object, required: bool = False, rows: int = 2, max_len: int = 2000) -> TextAreaField:
    validators = [DataRequired(message=_l("Write what they asked."))] if required else [Optional()]
    return TextAreaField(label, filters=[strip], render_kw={"rows": rows},
                         validators=[*validators, Length(max=max_len), no_control_chars])


class InquiryForm(FlaskForm):
    occurred_at = DateTimeLocalField(_l("When"), format=DATETIME_FORMATS, default=now_local,
                                     validators=[InputRequired(_l("Enter a valid date and time.")), not_in_future])
    channel = RadioField(_l("How"), choices=[SelectChoice(k, CHANNEL_LABELS[k]) for k in CHANNELS],
                         validators=[InputRequired(_l("Choose how they asked."))])
    asker = StringField(_l("Who they said they were"), filters=[strip],
                        validators=[Optional(), Length(max=300), single_line])
    question = _text(_l("What they asked"), required=True)
    answer = _text(_l("What was answered"))
    notes = _text(_l("Notes"), rows=3, max_len=5000)
    about = StringField(_l("About whom (case number or her name, optional)"), filters=[strip],
                        description=_l("Only cases you may see are searched. Leave it empty if you do not know."),
                        validators=[Optional(), Length(max=200), single_line])
    case = RadioField(_l("Which file is it?"), choices=[], validate_choice=False, validators=[Optional()])


class LinkForm(FlaskForm):
    case_number = StringField(_l("Case number"), filters=[strip],
                              validators=[DataRequired(message=_l("Enter the case number.")), Length(max=40),
                                          single_line])
