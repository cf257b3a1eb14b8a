"""Sign-in, MFA and password forms: shape only (lengths, required); services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.auth.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH * 4)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "spellcheck": "false"},
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[DataRequired(), Length(min=6, max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH * 4)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH * 4)],
                                 render_kw={"autocomplete": "new-password"},
                                 description=_l("At least 12 characters. A few unrelated words work well."))
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class ActivateForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autofocus": True, "spellcheck": "false"})
    code = StringField(_l("Activation code"), validators=[DataRequired(), Length(max=60)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"},
                       description=_l("The code you were given in person, for example ABCD-EFGH-JKLM-NPQR-STUV-WXYZ."))
    new_password = PasswordField(_l("Choose your password"), validators=[DataRequired(), Length(max=MAX_LENGTH * 4)],
                                 render_kw={"autocomplete": "new-password"},
                                 description=_l("At least 12 characters. A few unrelated words work well."))
    confirm_password = PasswordField(
        _l("Your password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )


class LanguageForm(FlaskForm):
    locale = StringField(validators=[DataRequired(), Length(max=5)])
    next = StringField(validators=[Optional(), Length(max=500)])
