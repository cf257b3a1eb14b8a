"""The incident form (shape only; the service checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from app.dates import local_today
from cases.core.forms import MultiCheckboxField, no_control_chars, none_if_blank, not_in_future, sensible_past_date
from cases.core.labels import VIOLENCE_TYPE_LABELS, choices

SUB_KIND_LABELS = {
    "forced-marriage": _l("Forced or early marriage"),
    "weapon-threat": _l("Threat with a weapon"),
    "strangulation": _l("Strangulation"),
}
PLACE_TYPE_LABELS = {
    "home": _l("Her home"), "relatives-home": _l("A relative's home"), "street": _l("Street or public place"),
    "workplace": _l("Workplace"), "school": _l("School"), "online": _l("Online"), "other": _l("Other"),
}
REPORTED_TO_LABELS = {"police": _l("Police"), "gendarmerie": _l("Gendarmerie"), "kades": _l("KADES")}


class IncidentForm(FlaskForm):
    """``perpetrator`` choices are filled by the view with the case's perpetrators (public ids)."""

    occurred_on = DateField(_l("Date of the incident"), default=local_today,
                            validators=[InputRequired(message=_l("Enter the date of the incident.")), not_in_future,
                                        sensible_past_date])
    is_approximate = BooleanField(_l("The date is approximate (she remembers the period, not the day)"))
    violence_types = MultiCheckboxField(_l("Types of violence"), choices=choices(VIOLENCE_TYPE_LABELS))
    sub_kinds = MultiCheckboxField(_l("Also"), choices=choices(SUB_KIND_LABELS),
                                   description=_l("Strangulation and threats with a weapon raise her risk."))
    place_type = SelectField(_l("Where it happened"), choices=choices(PLACE_TYPE_LABELS, blank=_l("Not known")),
                             default="", validators=[Optional()])
    perpetrator = SelectField(_l("The person using violence"), default="", validators=[Optional()])
    reported_to = MultiCheckboxField(_l("Reported to"), choices=choices(REPORTED_TO_LABELS))
    forensic_report = BooleanField(_l("A forensic medical report was taken"))
    injuries = TextAreaField(_l("Injuries"), validators=[Optional(), Length(max=2000), no_control_chars],
                             filters=[none_if_blank], render_kw={"rows": 3})
