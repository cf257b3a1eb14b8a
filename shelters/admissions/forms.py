"""Forms of admissions and stays (shape only; ``shelters.admissions.services`` checks the rules). Choices from the
database are public UUIDs filled in by the view, so a forged value is an invalid choice (422)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from shelters.core.forms import (
    MultiCheckboxField,
    blank_to_none,
    choices,
    date_field,
    no_control_chars,
)
from shelters.core.labels import (
    DECLINE_REASON_LABELS,
    EXIT_DESTINATION_LABELS,
    EXTENSION_REASON_LABELS,
)
from shelters.core.models import DECLINE_REASONS, EXIT_DESTINATIONS, EXTENSION_REASONS


class RequestForm(FlaskForm):
    shelter = SelectField(_l("Shelter"), validators=[DataRequired()])
    children = MultiCheckboxField(_l("Children who come with her"), validators=[Optional()],
                                  description=_l("Girls under 18 and boys under the shelter's age limit may stay "
                                                 "with their mother."))


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=choices(DECLINE_REASON_LABELS, DECLINE_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"), description=_l("Encrypted. Shown on the case."),
                         validators=[Optional(), Length(max=2000), no_control_chars], filters=[blank_to_none])


class MoveForm(FlaskForm):
    bed = SelectField(_l("New bed"), validators=[DataRequired()])
    on = date_field(_l("From"))


class ExtensionForm(FlaskForm):
    new_end_on = date_field(_l("New planned end"))
    reason = SelectField(_l("Reason"), choices=choices(EXTENSION_REASON_LABELS, EXTENSION_REASONS),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note for the supervisor (optional)"), description=_l("Encrypted."),
                         validators=[Optional(), Length(max=2000), no_control_chars], filters=[blank_to_none])


class DischargeForm(FlaskForm):
    residents = MultiCheckboxField(_l("Who leaves"), validators=[DataRequired()])
    on = date_field(_l("Leaving on"))
    destination = SelectField(_l("Where she goes"), choices=choices(EXIT_DESTINATION_LABELS, EXIT_DESTINATIONS),
                              validators=[DataRequired()])


def admit_form(people: list[tuple[str, str]], bed_choices: list[SelectChoice], formdata: Any = None) -> Any:
    """An admission form with one bed choice per person: ``people`` is [(field suffix, label)]."""

    class AdmitForm(FlaskForm):
        starts_on = date_field(_l("Admission date"))

    for suffix, label in people:
        setattr(AdmitForm, f"bed_{suffix}",
                SelectField(label, choices=[SelectChoice("", _l("Choose a bed")), *bed_choices],
                            validators=[DataRequired()]))
    return AdmitForm(formdata=formdata) if formdata is not None else AdmitForm()
