"""The legal-process forms (shape only; the services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.dates import local_today
from cases.core.forms import (
    MultiCheckboxField,
    no_control_chars,
    none_if_blank,
    not_in_future,
    sensible_date,
    sensible_past_date,
    single_line,
)
from cases.core.labels import choices

PROCEEDING_KIND_LABELS = {
    "criminal-complaint": _l("Criminal complaint and investigation"),
    "criminal-case": _l("Criminal case"),
    "divorce": _l("Divorce"),
    "custody": _l("Custody of the children"),
    "maintenance": _l("Maintenance"),
    "other": _l("Other proceeding"),
}
PROCEEDING_STATUS_LABELS = {"ongoing": _l("Ongoing"), "concluded": _l("Concluded")}
PROCEEDING_OUTCOME_LABELS = {
    "non-prosecution": _l("Decision of non-prosecution"),
    "conviction": _l("Conviction"),
    "deferred-verdict": _l("Deferral of the announcement of the verdict"),
    "acquittal": _l("Acquittal"),
    "granted": _l("Claim granted"),
    "partly-granted": _l("Claim partly granted"),
    "rejected": _l("Claim rejected"),
    "withdrawn": _l("Withdrawn or dropped"),
    "other": _l("Other outcome"),
}
APPEAL_LABELS = {"filed": _l("Objection or appeal filed"), "not-filed": _l("Not appealed")}
CUSTODY_STATUS_LABELS = {
    "detained": _l("Detained by the police"),
    "arrested": _l("Arrested, in prison pending trial"),
    "sentenced": _l("Serving a sentence"),
    "released": _l("Released"),
}
MEASURE_KIND_LABELS = {
    "identity": _l("Her identity kept confidential"),
    "address": _l("Her address kept confidential"),
    "civil-registry": _l("Address hidden in the civil registry"),
    "school-transfer": _l("Confidential school transfer for the children"),
}
MEASURE_STATUS_LABELS = {"requested": _l("Requested"), "granted": _l("Granted"), "refused": _l("Refused")}

REPORT_CONCERN_LABELS = {
    "crime-against-her": _l("A crime against her"),
    "child-abuse": _l("Abuse or neglect of a child"),
    "other-crime": _l("Another crime"),
}
REPORT_DECISION_LABELS = {"reported": _l("Reported"), "not-reported": _l("Not reported"),
                          "undecided": _l("Not decided yet")}
REPORT_RECIPIENT_LABELS = {
    "police": _l("Police"), "gendarmerie": _l("Gendarmerie"), "prosecutor": _l("Public prosecutor"),
    "family-services": _l("Provincial directorate of family and social services"), "other": _l("Other"),
}

_TEXT = [Optional(), Length(max=200), single_line]


class KeySelectField(SelectField):
    """A select of keys with a blank choice: a column still empty (None) shows as the blank choice, so an edit form
    filled from its row validates when the select is left as it is."""

    def process_data(self, value: object) -> None:
        super().process_data("" if value is None else value)


class ProceedingForm(FlaskForm):
    kind = SelectField(_l("Proceeding"), choices=choices(PROCEEDING_KIND_LABELS, blank=_l("Choose…")),
                       validators=[InputRequired(message=_l("Choose the kind of proceeding."))])
    authority = StringField(_l("Court or prosecutor's office"), validators=_TEXT, filters=[none_if_blank])
    file_number = StringField(_l("Investigation number"), validators=[Optional(), Length(max=60), single_line],
                              filters=[none_if_blank], render_kw={"autocomplete": "off"},
                              description=_l("The prosecutor's investigation (soruşturma) number."))
    court_file_number = StringField(_l("Court file number"), validators=[Optional(), Length(max=60), single_line],
                                    filters=[none_if_blank], render_kw={"autocomplete": "off"},
                                    description=_l("The court's file (esas) number."))
    has_legal_aid = BooleanField(_l("The lawyer is from the bar's legal aid service"))
    lawyer = StringField(_l("Lawyer"), validators=_TEXT, filters=[none_if_blank], render_kw={"autocomplete": "off"})
    next_hearing_on = DateField(_l("Next hearing"), validators=[Optional(), sensible_date],
                                description=_l("It shows in the task list a week before."))
    hearing_note = TextAreaField(_l("What happened at the hearing"),
                                 validators=[Optional(), Length(max=2000), no_control_chars],
                                 filters=[none_if_blank], render_kw={"rows": 3},
                                 description=_l("Once the hearing's day has come: it is kept in the hearing history "
                                                "when you enter the next hearing or conclude the proceeding."))
    status = SelectField(_l("Status"), choices=choices(PROCEEDING_STATUS_LABELS), default="ongoing")
    outcome = KeySelectField(_l("Outcome"), default="",
                             choices=choices(PROCEEDING_OUTCOME_LABELS, blank=_l("No decision yet")))
    appeal_deadline_on = DateField(_l("Last day to object or appeal"), validators=[Optional(), sensible_date],
                                   description=_l("It shows in the task list two weeks before."))
    appeal = KeySelectField(_l("Appeal"), choices=choices(APPEAL_LABELS, blank=_l("Not recorded yet")), default="")


class CustodyForm(FlaskForm):
    """``perpetrator`` choices are filled by the view with the case's perpetrators (public ids)."""

    perpetrator = SelectField(_l("The person using violence"), default="", validators=[Optional()])
    status = SelectField(_l("Custody status"), choices=choices(CUSTODY_STATUS_LABELS, blank=_l("Choose…")),
                         validators=[InputRequired(message=_l("Choose the custody status."))])
    release_on = DateField(_l("Release date"), validators=[Optional(), sensible_date],
                           description=_l("The day of the release, past or expected. On that day her "
                                          "risk is to be re-assessed and her team is alerted."))


