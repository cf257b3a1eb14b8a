"""The intake form (başvuru / ilk görüşme): intake details, the applicant, her children, the perpetrator and the
safe-contact profile. Identity numbers and phones are checked with the same normalisers the blind indexes use, so
a value the form accepts can always be searched later.

Forms for correcting and completing the people of a case after intake: the applicant, her children and the
person using violence (the perpetrator).

The fields and checks are the intake's (above): identity numbers and phones go through the same
normalisers as the blind indexes, so a value the form accepts can always be searched. An empty input clears an
optional field. The forms are built with ``obj=person``, so a field a request leaves out keeps the stored value;
``values()`` hands the service every editable field and the service writes only those that differ.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

import crypto
from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from app.dates import local_today
from cases.core.forms import (
    MultiCheckboxField,
    no_control_chars,
    none_if_blank,
    not_in_future,
    sensible_past_date,
    single_line,
)
from cases.core.labels import (
    ADAPTATION_LABELS,
    CHANNEL_LABELS,
    DISABILITY_LABELS,
    GENDER_IDENTITY_LABELS,
    MIGRATION_STATUS_LABELS,
    PERPETRATOR_SEX_LABELS,
    PHONE_CHECKED_LABELS,
    PREFERS_NOT,
    PREVIOUS_APPLICATION_LABELS,
    RELATIONSHIP_LABELS,
    SEX_LABELS,
    VIOLENCE_TYPE_LABELS,
    choices,
)
from cases.privacy.forms import PrivacyFields

MAX_CHILDREN = 12  # rows are added as needed (app.js, or the 'Add a child' button without scripts)
# The fields the returning-applicant check reads; 'Check now' validates only these.
IDENTITY_FIELDS = ("full_name", "tckn", "document_no", "date_of_birth", "phone")
NARRATIVE_MAX = 20_000
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2_000


CHILD_MAX_AGE = 30  # a "child" older than this is a typing error


def check_birth_year(form: Any, field: IntegerField) -> None:
    """A child's year of birth: within the last CHILD_MAX_AGE years (intake and later corrections alike)."""
    this_year = local_today().year
    if field.data is not None and not this_year - CHILD_MAX_AGE <= field.data <= this_year:
        raise ValidationError(_l("Enter a year between %(low)d and %(high)d.", low=this_year - CHILD_MAX_AGE,
                                 high=this_year))


class ChildForm(PlainForm):
    """One child row; a row left empty is ignored."""

    full_name = StringField(_l("Child's name"), validators=[Optional(), Length(max=SHORT_TEXT_MAX), single_line],
                            filters=[none_if_blank])
    sex = SelectField(_l("Girl or boy"), choices=choices(SEX_LABELS, blank=_l("Choose")), default="",
                      validators=[Optional()])
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional()],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"})

    validate_birth_year = check_birth_year

    @property
    def is_empty(self) -> bool:
        return not (self.full_name.data or self.sex.data or self.birth_year.data is not None)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.is_empty and not self.full_name.data:
            self.full_name.errors = [*self.full_name.errors, _l("Enter the child's name, or clear the row.")]
            ok = False
        return ok


