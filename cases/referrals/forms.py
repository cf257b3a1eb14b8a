"""Forms of the consent and referral pages: shape only (choices, lengths, dates). ``cases.referrals.services``
checks the rules (the consent gate, transitions, the override reason)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from cases.core.forms import TEXT_MAX, MultiCheckboxField, no_control_chars, none_if_blank, sensible_date, single_line
from cases.referrals.models import CONSENT_METHODS, DATA_CLASSES, INSTITUTION_TYPES, REFERRAL_OUTCOMES
from cases.referrals.services import DATA_CLASS_LABELS, INSTITUTION_LABELS, METHOD_LABELS, OUTCOME_LABELS, STATUS_LABELS

NAME_MAX = 200
REASON_MAX = 2000
def institution_choices(blank: bool = True) -> list[SelectChoice]:
    options = [SelectChoice(k, INSTITUTION_LABELS[k]) for k in INSTITUTION_TYPES]
    return ([SelectChoice("", _l("Choose…"))] if blank else []) + options


def data_class_choices() -> list[SelectChoice]:
    return [SelectChoice(k, DATA_CLASS_LABELS[k]) for k in DATA_CLASSES]


class ConsentForm(FlaskForm):
    institution_type = SelectField(_l("Institution she agrees to share with"), choices=institution_choices(),
                                   id="consent-institution-type",
                                   validators=[DataRequired(_l("Choose the kind of institution."))])
    institution_name = StringField(
        _l("Institution name or unit (optional)"), filters=[none_if_blank], id="consent-institution-name",
        validators=[Optional(), Length(max=NAME_MAX), single_line],
        description=_l("For example: Şişli ŞÖNİM. Leave empty if she agrees to any institution of this kind."),
    )
    data_classes = MultiCheckboxField(_l("Information she agrees to share"), choices=data_class_choices(),
                                      id="consent-data-classes",
                                      validators=[DataRequired(_l("Choose at least one."))])
    method = RadioField(_l("How she gave consent"),
                        choices=[SelectChoice(k, METHOD_LABELS[k]) for k in CONSENT_METHODS],
                        validators=[InputRequired(_l("Say how she gave her consent."))])
    witnessed_by = SelectField(_l("Witnessed by a colleague"), validators=[Optional()], default="")
    witness_text = StringField(
        _l("Or witnessed by (name and role)"), filters=[none_if_blank],
        validators=[Optional(), Length(max=NAME_MAX), single_line],
        description=_l("Verbal consent needs a witness."),
    )
    given_on = DateField(_l("Given on"), validators=[InputRequired(_l("Enter a valid date.")), sensible_date])
    valid_until = DateField(
        _l("Valid until"), validators=[InputRequired(_l("Enter a valid date.")), sensible_date],
        description=_l("Consent is time-limited: choose the date after which it must be asked again."),
    )

    def fill_witnesses(self, colleagues: list[Any]) -> None:
        self.witnessed_by.choices = [SelectChoice("", _l("Nobody from the centre"))] + [
            SelectChoice(str(u.public_id), u.name) for u in colleagues
        ]

    def validate_valid_until(self, field: DateField) -> None:
        if field.data and self.given_on.data and field.data < self.given_on.data:
            raise ValidationError(_l("The consent cannot end before the day it was given."))


class RevokeConsentForm(FlaskForm):
    reason = TextAreaField(_l("Why is it revoked? (optional)"), filters=[none_if_blank],
                           validators=[Optional(), Length(max=REASON_MAX), no_control_chars])


class ReferralForm(FlaskForm):
    institution_type = SelectField(_l("Refer to"), choices=institution_choices(),
                                   validators=[DataRequired(_l("Choose the kind of institution."))])
    institution_name = StringField(_l("Institution name"), filters=[none_if_blank],
                                   validators=[Optional(), Length(max=NAME_MAX), single_line])
    contact_person = StringField(_l("Contact person"), filters=[none_if_blank],
                                 validators=[Optional(), Length(max=NAME_MAX), single_line])
    notes = TextAreaField(_l("Reason for the referral and notes"), filters=[none_if_blank],
                          validators=[Optional(), Length(max=TEXT_MAX), no_control_chars],
                          description=_l("Stays in this file: it is not shared with the institution."))
    data_classes = MultiCheckboxField(_l("Information to share"), choices=data_class_choices(),
                                      validators=[DataRequired(_l("Choose at least one."))])
    consent = SelectField(_l("Her consent"), validators=[Optional()], default="",
                          description=_l("Only consents valid today are listed."))
    follow_up_on = DateField(_l("Follow up on (optional)"), validators=[Optional(), sensible_date],
                             description=_l("Empty: one week after sending."))

    def fill_consents(self, consents: list[Any], describe: Any) -> None:
        self.consent.choices = [SelectChoice("", _l("No consent recorded"))] + [
            SelectChoice(str(c.public_id), describe(c)) for c in consents
        ]

    def draft_fields(self) -> dict[str, Any]:
        """The draft's fields as ``create_referral`` / ``edit_referral`` take them (the consent is looked up apart)."""
        return {"institution_type": self.institution_type.data or "",
                "data_classes": list(self.data_classes.data or []), "institution_name": self.institution_name.data,
                "contact_person": self.contact_person.data, "notes": self.notes.data,
                "follow_up_on": self.follow_up_on.data}


class SendReferralForm(FlaskForm):
    digest = HiddenField(validators=[DataRequired(_l("Send again from the preview."))])
    confirm = BooleanField(_l("I have checked the information above: this, and only this, is shared."),
                           validators=[DataRequired(_l("Confirm that you checked what is shared."))])


class OverrideReferralForm(FlaskForm):
    """Sending without a valid consent, in an emergency. Its own field names: it sits on the preview beside
    ``SendReferralForm`` and posts to the same endpoint."""

    override_digest = HiddenField(validators=[DataRequired(_l("Send again from the preview."))])
    override_reason = TextAreaField(
        _l("Reason for sending without valid consent"), filters=[none_if_blank],
        validators=[DataRequired(_l("Write the reason.")), Length(max=REASON_MAX), no_control_chars],
        description=_l("Only in an emergency (danger to her life, or a legal duty). At least 10 characters. "
                       "Your supervisor reviews every override."),
    )
    override_confirm = BooleanField(
        _l("I have checked the information above and send it without valid consent."),
        validators=[DataRequired(_l("Confirm that you checked what is shared."))])


STATUS_TARGETS = ("accepted", "declined", "completed", "withdrawn")


class ReferralStatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=[SelectChoice("", _l("Choose…"))] + [
        SelectChoice(k, STATUS_LABELS[k]) for k in STATUS_TARGETS],
        validators=[DataRequired(_l("Choose the new status."))])
    outcome = SelectField(_l("Outcome"), choices=[SelectChoice("", _l("Not yet known"))] + [
        SelectChoice(k, OUTCOME_LABELS[k]) for k in REFERRAL_OUTCOMES], validators=[Optional()], default="")
    outcome_text = TextAreaField(_l("What happened (optional)"), filters=[none_if_blank],
                                 validators=[Optional(), Length(max=TEXT_MAX), no_control_chars])
    follow_up_on = DateField(_l("Next follow-up (optional)"), validators=[Optional(), sensible_date])
