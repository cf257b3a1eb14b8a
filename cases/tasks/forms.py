"""The task list's filters (a GET form: no CSRF, it changes nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class TaskFilterForm(FlaskForm):
    """Choices are filled by the view: the centre's counsellors (public ids) and the registered task kinds."""

    counsellor = SelectField(_l("Counsellor"), default="")
    kind = SelectField(_l("Kind of task"), default="")
