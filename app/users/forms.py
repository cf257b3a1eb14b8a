"""Forms of the account admin pages: shape only (required, lengths, choices). ``services`` checks the rules
(email validity and uniqueness, the password policy).

Role and centre choices are filled in by the view (``fill_choices``): centres come from the database, and role
labels are translated when the page renders.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.users.labels import ROLE_LABELS
from app.users.models import Centre, Role


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in Role]


def centre_choices(centres: list[Centre]) -> list[SelectChoice]:
    return [SelectChoice(c.code, f"{c.code} · {c.name}") for c in centres]


class UserFilterForm(FlaskForm):
    """The list's filters. A GET form: construct with ``UserFilterForm(request.args, meta={"csrf": False})``."""

    email = StringField(
        _l("Email"),
        description=_l("The whole address, or its beginning."),
        validators=[Optional(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    centre = SelectField(_l("Centre"), validators=[Optional()], default="")
    role = SelectField(_l("Role"), validators=[Optional()], default="")
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Active and disabled")),
            SelectChoice("active", _l("Active")),
            SelectChoice("disabled", _l("Disabled")),
        ],
        validators=[Optional()],
        default="",
    )

    def fill_choices(self, centres: list[Centre]) -> None:
        self.centre.choices = [SelectChoice("", _l("All centres")), *centre_choices(centres)]
        self.role.choices = [SelectChoice("", _l("All roles")), *role_choices()]


class _RoleCentreFields(FlaskForm):
    role = SelectField(
        _l("Role"),
        validators=[DataRequired(message=_l("Choose a role."))],
        description=_l("Decides what she may see. Administrators see no case content."),
    )
    centre = SelectField(_l("Centre"), validators=[DataRequired(message=_l("Choose a centre."))])

    def fill_choices(self, centres: list[Centre]) -> None:
        # SECURITY: no preselected role; choosing "Administrator" must be a deliberate act.
        self.role.choices = [SelectChoice("", _l("Choose a role")), *role_choices()]
        self.centre.choices = [SelectChoice("", _l("Choose a centre")), *centre_choices(centres)]


class NewUserForm(_RoleCentreFields):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter an email address.")), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
        description=_l("She signs in with this address."),
    )
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter her name.")), Length(max=200)],
        filters=[_strip],
        render_kw={"autocomplete": "off"},
    )


class RoleCentreForm(_RoleCentreFields):
    pass
