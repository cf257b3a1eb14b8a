"""The statistics forms. ``ReleaseChoiceForm`` (GET, no CSRF: it changes nothing) picks a published year, a revision
and a centre or group; ``IssueReleaseForm`` (POST, CSRF) asks for a year to publish. Shape only.

Statistics exist for closed calendar years only: a range of months (``start``/``end``, as older links had) is a form
error, never a page of figures. Every value is bounded, so a malformed query string is a 422, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ReleaseChoiceForm(FlaskForm):
    """Construct with ``ReleaseChoiceForm(request.args, meta={"csrf": False})``."""

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(FIRST_YEAR, LAST_YEAR)])
    revision = IntegerField(_l("Revision"), validators=[Optional(), NumberRange(1, 1000)])
    centre = StringField(_l("Centre"), validators=[Optional(), Length(max=36)], filters=[_strip])
    # Not fields of this form: present only to be refused with a message.
    start = StringField(validators=[Optional(), Length(max=7)])
    end = StringField(validators=[Optional(), Length(max=7)])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.start.raw_data or self.end.raw_data:
            # SECURITY: no arbitrary ranges (two overlapping ranges would give the months between them exactly).
            self.year.errors = [*list(self.year.errors), _l("Statistics are published for whole calendar years only.")]
            return False
        return ok


class IssueReleaseForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(FIRST_YEAR, LAST_YEAR)])