class ApplicantChecks:
    """The checks of the applicant's identity fields, shared by the intake form and the applicant's correction form
    (``cases.intake.forms``); a form using it declares the fields and ``application_date()``."""

    tckn: StringField
    document_no: StringField
    nationality: StringField

    def application_date(self) -> date | None:
        raise NotImplementedError

    def validate_tckn(self, field: StringField) -> None:
        if field.data:
            try:
                crypto.normalise_tckn(field.data)
            except crypto.InvalidTCKN:
                raise ValidationError(_l("This is not a valid T.C. Kimlik No: check the 11 digits.")) from None

    def validate_document_no(self, field: StringField) -> None:
        if not field.data:
            return
        if self.tckn.data:
            raise ValidationError(_l("Give either a T.C. Kimlik No or a foreign document number, not both."))
        try:
            crypto.normalise_document_number(field.data)
        except ValueError:
            raise ValidationError(_l("Enter the document's letters and digits.")) from None
        digits = field.data.replace(" ", "")
        if digits.isdigit() and len(digits) == 11 and digits.startswith("99"):
            try:
                crypto.normalise_ykn(digits)
            except crypto.InvalidYKN:
                raise ValidationError(_l("This is not a valid foreign ID number (YKN): check the digits.")) from None

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            try:
                crypto.normalise_phone(field.data)
            except crypto.InvalidPhone:
                raise ValidationError(_l("Enter a Turkish phone number, e.g. 0532 123 45 67.")) from None

    def validate_date_of_birth(self, field: DateField) -> None:
        applied_on = self.application_date()
        if field.data and applied_on and field.data > applied_on:
            raise ValidationError(_l("The date of birth must be before the date of application."))

    def check_nationality(self) -> bool:
        """Cross-field rule, checked after every field (an empty field's Optional() ends its own chain)."""
        if self.document_no.data and not self.nationality.data:
            self.nationality.errors = [*self.nationality.errors, _l("Enter her nationality.")]
            return False
        return True


def _blank_if_none(value: Any) -> Any:
    # A select whose stored value is NULL shows (and validates as) the blank choice.
    return "" if value is None else value


def _alone(field: MultiCheckboxField, *keys: str) -> None:
    """An answer such as "No disability" or "Prefers not to say" is not ticked together with others."""
    chosen = list(field.data or [])
    alone = next((key for key in keys if key in chosen), None)
    if len(chosen) > 1 and alone is not None:
        labels = {**DISABILITY_LABELS, **ADAPTATION_LABELS}
        raise ValidationError(_l("“%(answer)s” cannot be combined with other answers.", answer=str(labels[alone])))


class EqualityFields:
    """The applicant's equality answers (issue 21), shared by the intake form and the applicant's correction form.
    Every one is optional and has "prefers not to say"; the counsellor asks, she answers or not."""

    disability_types = MultiCheckboxField(
        _l("Disability"), choices=choices(DISABILITY_LABELS),
        description=_l("Ask her; tick every category that applies (TÜİK categories). Leave empty if not asked."))
    adaptation_needs = MultiCheckboxField(
        _l("Does the centre need to adapt how it works with her?"), choices=choices(ADAPTATION_LABELS),
        description=_l("For example a sign language interpreter or an accessible room."))
    migration_status = SelectField(
        _l("Migration status"), choices=choices(MIGRATION_STATUS_LABELS, blank=_l("Not asked")), default="",
        description=_l("Her status under law 6458 on foreigners and international protection, if she is not a "
                       "Turkish citizen."), validators=[Optional()], filters=[_blank_if_none])
    gender_identity = SelectField(
        _l("Gender identity"), choices=choices(GENDER_IDENTITY_LABELS, blank=_l("Not asked")), default="",
        description=_l("Only if she wants to say. Shelter staff never see it, and it is shared in a referral only "
                       "when her consent names it."), validators=[Optional()],
        filters=[_blank_if_none])
    gender_identity_text = StringField(
        _l("Her gender identity in her own words"), validators=[Optional(), Length(max=100), single_line],
        filters=[none_if_blank], render_kw={"autocomplete": "off"})

    EQUALITY_FIELDS = ("disability_types", "adaptation_needs", "migration_status", "gender_identity",
                       "gender_identity_text")

    def validate_disability_types(self, field: MultiCheckboxField) -> None:
        _alone(field, "none", PREFERS_NOT)

    def validate_adaptation_needs(self, field: MultiCheckboxField) -> None:
        _alone(field, PREFERS_NOT)

    def validate_gender_identity_text(self, field: StringField) -> None:
        chosen = self.gender_identity.data  # type: ignore[attr-defined]
        if field.data and chosen != "self-described":
            raise ValidationError(_l("Choose “In her own words” to record her own words, or clear this field."))
        if not field.data and chosen == "self-described":
            raise ValidationError(_l("Write her own words, or choose another answer."))

    def equality_values(self) -> dict[str, Any]:
        """The answers for the service: an empty answer is None (not recorded)."""
        return {
            "disability_types": list(self.disability_types.data or []) or None,  # type: ignore[attr-defined]
            "adaptation_needs": list(self.adaptation_needs.data or []) or None,  # type: ignore[attr-defined]
            "migration_status": self.migration_status.data or None,  # type: ignore[attr-defined]
            "gender_identity": self.gender_identity.data or None,  # type: ignore[attr-defined]
            "gender_identity_text": self.gender_identity_text.data or None,  # type: ignore[attr-defined]
        }


