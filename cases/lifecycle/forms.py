"""Forms of a case's lifecycle: team, transfer, closure, reopening, break-glass and its review."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.numbers import lazy_number
from cases.core.forms import MultiCheckboxField, no_control_chars, none_if_blank, single_line, strip
from cases.core.labels import (
    BREAK_GLASS_CATEGORY_LABELS,
    CLOSE_REASON_LABELS,
    CLOSURE_CHECKLIST_LABELS,
    RISK_LABELS,
    choices,
)

REASON_MIN = 10


class TeamForm(FlaskForm):
    """Choices are filled by the view with the centre's active counsellors (public ids)."""

    primary = SelectField(_l("Primary counsellor"), validators=[DataRequired(message=_l("Choose a counsellor."))])
    members = MultiCheckboxField(_l("Team"), description=_l("Colleagues who also work on this case."))


class TransferForm(FlaskForm):
    centre = SelectField(_l("Receiving centre"), validators=[DataRequired(message=_l("Choose a centre."))])
    reason = TextAreaField(_l("Reason for the transfer"),
                           validators=[DataRequired(message=_l("Give the reason.")), Length(min=REASON_MIN, max=1000),
                                       no_control_chars],
                           filters=[strip], render_kw={"rows": 3})


class CloseForm(FlaskForm):
    reason = SelectField(_l("Why is the case being closed?"),
                         choices=choices(CLOSE_REASON_LABELS, blank=_l("Choose")), default="",
                         validators=[DataRequired(message=_l("Choose why the case is being closed."))])
    checklist = MultiCheckboxField(_l("Before closing"), choices=choices(CLOSURE_CHECKLIST_LABELS),
                                   description=_l("Tick what has been done."))
    risk_at_closure = SelectField(_l("Her risk level at closure"),
                                  choices=choices(RISK_LABELS, blank=_l("Choose")), default="",
                                  validators=[DataRequired(message=_l("Choose her risk level at closure."))])
    explanation = TextAreaField(_l("What is missing, and why"),
                                description=_l("Needed when an item above is not ticked, or the risk level at closure "
                                               "is lower than the last assessment."),
                                validators=[Optional(), Length(max=2000), no_control_chars],
                                filters=[none_if_blank], render_kw={"rows": 3})
    decision_note = TextAreaField(_l("Reason for approving the closure"),
                                  description=_l("Required for a high-risk case."),
                                  validators=[Optional(), Length(max=2000), no_control_chars],
                                  filters=[none_if_blank], render_kw={"rows": 3})


DECISION_LABELS = {"approve": _l("Approve and close the case"),
                   "return": _l("Return it to the counsellor with comments")}


class ClosureDecisionForm(FlaskForm):
    decision = RadioField(_l("Your decision"), choices=choices(DECISION_LABELS),
                          validators=[DataRequired(message=_l("Choose approve or return."))])
    note = TextAreaField(_l("Comments, or the reason for approving"),
                         description=_l("Required when you return the request, and to close a high-risk case."),
                         validators=[Optional(), Length(max=2000), no_control_chars],
                         filters=[none_if_blank], render_kw={"rows": 4})


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"),
                           validators=[DataRequired(message=_l("Give the reason.")), Length(min=REASON_MIN, max=2000),
                                       no_control_chars],
                           filters=[strip], render_kw={"rows": 3})


class BreakGlassForm(FlaskForm):
    number = StringField(_l("Case number"), description=_l("For example: BYK-2026-0042."),
                         validators=[DataRequired(message=_l("Enter the case number.")), Length(max=40), single_line],
                         filters=[strip], render_kw={"autocomplete": "off", "spellcheck": "false"})
    category = SelectField(_l("What kind of emergency is it?"),
                           description=_l("Only this goes into the audit log; the words below stay in the case."),
                           choices=choices(BREAK_GLASS_CATEGORY_LABELS, blank=_l("Choose")), default="",
                           validators=[DataRequired(message=_l("Choose what kind of emergency it is."))])
    reason = TextAreaField(_l("Why do you need to open this case now?"),
                           description=_l("At least %(n)s characters. Your supervisor reviews every emergency access. "
                                          "Do not write her name or other personal details here.",
                                          n=lazy_number(REASON_MIN)),
                           validators=[DataRequired(message=_l("Give the reason.")),
                                       Length(min=REASON_MIN, max=500,
                                              message=_l("Write between %(min)s and %(max)s characters.",
                                                         min=lazy_number(REASON_MIN), max=lazy_number(500))),
                                       no_control_chars],
                           filters=[strip], render_kw={"rows": 3})


class ReviewForm(FlaskForm):
    grant = HiddenField(validators=[DataRequired(), Length(max=20)])
