"""The KPI page's year (a GET form: no CSRF, it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class YearForm(FlaskForm):
    """Choices: the last years, filled by the view."""

    year = SelectField(_l("Year"), default="")