class IntakeForm(EqualityFields, ApplicantChecks, PrivacyFields, FlaskForm):
    # --- the application -------------------------------------------------------------------------------------
    applied_on = DateField(_l("Date of application"), default=local_today,
                           validators=[InputRequired(message=_l("Enter the date of the application.")),
                                       not_in_future, sensible_past_date])
    channel = SelectField(_l("How did she come to the centre?"), choices=choices(CHANNEL_LABELS),
                          validators=[DataRequired(message=_l("Choose how she came."))], default="walk-in")
    violence_types = MultiCheckboxField(_l("Types of violence"), choices=choices(VIOLENCE_TYPE_LABELS),
                                        description=_l("Tick every type she describes."))
    previous_applications = MultiCheckboxField(_l("Has she applied elsewhere before?"),
                                               choices=choices(PREVIOUS_APPLICATION_LABELS))
    narrative = TextAreaField(_l("What happened, in her words"),
                              validators=[Optional(), Length(max=NARRATIVE_MAX), no_control_chars],
                              filters=[none_if_blank], render_kw={"rows": 8})
    immediate_needs = TextAreaField(_l("Immediate needs"),
                                    description=_l("For example: a safe place tonight, medical care, money, "
                                                   "legal advice."),
                                    validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                                    filters=[none_if_blank], render_kw={"rows": 3})

    # --- the applicant ---------------------------------------------------------------------------------------
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

    # --- children --------------------------------------------------------------------------------------------
    children = FieldList(FormField(ChildForm), min_entries=1, max_entries=MAX_CHILDREN)
    # Buttons that re-show the form with what was typed, without saving: the returning-applicant check as soon as
    # her identity is entered, and one more child row.
    check_now = SubmitField(_l("Check now"))
    add_child = SubmitField(_l("Add a child"))
    # On the new application in her existing file: back to the intake page with everything typed (cases.intake).
    resume = SubmitField(_l("Back to the intake form"))

    # --- the perpetrator -------------------------------------------------------------------------------------
    perpetrator_name = StringField(_l("Name of the person using violence"),
                                   validators=[Optional(), Length(max=SHORT_TEXT_MAX), single_line],
                                   filters=[none_if_blank], render_kw={"autocomplete": "off"})
    perpetrator_sex = SelectField(_l("Sex of the person using violence"),
                                  choices=choices(PERPETRATOR_SEX_LABELS, blank=_l("Choose")), default="",
                                  validators=[Optional()])
    relationship = SelectField(_l("Relationship to her"),
                               choices=choices(RELATIONSHIP_LABELS, blank=_l("Choose")), default="",
                               validators=[Optional()])
    perpetrator_notes = TextAreaField(_l("Description"),
                                      description=_l("What helps staff recognise this person (no photo): appearance, "
                                                     "car, workplace, weapons."),
                                      validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                                      filters=[none_if_blank], render_kw={"rows": 3})

    # --- safe contact ----------------------------------------------------------------------------------------
    can_call = BooleanField(_l("We may call her"))
    can_text = BooleanField(_l("We may send her text messages"))
    can_leave_message = BooleanField(_l("We may leave a voice message"))
    can_visit = BooleanField(_l("We may visit her"))
    can_mail = BooleanField(_l("We may send post to her address"))
    safe_hours = StringField(_l("Safe hours to contact her"), description=_l("For example: weekdays 10:00–14:00."),
                             validators=[Optional(), Length(max=SHORT_TEXT_MAX), single_line],
                             filters=[none_if_blank])
    code_word = StringField(_l("Code word"),
                            description=_l("A word she uses to say she cannot talk or is in danger."),
                            validators=[Optional(), Length(max=100), single_line], filters=[none_if_blank],
                            render_kw={"autocomplete": "off"})
    phone_checked = RadioField(_l("Does the person using violence check her phone?"),
                               choices=choices(PHONE_CHECKED_LABELS), default="unknown",
                               validators=[DataRequired(message=_l("Choose an answer."))])
    safe_contact_notes = TextAreaField(_l("Other contact instructions"),
                                       validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                                       filters=[none_if_blank], render_kw={"rows": 2})

    # Set after a returning-applicant check was shown; binds the confirmation to the matches that were shown.
    confirm = HiddenField(validators=[Optional(), Length(max=128)])
    # The opaque id of the draft this intake is kept in (``cases.intake.models.IntakeDraft``), once "Check now" or
    # "Continue in her file" was pressed; saving the intake deletes it.
    draft = HiddenField(validators=[Optional(), Length(max=36)])

    def draft_id(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(self.draft.data) if self.draft.data else None
        except (ValueError, TypeError, AttributeError):
            return None

    def application_date(self) -> date | None:
        return self.applied_on.data  # type: ignore[no-any-return]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_nationality() and ok

    # --- data for the service --------------------------------------------------------------------------------

    def identity_valid(self) -> bool:
        """Validate only the identity fields (for 'Check now'), with their inline checks."""
        ok = True
        for name in IDENTITY_FIELDS:
            field = getattr(self, name)
            inline = getattr(self, f"validate_{name}", None)  # bound: called as validator(form, field) below
            extra = [lambda _form, f, check=inline: check(f)] if inline else []
            ok = field.validate(self, extra) and ok
        return ok

    def add_child_row(self) -> None:
        if len(self.children.entries) < MAX_CHILDREN:
            self.children.append_entry()

    def children_data(self) -> list[dict[str, Any]]:
        return [{"full_name": row.full_name.data, "sex": row.sex.data or None, "birth_year": row.birth_year.data}
                for row in self.children if not row.form.is_empty]

    def safe_contact_data(self) -> dict[str, Any]:
        return {
            "call": bool(self.can_call.data), "text": bool(self.can_text.data),
            "voicemail": bool(self.can_leave_message.data), "visit": bool(self.can_visit.data),
            "mail": bool(self.can_mail.data), "safe_hours": self.safe_hours.data or "",
            "code_word": self.code_word.data or "", "phone_checked": self.phone_checked.data or "unknown",
            "notes": self.safe_contact_notes.data or "",
        }

    def to_data(self) -> dict[str, Any]:
        return {
            "applied_on": self.applied_on.data,
            "channel": self.channel.data,
            "violence_types": list(self.violence_types.data or []),
            "previous_applications": list(self.previous_applications.data or []),
            "relationship": self.relationship.data or None,
            "narrative": self.narrative.data,
            "immediate_needs": self.immediate_needs.data,
            "applicant": {
                "full_name": self.full_name.data, "tckn": self.tckn.data, "document_no": self.document_no.data,
                "nationality": self.nationality.data, "date_of_birth": self.date_of_birth.data,
                "phone": self.phone.data, "address": self.address.data, "language": self.language.data,
                "interpreter_needed": bool(self.interpreter_needed.data), "disability": self.disability.data,
                **self.equality_values(),
            },
            "children": self.children_data(),
            "perpetrator": {"full_name": self.perpetrator_name.data, "notes": self.perpetrator_notes.data,
                            "stated_sex": self.perpetrator_sex.data or None},
            "safe_contact": self.safe_contact_data(),
        }

class NewApplicationForm(IntakeForm):
    """The intake form's values, carried into a new application on her existing case
    (``cases.intake.applications``): the same fields, validated again, and which differences from her file to
    bring in (the choices are what differs, computed by the view on every request)."""

    notice_required = False  # her file may have the notice already; the service refuses a consent without one
    bring_in = MultiCheckboxField(_l("Bring into her file"), choices=[],
                                  description=_l("What you typed that her file does not have yet. Untick what "
                                                 "should stay as it is in her file."))
    save_application = SubmitField(_l("Save the new application"))

    def difference_labels(self) -> dict[str, str]:
        """What each difference is, in the page's language (the field's label)."""
        labels = {name: str(getattr(self, name).label.text) for name in (
            "full_name", "tckn", "document_no", "nationality", "date_of_birth", "phone", "address", "language",
            "interpreter_needed", "disability", *self.EQUALITY_FIELDS)}
        return {**labels, "child": str(_l("A child not in her file")),
                "perpetrator:full_name": str(self.perpetrator_name.label.text),
                "perpetrator:notes": str(self.perpetrator_notes.label.text),
                "perpetrator:stated_sex": str(self.perpetrator_sex.label.text),
                "perpetrator:relationship_to_applicant": str(self.relationship.label.text),
                "safe-contact": str(_l("How we may contact her safely"))}

    def privacy_values(self) -> dict[str, Any]:
        return {"notice_given": bool(self.notice_given.data), "notice_method": self.notice_method.data,
                "purposes": list(self.consent_purposes.data or []), "consent_method": self.consent_method.data}


class ApplicantDetailsForm(EqualityFields, ApplicantChecks, FlaskForm):
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
        return {**data, **self.equality_values()}


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
    """The person using violence: what the intake records (name, sex, relationship to her, description); the
    wording never assumes a man.

    As at intake every field is optional, but a perpetrator record says something: at least one field is filled.
    Where he lives or works and whether he has weapons go in the description, as at intake (the weapon question of
    the risk checklist is answered in the risk assessment, not derived from here).
    """

    full_name = StringField(_l("Name of the person using violence"),
                            validators=[Optional(), Length(max=SHORT_TEXT_MAX), single_line],
                            filters=[none_if_blank], render_kw={"autocomplete": "off"})
    stated_sex = SelectField(_l("Sex of the person using violence"),
                             choices=choices(PERPETRATOR_SEX_LABELS, blank=_l("Choose")), default="",
                             validators=[Optional()], filters=[_blank_if_none])
    relationship_to_applicant = SelectField(_l("Relationship to her"),
                                            choices=choices(RELATIONSHIP_LABELS, blank=_l("Choose")), default="",
                                            validators=[Optional()], filters=[_blank_if_none])
    notes = TextAreaField(_l("Description"),
                          description=_l("What helps staff recognise this person (no photo): appearance, car, "
                                         "workplace, weapons."),
                          validators=[Optional(), Length(max=LONG_TEXT_MAX), no_control_chars],
                          filters=[none_if_blank], render_kw={"rows": 3})

    FIELDS = ("full_name", "stated_sex", "relationship_to_applicant", "notes")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.full_name.data or self.stated_sex.data or self.relationship_to_applicant.data
                       or self.notes.data):
            self.full_name.errors = [*self.full_name.errors,
                                     _l("Enter a name, the sex, the relationship to her or a description.")]
            ok = False
        return ok

    def values(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in self.FIELDS}
        data["relationship_to_applicant"] = data["relationship_to_applicant"] or None
        data["stated_sex"] = data["stated_sex"] or None
        return data


class RemoveChildForm(FlaskForm):
    """The confirmation step of removing a child: only the CSRF token."""
