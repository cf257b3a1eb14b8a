"""Forms of the risk pages: the assessment (one yes/no/unknown question per indicator of a checklist version, built
for that version) and the administrators' checklist publishing form. Shape only; ``cases.risk.services`` checks the
rules (lowering refused, reason required, thresholds)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from cases.core.forms import no_control_chars, strip
from cases.core.labels import RISK_LABELS
from cases.risk.models import Answer, RiskChecklist

ANSWER_LABELS = {Answer.YES.value: _l("Yes"), Answer.NO.value: _l("No"), Answer.UNKNOWN.value: _l("Not known")}
MAX_REASON = 4000
MAX_ITEMS_TEXT = 40_000


class _AssessmentBase(FlaskForm):
    level = SelectField(
        _l("Risk level"),
        description=_l("Leave it as scored, or raise it on professional judgement (with a reason). "
                       "The level can never be set below the score."),
        choices=[SelectChoice("", _l("As scored"))] + [SelectChoice(k, v) for k, v in RISK_LABELS.items()],
        validators=[Optional()], default="",
    )
    judgement_reason = TextAreaField(
        _l("Reason for raising the level"),
        description=_l("Required when you raise the level: what you know or observed that the score does not show."),
        validators=[Optional(), Length(max=MAX_REASON), no_control_chars], filters=[strip],
    )

    checklist: RiskChecklist

    def answer_fields(self) -> list[tuple[dict[str, Any], Any]]:
        return [(item, self[f"q_{item['key']}"]) for item in self.checklist.items]

    def answers(self) -> dict[str, str]:
        return {item["key"]: field.data for item, field in self.answer_fields()}


def assessment_form(checklist: RiskChecklist, locale: str, **kwargs: Any) -> _AssessmentBase:
    """A form class for this checklist version, instantiated (field per indicator: ``q_<key>``)."""

    class AssessmentForm(_AssessmentBase):
        pass

    for number, item in enumerate(checklist.items, start=1):
        setattr(AssessmentForm, f"q_{item['key']}", RadioField(
            f"{number}. {checklist.item_text(item, locale)}",
            choices=[SelectChoice(k, v) for k, v in ANSWER_LABELS.items()],
            validators=[InputRequired(message=_l("Answer yes, no or not known."))],
        ))
    form = AssessmentForm(**kwargs)
    form.checklist = checklist
    return form


class ChecklistForm(FlaskForm):
    """A new checklist version. Indicators: one a line, ``key | weight | Turkish question | English question``."""

    items = TextAreaField(
        _l("Indicators"),
        description=_l("One indicator a line: key | weight | Turkish question | English question. Keys use "
                       "lower-case letters, digits and _; a weight is a whole number from 1 to 10."),
        validators=[DataRequired(message=_l("Enter the indicators.")), Length(max=MAX_ITEMS_TEXT),
                    no_control_chars],
        render_kw={"rows": 26, "spellcheck": "false"},
    )
    medium_threshold = IntegerField(_l("Medium risk from score"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=600)])
    high_threshold = IntegerField(_l("High risk from score"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=600)])
    review_days_high = IntegerField(_l("Re-assess high risk after (days)"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=365)])
    review_days_medium = IntegerField(_l("Re-assess medium risk after (days)"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=365)])
    review_days_standard = IntegerField(_l("Re-assess standard risk after (days)"), validators=[
        InputRequired(message=_l("Enter a whole number.")), NumberRange(min=1, max=365)])

    parsed_items: list[dict[str, Any]]

    def validate_items(self, field: TextAreaField) -> None:
        parsed = []
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4:
                raise ValidationError(_l("Line %(n)s: write key | weight | Turkish | English.", n=number))
            key, weight, text_tr, text_en = parts
            if not weight.isdigit():
                raise ValidationError(_l("Line %(n)s: the weight must be a whole number.", n=number))
            parsed.append({"key": key, "weight": int(weight), "text_tr": text_tr, "text_en": text_en})
        self.parsed_items = parsed

    def fill_from(self, checklist: RiskChecklist) -> None:
        self.items.data = "\n".join(
            f"{i['key']} | {i['weight']} | {i['text_tr']} | {i['text_en']}" for i in checklist.items)
        self.medium_threshold.data = checklist.medium_threshold
        self.high_threshold.data = checklist.high_threshold
        self.review_days_high.data = checklist.review_days_high
        self.review_days_medium.data = checklist.review_days_medium
        self.review_days_standard.data = checklist.review_days_standard

    def review_days(self) -> dict[str, int]:
        return {"high": self.review_days_high.data, "medium": self.review_days_medium.data,
                "standard": self.review_days_standard.data}


REASSESSMENT_REASON_LABELS = {
    "order-violation": _l("Protective order violated"),
    "new-incident": _l("New incident"),
    "separation": _l("Separation or leaving"),
    "location-inquiry": _l("Someone asked where she is"),
    "order-expiry": _l("Protective order expiring"),
    "release-from-custody": _l("Perpetrator released from custody"),
    "other": _l("Other trigger"),
}
