"""The auditor's search form: shape checks only (lengths, dates, choices); the query lives in ``audit_views``.

A GET form without CSRF: it changes nothing, and its URL must be shareable between auditors. Every value is
bounded so a malformed or oversized query string yields a form error, never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from app.audit import Outcome, parse_anchor


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _printable(form: FlaskForm, field: StringField) -> None:
    # PostgreSQL refuses NUL in text parameters (a 500); no audit value holds control characters anyway.
    if field.data and any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data):
        raise ValidationError(_l("Remove the control characters."))


EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


def _sensible_date(form: FlaskForm, field: DateField) -> None:
    # Far-off dates overflow when turned into a UTC range (year 1 minus three hours); no event is that old.
    if field.data and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(_l("Enter a date between 2000 and 2999."))


OUTCOME_CHOICES = [
    SelectChoice("", _l("Any outcome")),
    SelectChoice(Outcome.SUCCESS.value, _l("Success")),
    SelectChoice(Outcome.FAILURE.value, _l("Failed")),
    SelectChoice(Outcome.DENIED.value, _l("Refused")),
]


class AuditFilterForm(FlaskForm):
    """Construct with ``AuditFilterForm(request.args, meta={"csrf": False})``."""

    user = StringField(
        _l("User email"),
        description=_l("The whole address, or its beginning."),
        validators=[Optional(), Length(max=254), _printable],
        filters=[_strip],
    )
    action = StringField(
        _l("Action"),
        description=_l("Pick one, or type the beginning of an action code (case., auth., data. …)."),
        validators=[Optional(), Length(max=60), _printable],
        filters=[_strip],
        render_kw={"list": "audit-actions", "autocomplete": "off"},
    )
    case_number = StringField(
        _l("Case number"), validators=[Optional(), Length(max=40), _printable], filters=[_strip]
    )
    date_from = DateField(_l("From (date)"), validators=[Optional(), _sensible_date])
    date_to = DateField(_l("To (date)"), validators=[Optional(), _sensible_date])
    outcome = SelectField(_l("Outcome"), choices=OUTCOME_CHOICES, default="", validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and self.date_from.data > field.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def filters(self) -> dict[str, str]:
        """The filters in use, as plain strings (for the export's audit record and for links)."""
        values: dict[str, str] = {}
        for name in ("user", "action", "case_number", "date_from", "date_to", "outcome"):
            data = getattr(self, name).data
            if isinstance(data, date):
                values[name] = data.isoformat()
            elif data:
                values[name] = str(data)
        return values


def _anchor(form: FlaskForm, field: StringField) -> None:
    if field.data:
        try:
            field.data = parse_anchor(field.data)
        except ValueError:
            raise ValidationError(_l("Enter the anchor as it was shown: the sequence number, a colon and the "
                                     "64-character hash, e.g. 1234:9f86d081…")) from None


class AnchorForm(FlaskForm):
    """``?anchor=SEQ:HASH`` on the verify page. Construct with ``AnchorForm(request.args, meta={"csrf": False})``;
    after validation ``anchor.data`` is an :class:`app.audit.Anchor` or empty."""

    anchor = StringField(
        _l("Anchor kept earlier (optional)"),
        description=_l("Paste an anchor noted on this page earlier: the log must still hold that very event."),
        validators=[Optional(), Length(max=100), _anchor],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
