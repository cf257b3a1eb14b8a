"""Forms of the configuration pages (shape only; ``shelters.setup.services`` checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from shelters.core.forms import (
    blank_to_none,
    choices,
    date_field,
    no_control_chars,
    single_line,
    strip,
)
from shelters.core.labels import (
    OUTAGE_REASON_LABELS,
)
from shelters.core.models import OUTAGE_REASONS


class ShelterForm(FlaskForm):
    name = StringField(_l("Name or code"), description=_l("Never the address or the street: this name is shown "
                                                          "to counsellors when they request a place."),
                       validators=[DataRequired(), Length(max=120), single_line], filters=[strip])
    capacity = IntegerField(_l("Capacity (people, children counted)"),
                            validators=[InputRequired(), NumberRange(min=1, max=200)])
    boy_age_limit = IntegerField(_l("Age limit for boys"), default=12,
                                 description=_l("Boys may stay with their mother until this age."),
                                 validators=[InputRequired(), NumberRange(min=1, max=18)])
    max_stay_days = IntegerField(_l("Maximum stay in days"), default=183,
                                 description=_l("Six months is 183 days. Longer stays need a supervisor's approval."),
                                 validators=[InputRequired(), NumberRange(min=1, max=730)])


class NewShelterForm(ShelterForm):
    address = TextAreaField(_l("Confidential address"), description=_l(
        "Encrypted. Shown only to the shelter's coordinators and the centre's supervisors."),
        validators=[Optional(), Length(max=500), no_control_chars], filters=[blank_to_none])


class AddressForm(FlaskForm):
    address = TextAreaField(_l("Confidential address"), validators=[Optional(), Length(max=500), no_control_chars],
                            filters=[blank_to_none])


class CoordinatorForm(FlaskForm):
    user = SelectField(_l("Coordinator"), validators=[DataRequired()])


class RoomForm(FlaskForm):
    name = StringField(_l("Room name"), validators=[DataRequired(), Length(max=60), single_line], filters=[strip])


class BedForm(FlaskForm):
    label = StringField(_l("Bed label"), validators=[DataRequired(), Length(max=60), single_line], filters=[strip])
    is_cot = BooleanField(_l("A child's cot"))


class OutageForm(FlaskForm):
    target = SelectField(_l("Room or bed"), validators=[DataRequired()])
    reason = SelectField(_l("Reason"), choices=choices(OUTAGE_REASON_LABELS, OUTAGE_REASONS),
                         validators=[DataRequired()])
    starts_on = date_field(_l("Out of service from"))
    ends_on = date_field(_l("Back in service on"), required=False, description=_l("Leave empty if not known yet."))


class EndOutageForm(FlaskForm):
    on = date_field(_l("Back in service on"))
