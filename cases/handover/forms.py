"""The handover form: which counsellor, and for each of her open cases the colleague who takes it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice


class CounsellorForm(FlaskForm):
    """A GET form (no CSRF, it changes nothing); choices: the centre's counsellors (public ids)."""

    counsellor = SelectField(_l("Counsellor handing over"), default="")


class HandoverForm(FlaskForm):
    everyone = SelectField(_l("Hand every case not set below to"), default="")


def handover_form(cases: list[Any], colleagues: list[SelectChoice], **kwargs: Any) -> HandoverForm:
    """A form with one select per case (``case_<public id hex>``), blank: stays as it is (or takes ``everyone``)."""
    fields = {f"case_{c.public_id.hex}": SelectField(c.number, choices=colleagues, default="") for c in cases}
    form_class = type("CaseHandoverForm", (HandoverForm,), fields)
    form: HandoverForm = form_class(**kwargs)
    form.everyone.choices = colleagues
    return form
