"""Shared form pieces: the case search form, a checkbox group field, text filters and validators that keep bad
input a form error."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.dates import local_today

EARLIEST = date(1900, 1, 1)
TEXT_MAX = 5000  # a free-text answer on a casework form (reasons, descriptions, outcomes)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (macros/forms.html renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def none_if_blank(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def no_control_chars(form: Any, field: Field) -> None:
    """Refuse control characters except line breaks and tabs (PostgreSQL refuses NUL; none belongs in a value)."""
    data = field.data
    if isinstance(data, str) and any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters."))


def single_line(form: Any, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters and line breaks."))


def not_in_future(form: Any, field: Field) -> None:
    if field.data and field.data > local_today():
        raise ValidationError(_l("The date cannot be in the future."))


def sensible_past_date(form: Any, field: Field) -> None:
    if field.data and field.data < EARLIEST:
        raise ValidationError(_l("Enter a date after 1900."))


class SearchForm(FlaskForm):
    """The case search (a POST, so an identity number never lands in a URL, a log or the browser history)."""

    q = StringField(_l("Name, case number, phone or T.C. Kimlik No"),
                    description=_l("Part of her name is enough; for a phone, its last digits."),
                    validators=[DataRequired(message=_l("Enter what to search for.")), Length(max=200), single_line],
                    filters=[strip], render_kw={"autocomplete": "off", "spellcheck": "false"})


def sensible_date(form: Any, field: Any) -> None:
    """Dates far outside a case's life are typing mistakes (and would overflow date arithmetic)."""
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(_l("Enter a date between %(start)s and %(end)s.", start=EARLIEST_YEAR, end=LATEST_YEAR))


def perpetrator_choices(perpetrators: Any) -> list[SelectChoice]:
    """Choices for "the person using violence": not recorded, or one of the case's perpetrators (public ids)."""
    return [SelectChoice("", _("Not recorded")),
            *(SelectChoice(str(p.public_id), p.full_name or _("Unnamed")) for p in perpetrators)]
