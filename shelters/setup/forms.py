"""Shelter forms: shape only (required, lengths, choices, date ranges). ``shelters.services`` checks the rules.

Choices that come from the database (shelters, beds, people, coordinators) are filled in by the view; their values
are public UUIDs, so a forged value is just an invalid choice (422), never a lookup of someone else's row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from shelters.labels import (
    DECLINE_REASON_LABELS,
    EXIT_DESTINATION_LABELS,
    EXTENSION_REASON_LABELS,
    OUTAGE_REASON_LABELS,
)
from shelters.models import DECLINE_REASONS, EXIT_DESTINATIONS, EXTENSION_REASONS, OUTAGE_REASONS

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def single_line(form: Any, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters and line breaks."))


def no_control_chars(form: Any, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters."))


def sane_date(form: Any, field: Field) -> None:
    if field.data is not None and not (EARLIEST <= field.data <= LATEST):
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def _choices(labels: dict[str, Any], keys: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(k, labels[k]) for k in keys]


def _date(label: Any, *, required: bool = True, description: Any = None) -> DateField:
    return DateField(label, description=description,
                     validators=[InputRequired() if required else Optional(), sane_date])


class ShelterForm(FlaskForm):
    name = StringField(_l("Name or code"), description=_l("Never the address or the street: this name is shown "
                                                          "to counsellors when they request a place."),
                       validators=[DataRequired(), Length(max=120), single_line], filters=[_strip])
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
        validators=[Optional(), Length(max=500), no_control_chars], filters=[_blank_to_none])


class AddressForm(FlaskForm):
    address = TextAreaField(_l("Confidential address"), validators=[Optional(), Length(max=500), no_control_chars],
                            filters=[_blank_to_none])


class CoordinatorForm(FlaskForm):
    user = SelectField(_l("Coordinator"), validators=[DataRequired()])


class RoomForm(FlaskForm):
    name = StringField(_l("Room name"), validators=[DataRequired(), Length(max=60), single_line], filters=[_strip])


class BedForm(FlaskForm):
    label = StringField(_l("Bed label"), validators=[DataRequired(), Length(max=60), single_line], filters=[_strip])
    is_cot = BooleanField(_l("A child's cot"))


class OutageForm(FlaskForm):
    target = SelectField(_l("Room or bed"), validators=[DataRequired()])
    reason = SelectField(_l("Reason"), choices=_choices(OUTAGE_REASON_LABELS, OUTAGE_REASONS),
                         validators=[DataRequired()])
    starts_on = _date(_l("Out of service from"))
    ends_on = _date(_l("Back in service on"), required=False, description=_l("Leave empty if not known yet."))


class EndOutageForm(FlaskForm):
    on = _date(_l("Back in service on"))


class RequestForm(FlaskForm):
    shelter = SelectField(_l("Shelter"), validators=[DataRequired()])
    children = MultiCheckboxField(_l("Children who come with her"), validators=[Optional()],
                                  description=_l("Girls under 18 and boys under the shelter's age limit may stay "
                                                 "with their mother."))


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=_choices(DECLINE_REASON_LABELS, DECLINE_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), description=_l("Encrypted. Shown on the case."),
                         validators=[Optional(), Length(max=2000), no_control_chars], filters=[_blank_to_none])


class MoveForm(FlaskForm):
    bed = SelectField(_l("New bed"), validators=[DataRequired()])
    on = _date(_l("From"))


class ExtensionForm(FlaskForm):
    new_end_on = _date(_l("New planned end"))
    reason = SelectField(_l("Reason"), choices=_choices(EXTENSION_REASON_LABELS, EXTENSION_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note for the supervisor (optional)"), description=_l("Encrypted."),
                         validators=[Optional(), Length(max=2000), no_control_chars], filters=[_blank_to_none])


class DischargeForm(FlaskForm):
    residents = MultiCheckboxField(_l("Who leaves"), validators=[DataRequired()])
    on = _date(_l("Leaving on"))
    destination = SelectField(_l("Where she goes"), choices=_choices(EXIT_DESTINATION_LABELS, EXIT_DESTINATIONS),
                              validators=[DataRequired()])


def admit_form(people: list[tuple[str, str]], bed_choices: list[SelectChoice], formdata: Any = None) -> Any:
    """An admission form with one bed choice per person: ``people`` is [(field suffix, label)]."""

    class AdmitForm(FlaskForm):
        starts_on = _date(_l("Admission date"))

    for suffix, label in people:
        setattr(AdmitForm, f"bed_{suffix}",
                SelectField(label, choices=[SelectChoice("", _l("Choose a bed")), *bed_choices],
                            validators=[DataRequired()]))
    return AdmitForm(formdata=formdata) if formdata is not None else AdmitForm()
