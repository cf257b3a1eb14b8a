"""The feedback questionnaire: every answer optional."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import Optional

from cases.core.forms import MultiCheckboxField
from cases.core.labels import choices

ANSWER_LABELS = {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}
QUESTION_LABELS = {
    "felt_safe": _l("Did you feel safe here?"),
    "felt_believed": _l("Did you feel believed?"),
    "would_recommend": _l("Would you recommend the centre to a woman in your situation?"),
}
HELPED_LABELS = {
    "listening": _l("Being listened to"), "safety-plan": _l("Planning for my safety"),
    "legal": _l("Legal help and protective orders"), "shelter": _l("A place in a shelter"),
    "psychological": _l("Psychological support"), "economic": _l("Financial or job support"),
    "children": _l("Support for my children"), "referrals": _l("Being put in touch with other services"),
}


class FeedbackForm(FlaskForm):
    felt_safe = RadioField(QUESTION_LABELS["felt_safe"], choices=choices(ANSWER_LABELS), validators=[Optional()])
    felt_believed = RadioField(QUESTION_LABELS["felt_believed"], choices=choices(ANSWER_LABELS),
                               validators=[Optional()])
    would_recommend = RadioField(QUESTION_LABELS["would_recommend"], choices=choices(ANSWER_LABELS),
                                 validators=[Optional()])
    helped = MultiCheckboxField(_l("What helped you?"), choices=choices(HELPED_LABELS))
