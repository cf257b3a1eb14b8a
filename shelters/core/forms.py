"""Shelter forms: shape only (required, lengths, choices, date ranges). the services check the rules.
This module holds the field helpers both page groups use (``shelters.setup.forms``, ``shelters.admissions.forms``).

Choices that come from the database (shelters, beds, people, coordinators) are filled in by the view; their values
are public UUIDs, so a forged value is just an invalid choice (422), never a lookup of someone else's row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    Field,
    SelectMultipleField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.date_fields import LocalDateField as DateField  # day first, as typed (issue 16)

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def single_line(form: Any, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters and line breaks."))


def no_control_chars(form: Any, field: Field) -> None:
    data = field.data
    if isinstance(data, str) and any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in data):
        raise ValidationError(_l("Remove the control characters."))


def sane_date(form: Any, field: Field) -> None:
    if field.data is not None and not (EARLIEST <= field.data <= LATEST):
        raise ValidationError(_l("Enter a date between 2000 and 2100."))


def choices(labels: dict[str, Any], keys: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(k, labels[k]) for k in keys]


def date_field(label: Any, *, required: bool = True, description: Any = None) -> DateField:
    return DateField(label, description=description,
                     validators=[InputRequired() if required else Optional(), sane_date])
