"""Forms of the account admin pages: shape only (required, lengths, choices). ``services`` checks the rules
(email validity and uniqueness, the password policy).

Role and centre choices are filled in by the view (``fill_choices``): centres come from the database, and role
labels are translated when the page renders.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.auth.passwords import MAX_LENGTH
from app.users.labels import ROLE_LABELS
from app.users.models import Centre, Role


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in Role]


def centre_choices(centres: list[Centre]) -> list[SelectChoice]:
    return [SelectChoice(c.code, f"{c.code} · {c.name}") for c in centres]


PASSWORD_HINT = _l(
    "At least 12 characters, not a common password. A few unrelated words work well. "
    "Tell it to her in person, never by email or message."
)


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
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=MAX_LENGTH * 4)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("Initial password again"),
        validators=[
            DataRequired(message=_l("Enter the password again.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class RoleCentreForm(_RoleCentreFields):
    pass


class SetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=MAX_LENGTH * 4)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_new_password = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Enter the password again.")),
            EqualTo("new_password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
