"""Forms for correcting and completing the people of a case after intake: the applicant, her children and the
person using violence (the perpetrator).

The fields and checks are the intake's (``cases.intake.forms``): identity numbers and phones go through the same
normalisers as the blind indexes, so a value the form accepts can always be searched. An empty input clears an
optional field. The forms are built with ``obj=person``, so a field a request leaves out keeps the stored value;
``values()`` hands the service every editable field and the service writes only those that differ.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cases.core.forms import no_control_chars, none_if_blank, not_in_future, sensible_past_date, single_line
from cases.core.labels import RELATIONSHIP_LABELS, SEX_LABELS, choices
from cases.intake.forms import LONG_TEXT_MAX, SHORT_TEXT_MAX, ApplicantChecks, check_birth_year


def _blank_if_none(value: Any) -> Any:
    # A select whose stored value is NULL shows (and validates as) the blank choice.
    return "" if value is None else value


class ApplicantDetailsForm(ApplicantChecks, FlaskForm):
    """The applicant's identity and contact fields, as at intake."""

    full_name = StringField(_l("Full name"),
                            validators=[DataRequired(message=_l("Enter her full name.")), Length(max=SHORT_TEXT_MAX),
                                        single_line],
                            filters=[none_if_blank], render_kw={"autocomplete": "off"})
    tckn = StringField(_l("T.C. Kimlik No"), description=_l("11 digits. Leave empty for a foreign applicant."),
                       validators=[Optional(), Length(max=40), single_line], filters=[none_if_blank],
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})
    document_no = StringField(_l("Foreign ID (YKN) or passport number"),
                              description=_l("Only for a foreign applicant without a T.C. Kimlik No."),
                              validators=[Optional(), Length(max=40), single_line], filters=[none_if_blank],
                              render_kw={"autocomplete": "off"})
    nationality = StringField(_l("Nationality"), validators=[Optional(), Length(max=80), single_line],
                              filters=[none_if_blank])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional(), not_in_future, sensible_past_date])
    phone = StringField(_l("Phone"), description=_l("A Turkish number, e.g. 0532 123 45 67."),
                        validators=[Optional(), Length(max=40), single_line], filters=[none_if_blank],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                            filters=[none_if_blank], render_kw={"rows": 3})
    language = StringField(_l("Language she prefers"), validators=[Optional(), Length(max=80), single_line],
                           filters=[none_if_blank])
    interpreter_needed = BooleanField(_l("She needs an interpreter"))
    disability = StringField(_l("Disability or health needs relevant to support"),
                             validators=[Optional(), Length(max=500), single_line], filters=[none_if_blank])

    FIELDS = ("full_name", "tckn", "document_no", "nationality", "date_of_birth", "phone", "address", "language",
              "interpreter_needed", "disability")

    def __init__(self, *args: Any, applied_on: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied_on = applied_on

    def application_date(self) -> date | None:
        return self.applied_on

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_nationality() and ok

    def values(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["interpreter_needed"] = bool(data["interpreter_needed"])
        return data


class ChildDetailsForm(FlaskForm):
    """One child: as at intake (name, girl or boy, year of birth), plus what the shelter view shows of a child."""

    full_name = StringField(_l("Child's name"),
                            validators=[DataRequired(message=_l("Enter the child's name.")),
                                        Length(max=SHORT_TEXT_MAX), single_line],
                            filters=[none_if_blank], render_kw={"autocomplete": "off"})
    sex = SelectField(_l("Girl or boy"), choices=choices(SEX_LABELS, blank=_l("Choose")), default="",
                      validators=[Optional()], filters=[_blank_if_none])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional()],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"})
    notes = TextAreaField(_l("The child's needs"),
                          description=_l("For example: school, health, care. The shelter sees this."),
                          validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                          filters=[none_if_blank], render_kw={"rows": 3})
    disability = StringField(_l("Disability or health needs relevant to support"),
                             validators=[Optional(), Length(max=500), single_line], filters=[none_if_blank])

    FIELDS = ("full_name", "sex", "birth_year", "notes", "disability")

    validate_birth_year = check_birth_year

    def values(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["sex"] = data["sex"] or None
        return data


class PerpetratorDetailsForm(FlaskForm):
    """The person using violence: what the intake records about him (name, relationship to her, description).

    As at intake every field is optional, but a perpetrator record says something: at least one field is filled.
    Where he lives or works and whether he has weapons go in the description, as at intake (the weapon question of
    the risk checklist is answered in the risk assessment, not derived from here).
    """

    full_name = StringField(_l("His name"), validators=[Optional(), Length(max=SHORT_TEXT_MAX), single_line],
                            filters=[none_if_blank], render_kw={"autocomplete": "off"})
    relationship_to_applicant = SelectField(_l("His relationship to her"),
                                            choices=choices(RELATIONSHIP_LABELS, blank=_l("Choose")), default="",
                                            validators=[Optional()], filters=[_blank_if_none])
    notes = TextAreaField(_l("Description"),
                          description=_l("What helps staff recognise him (no photo): appearance, car, workplace, "
                                         "weapons."),
                          validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                          filters=[none_if_blank], render_kw={"rows": 3})

    FIELDS = ("full_name", "relationship_to_applicant", "notes")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.full_name.data or self.relationship_to_applicant.data or self.notes.data):
            self.full_name.errors = [*self.full_name.errors,
                                     _l("Enter his name, his relationship to her or a description.")]
            ok = False
        return ok

    def values(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["relationship_to_applicant"] = data["relationship_to_applicant"] or None
        return data


class RemoveChildForm(FlaskForm):
    """The confirmation step of removing a child: only the CSRF token."""
