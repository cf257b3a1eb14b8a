"""The statistics period form (GET, no CSRF: it changes nothing). Shape only: a year, or a range of whole months.

Every value is bounded, so a malformed or oversized query string is a form error (422), never a 500.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from app.reports.registry import Period

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_MONTHS = 36
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _month(form: FlaskForm, field: StringField) -> None:
    match = _MONTH.match(field.data or "")
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise ValidationError(_l("Enter a month as year and month, for example 2026-03."))


class PeriodForm(FlaskForm):
    """Construct with ``PeriodForm(request.args, meta={"csrf": False})``; ``period(default_year)`` after validate."""

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    start = StringField(_l("From month"), validators=[Optional(), Length(max=7), _month], filters=[_strip])
    end = StringField(_l("To month"), validators=[Optional(), Length(max=7), _month], filters=[_strip])
    centre = StringField(_l("Centre"), validators=[Optional(), Length(max=36)], filters=[_strip])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (self.start.data or self.end.data) and self.year.data is not None:
            self.year.errors = [_l("Choose a year or a range of months, not both.")]
            return False
        if bool(self.start.data) != bool(self.end.data):
            missing = self.end if self.start.data else self.start
            missing.errors = [_l("Enter both the first and the last month.")]
            return False
        if self.start.data and self.end.data:
            first, last = _parse(self.start.data), _parse(self.end.data)
            if last < first:
                self.end.errors = [_l("The last month must not be before the first.")]
                return False
            if (last[0] - first[0]) * 12 + last[1] - first[1] + 1 > MAX_MONTHS:
                self.end.errors = [_l("Choose at most %(n)d months.", n=MAX_MONTHS)]
                return False
        return True

    def period(self, default_year: int) -> Period:
        if self.start.data and self.end.data:
            return Period.months_between(_parse(self.start.data), _parse(self.end.data))
        return Period.year(self.year.data if self.year.data is not None else default_year)


def _parse(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)
