"""Forms of the safety-plan and support-plan pages, and the translated labels of their vocabularies. Shape only;
``cases.plans.services`` checks the rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from app.dates import local_today
from cases.core.forms import no_control_chars, strip
from cases.plans.models import SAFETY_PLAN_SECTIONS

MAX_SECTION = 8000
MAX_TEXT = 4000
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)

SECTION_LABELS = {
    "safe_contacts": _l("Safe contacts"),
    "code_word": _l("Code word"),
    "escape_route": _l("Escape route"),
    "safe_place": _l("Safe place to go"),
    "documents_money": _l("Documents and money ready"),
    "children": _l("Children's safety"),
    "digital": _l("Digital safety (phone, location sharing, accounts)"),
    "work_school": _l("Workplace and school"),
    "other": _l("Other"),
}
SECTION_HINTS = {
    "safe_contacts": _l("Who she can call or go to, and how to reach them safely."),
    "code_word": _l("The word or sign that tells a trusted person to call for help (155 police, 156 gendarmerie, "
                    "112 emergency, 183 ALO)."),
    "escape_route": _l("How she leaves the home quickly: exits, rooms to avoid, transport."),
    "safe_place": _l("Where she can go at any hour."),
    "documents_money": _l("Identity cards, children's documents, court orders, bank cards, cash, keys, medicines: "
                          "where they are kept."),
    "children": _l("What the children know and do; school pick-up arrangements."),
    "digital": _l("Whether he checks her phone, location sharing switched off, passwords changed, KADES."),
    "work_school": _l("Who at work or school knows; what to do if he turns up."),
    "other": _l("Anything else agreed with her."),
}
KADES_LABELS = {
    "": _l("Not discussed"),
    "installed": _l("KADES is installed and she knows how to use it"),
    "not-installed": _l("KADES is not installed"),
    "not-safe": _l("Not safe to keep KADES on her phone (he checks it)"),
}
PLAN_STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Waiting for review"),
    "approved": _l("Approved"),
    "returned": _l("Returned for changes"),
}
PLAN_STATUS_BADGES = {"draft": "muted", "submitted": "warning", "approved": "ok", "returned": "danger"}

DOMAIN_LABELS = {
    "legal": _l("Legal"),
    "psychological": _l("Psychological"),
    "social": _l("Social"),
    "economic": _l("Economic and employment"),
    "housing": _l("Housing"),
    "health": _l("Health"),
    "children": _l("Children"),
    "education": _l("Education"),
}
GOAL_STATUS_LABELS = {"open": _l("Open"), "achieved": _l("Achieved"), "dropped": _l("Dropped")}
ACTION_STATUS_LABELS = {
    "planned": _l("Planned"),
    "in-progress": _l("In progress"),
    "done": _l("Done"),
    "dropped": _l("Dropped"),
}
ACTION_STATUS_BADGES = {"planned": "", "in-progress": "warning", "done": "ok", "dropped": "muted"}
OWNER_LABELS = {"woman": _l("The woman herself"), "external": _l("An external institution or person")}


def _choices(labels: dict[str, Any], blank: Any = None) -> list[SelectChoice]:
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(k, v) for k, v in labels.items()]


def _sensible(form: Any, field: DateField) -> None:
    if field.data and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2999."))


def _text(label: Any, *, required: bool = False, max_length: int = MAX_TEXT, description: Any = None,
          message: Any = None) -> TextAreaField:
    first = DataRequired(message=message or _l("This cannot be empty.")) if required else Optional()
    return TextAreaField(label, description=description,
                         validators=[first, Length(max=max_length), no_control_chars], filters=[strip])


class SafetyPlanForm(FlaskForm):
    safe_contacts = _text(SECTION_LABELS["safe_contacts"], max_length=MAX_SECTION,
                          description=SECTION_HINTS["safe_contacts"])
    code_word = _text(SECTION_LABELS["code_word"], max_length=MAX_SECTION, description=SECTION_HINTS["code_word"])
    escape_route = _text(SECTION_LABELS["escape_route"], max_length=MAX_SECTION,
                         description=SECTION_HINTS["escape_route"])
    safe_place = _text(SECTION_LABELS["safe_place"], max_length=MAX_SECTION, description=SECTION_HINTS["safe_place"])
    documents_money = _text(SECTION_LABELS["documents_money"], max_length=MAX_SECTION,
                            description=SECTION_HINTS["documents_money"])
    children = _text(SECTION_LABELS["children"], max_length=MAX_SECTION, description=SECTION_HINTS["children"])
    digital = _text(SECTION_LABELS["digital"], max_length=MAX_SECTION, description=SECTION_HINTS["digital"])
    kades = SelectField(_l("KADES (police support app)"), choices=_choices(KADES_LABELS),
                        validators=[Optional()], default="")
    work_school = _text(SECTION_LABELS["work_school"], max_length=MAX_SECTION,
                        description=SECTION_HINTS["work_school"])
    other = _text(SECTION_LABELS["other"], max_length=MAX_SECTION, description=SECTION_HINTS["other"])

    def sections(self) -> dict[str, str]:
        data = {key: self[key].data or "" for key in SAFETY_PLAN_SECTIONS}
        data["kades"] = self.kades.data or ""
        return data

    def fill_from(self, sections: dict[str, Any] | None) -> None:
        for key, value in (sections or {}).items():
            if key in self:
                self[key].data = value


class ApproveForm(FlaskForm):
    review_due_on = DateField(_l("Review the plan by"), description=_l("Leave empty for 30 days from today."),
                              validators=[Optional(), _sensible])


class ReturnForm(FlaskForm):
    comments = _text(_l("What should change"), required=True,
                     message=_l("Write what should change before returning the plan."))


class GoalForm(FlaskForm):
    domain = SelectField(_l("Domain"), choices=_choices(DOMAIN_LABELS, _l("Choose a domain")),
                         validators=[DataRequired(message=_l("Choose a domain."))])
    need = _text(_l("Her need"), description=_l("In her words where possible."))
    goal = _text(_l("Goal"), required=True, message=_l("Write the goal."))


class GoalStatusForm(FlaskForm):
    status = SelectField(_l("Goal status"), choices=_choices(GOAL_STATUS_LABELS),
                         validators=[DataRequired()])


class _ActionFields(FlaskForm):
    owner = SelectField(_l("Who does it"), validators=[DataRequired(message=_l("Choose who does it."))])
    due_on = DateField(_l("Due date"), validators=[Optional(), _sensible])

    def fill_owner_choices(self, staff: list[Any]) -> None:
        self.owner.choices = (_choices(OWNER_LABELS, _l("Choose who does it"))
                              + [SelectChoice(str(u.public_id), u.name) for u in staff])


class ActionForm(_ActionFields):
    description = _text(_l("Action"), required=True, message=_l("Describe the action."))


class ActionUpdateForm(_ActionFields):
    status = SelectField(_l("Status"), choices=_choices(ACTION_STATUS_LABELS), validators=[DataRequired()])
    note = _text(_l("Progress note"), description=_l("Optional: what happened since the last note."))


class ReviewForm(FlaskForm):
    reviewed_on = DateField(_l("Date of the review"), default=local_today,
                            validators=[DataRequired(message=_l("Enter a date.")), _sensible])
    summary = _text(_l("Summary"), required=True, message=_l("Write a summary of the review."))
    next_review_on = DateField(_l("Next review"), validators=[Optional(), _sensible])
