"""Forms of the protective-order pages: shape only. ``cases.orders.services`` checks the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)
from cases.core.forms import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    TEXT_MAX,
    MultiCheckboxField,
    no_control_chars,
    none_if_blank,
    sensible_date,
)
from cases.orders.models import DEFAULT_DURATION_DAYS, MAX_DURATION_DAYS, ORDER_ISSUERS, ORDER_KINDS, ORDER_MEASURES
from cases.orders.services import ISSUER_LABELS, KIND_LABELS, MEASURE_LABELS

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def sensible_datetime(form: Any, field: Any) -> None:
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(_l("Enter a date between %(start)s and %(end)s.", start=EARLIEST_YEAR, end=LATEST_YEAR))


def aware(local: datetime) -> datetime:
    """A naive local time typed in the form (Istanbul) as an aware datetime."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))
    return local.replace(tzinfo=zone)


class OrderForm(FlaskForm):
    kind = RadioField(_l("Kind of order"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in ORDER_KINDS],
                      validators=[InputRequired(_l("Choose the kind of order."))])
    issuer = RadioField(_l("Issued by"), choices=[SelectChoice(k, ISSUER_LABELS[k]) for k in ORDER_ISSUERS],
                        validators=[InputRequired(_l("Choose who issued the order."))],
                        description=_l("An order by the police lapses unless approved within 48 hours."))
    measures = MultiCheckboxField(_l("Measures"),
                                  choices=[SelectChoice(k, MEASURE_LABELS[k]) for k in ORDER_MEASURES],
                                  validators=[DataRequired(_l("Choose at least one measure."))])
    issued_at = DateTimeLocalField(_l("Issued at (date and time)"), format=DATETIME_FORMATS,
                                   validators=[InputRequired(_l("Enter a valid date and time.")), sensible_datetime])
    starts_on = DateField(_l("In force from"), validators=[InputRequired(_l("Enter a valid date.")), sensible_date])
    duration_days = IntegerField(
        _l("Duration in days"), default=DEFAULT_DURATION_DAYS,
        validators=[InputRequired(_l("Enter a number of days.")),
                    NumberRange(min=1, max=MAX_DURATION_DAYS, message=_l("Enter between 1 and %(max)s days.",
                                                                         max=MAX_DURATION_DAYS))],
        description=_l("Usually at most 180 days (6 months). The end date is computed."),
    )
    details = TextAreaField(_l("Details (authority, decision number, conditions)"), filters=[none_if_blank],
                            validators=[no_control_chars, Length(max=TEXT_MAX)])
    confirm_kind = BooleanField(_l("I checked: the decision says so. Record it as it is."))


class ApprovalForm(FlaskForm):
    approved_at = DateTimeLocalField(_l("Approved at (date and time)"), format=DATETIME_FORMATS,
                                     validators=[InputRequired(_l("Enter a valid date and time.")),
                                                 sensible_datetime])


class ExtensionForm(FlaskForm):
    new_expires_on = DateField(_l("New end date"),
                               validators=[InputRequired(_l("Enter a valid date.")), sensible_date])
    reason = TextAreaField(_l("Reason for the extension"), filters=[none_if_blank],
                           validators=[DataRequired(_l("Give the reason.")), Length(max=TEXT_MAX), no_control_chars])


class ViolationForm(FlaskForm):
    occurred_on = DateField(_l("Date of the violation"),
                            validators=[InputRequired(_l("Enter a valid date.")), sensible_date])
    description = TextAreaField(_l("What happened"), filters=[none_if_blank],
                                validators=[DataRequired(_l("Describe what happened.")), Length(max=TEXT_MAX),
                                            no_control_chars])
