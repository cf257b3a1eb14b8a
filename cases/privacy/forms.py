"""The privacy fields (on the intake form and on the case's privacy page) and the revoke button's form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, ValidationError

from cases.core.forms import MultiCheckboxField
from cases.core.labels import choices

NOTICE_METHOD_LABELS = {
    "printed": _l("A printed copy was given to her"),
    "read-aloud": _l("It was read aloud to her"),
    "interpreter": _l("It was explained to her through an interpreter"),
}
CONSENT_PURPOSE_LABELS = {
    "special-data": _l("Her health and other special-category data are recorded to support her"),
    "statistics": _l("Her anonymised data are counted in the centre's statistics"),
    "follow-up": _l("The centre may contact her after her file is closed"),
}
CONSENT_METHOD_LABELS = {"written": _l("In writing"), "verbal": _l("Verbally")}


class PrivacyFields:
    """Mixed into the intake form: the notice is required there, before the case exists."""

    notice_given = BooleanField(_l("She was given the KVKK information notice (aydınlatma metni)"))
    notice_method = SelectField(_l("How the notice was given"), choices=choices(NOTICE_METHOD_LABELS),
                                default="printed")
    consent_purposes = MultiCheckboxField(_l("She gives her explicit consent (açık rıza) to"),
                                          choices=choices(CONSENT_PURPOSE_LABELS),
                                          description=_l("Only what she agrees to. She can withdraw each at any "
                                                         "time."))
    consent_method = SelectField(_l("How she gave her consent"), choices=choices(CONSENT_METHOD_LABELS),
                                 default="written")
    notice_required = True

    def validate_notice_given(self, field: Any) -> None:
        if self.notice_required and not field.data:
            raise ValidationError(_l("Give her the information notice first, and tick that it was given."))


class PrivacyForm(PrivacyFields, FlaskForm):
    """The case's privacy page: record the notice (when it is missing) and further consents."""

    notice_required = False  # the service refuses a consent while no notice is on record


class RevokeForm(FlaskForm):
    """CSRF only."""