class MeasuresForm(FlaskForm):
    """One select per 6284 confidentiality measure (blank: not requested)."""

    identity = SelectField(MEASURE_KIND_LABELS["identity"],
                           choices=choices(MEASURE_STATUS_LABELS, blank=_l("Not requested")), default="")
    address = SelectField(MEASURE_KIND_LABELS["address"],
                          choices=choices(MEASURE_STATUS_LABELS, blank=_l("Not requested")), default="")
    civil_registry = SelectField(MEASURE_KIND_LABELS["civil-registry"],
                                 choices=choices(MEASURE_STATUS_LABELS, blank=_l("Not requested")), default="")
    school_transfer = SelectField(MEASURE_KIND_LABELS["school-transfer"],
                                  choices=choices(MEASURE_STATUS_LABELS, blank=_l("Not requested")), default="")

    def statuses(self) -> dict[str, str | None]:
        return {kind: getattr(self, kind.replace("-", "_")).data or None for kind in MEASURE_KIND_LABELS}


class DecideReportForm(FlaskForm):
    """Deciding an entry logged as undecided: what was decided, to whom, why, whether she was told first."""

    decision = RadioField(_l("Decision"), choices=choices({k: v for k, v in REPORT_DECISION_LABELS.items()
                                                           if k != "undecided"}),
                          validators=[InputRequired(message=_l("Choose the decision."))])
    reported_to = MultiCheckboxField(_l("Reported to"), choices=choices(REPORT_RECIPIENT_LABELS))
    reason = TextAreaField(_l("Why"), validators=[Optional(), Length(max=2000), no_control_chars],
                           filters=[none_if_blank], render_kw={"rows": 3},
                           description=_l("Required when it is not reported."))
    she_was_told_first = BooleanField(_l("She was told before it was reported or decided"))


class ReportDecisionForm(DecideReportForm):
    learned_on = DateField(_l("When staff learned of it"), default=local_today,
                           validators=[InputRequired(message=_l("Enter the date.")), not_in_future,
                                       sensible_past_date])
    concern = RadioField(_l("What staff learned of"), choices=choices(REPORT_CONCERN_LABELS),
                         validators=[InputRequired(message=_l("Choose what staff learned of."))])
    decision = RadioField(_l("Decision"), choices=choices(REPORT_DECISION_LABELS),
                          validators=[InputRequired(message=_l("Choose the decision."))],
                          description=_l("Not decided yet: it stays in the task list of her team until it is "
                                         "decided."))


class ReportLogFilterForm(FlaskForm):
    """The supervisor's decision log filter (a GET form: no CSRF, it changes nothing)."""

    decision = SelectField(_l("Decision"), choices=choices(REPORT_DECISION_LABELS, blank=_l("All decisions")),
                           default="", validators=[Optional()])
