"""Admin pages for staff accounts: list, create, change role/centre, disable/enable, reset MFA, set a password.

Only ``admin`` reaches these views (``access.roles``; anyone else gets an audited 404). The pages show accounts
only — names, emails, roles, centres, sign-in state — never case content (DESIGN.md §1). Audit events come from
``services``; each mutating request commits once, then redirects (post/redirect/get), except account creation,
whose answer shows the one-time QR code and must not be re-fetchable.

An administrator cannot disable her own account, change her own role or centre, reset her own MFA or set her own
password here: those need a second administrator (separation of duties), and her own password is changed on the
account page, which asks for the current one.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import access, audit
from app.auth import mfa
from app.auth.passwords import PasswordRejected
from app.db import db
from app.users import services
from app.users.forms import NewUserForm, RoleCentreForm, SetPasswordForm, UserFilterForm
from app.users.models import Role, User

bp = Blueprint("users", __name__, url_prefix="/admin/users")

LIST_LIMIT = 200
STATUS_FILTER = {"active": True, "disabled": False}


def load_user_or_404(public_id: uuid.UUID) -> User:
    user = services.find_user(public_id)
    if user is None:
        abort(404)
    return user


def _is_self(user: User) -> bool:
    return bool(user.id == current_user.id)


def _back_to(user: User) -> Response:
    return redirect(url_for("users.edit_user", user_id=user.public_id))


@bp.get("/")
@access.roles(Role.ADMIN)
def list_users():  # type: ignore[no-untyped-def]
    centres = services.list_centres()
    form = UserFilterForm(request.args, meta={"csrf": False})
    form.fill_choices(centres)
    if not form.validate():
        return render_template("users/list.html", form=form, users=[], truncated=False, limit=LIST_LIMIT), 422
    users, truncated = services.search_users(
        centre=services.find_centre(form.centre.data),
        role=Role(form.role.data) if form.role.data else None,
        active=STATUS_FILTER.get(form.status.data or ""),
        email_prefix=form.email.data,
        limit=LIST_LIMIT,
    )
    return render_template("users/list.html", form=form, users=users, truncated=truncated, limit=LIST_LIMIT)


@bp.route("/new", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def new_user():  # type: ignore[no-untyped-def]
    centres = services.list_centres()
    form = NewUserForm()
    form.fill_choices(centres)
    if request.method == "GET":
        return render_template("users/new.html", form=form, has_centres=bool(centres))
    if form.validate_on_submit():
        centre = services.find_centre(form.centre.data)
        if centre is None:  # removed since the page was shown
            form.centre.errors.append(_("Choose a centre."))
        else:
            try:
                user, secret = services.create_user(
                    email=form.email.data or "",
                    name=form.name.data or "",
                    role=Role(form.role.data),
                    centre=centre,
                    password=form.password.data or "",
                    actor=current_user,
                )
            except PasswordRejected as exc:
                form.password.errors.append(str(exc))
            except services.UserError as exc:
                # Both account rules (a valid address, not taken already) are about the email.
                form.email.errors.append(str(exc))
            else:
                db.session.commit()
                # Rendered, not redirected: the QR code is shown once and never put in a URL or the session.
                uri = mfa.provisioning_uri(user, secret)
                return render_template("users/created.html", user=user, qr=mfa.qr_svg(uri), secret=secret)
    return render_template("users/new.html", form=form, has_centres=bool(centres)), 422


def _render_edit(
    user: User,
    *,
    role_form: RoleCentreForm | None = None,
    password_form: SetPasswordForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if role_form is None:
        role_form = RoleCentreForm(formdata=None, role=user.role.value, centre=user.centre.code)
        role_form.fill_choices(services.list_centres())
    open_sessions, last_sign_in = services.session_summary(user)
    context: dict[str, Any] = {
        "user": user,
        "is_self": _is_self(user),
        "role_form": role_form,
        "password_form": password_form or SetPasswordForm(formdata=None),
        "open_sessions": open_sessions,
        "last_sign_in": last_sign_in,
    }
    return render_template("users/edit.html", **context), status


@bp.route("/<uuid:user_id>", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit_user(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if request.method == "GET":
        audit.record("users.view", object_type="users", object_id=user.public_id)
        db.session.commit()
        return _render_edit(user)
    form = RoleCentreForm()
    form.fill_choices(services.list_centres())
    if form.validate_on_submit():
        role, centre = Role(form.role.data), services.find_centre(form.centre.data)
        if centre is None:
            form.centre.errors.append(_("Choose a centre."))
        elif _is_self(user) and role != user.role:
            # SECURITY: no administrator can take away (or change) her own role; another administrator must.
            form.role.errors.append(_("You cannot change your own role. Ask another administrator."))
        elif _is_self(user) and centre.id != user.centre_id:
            form.centre.errors.append(_("You cannot change your own centre. Ask another administrator."))
        else:
            if services.change_role_and_centre(user, role=role, centre=centre, actor=current_user):
                db.session.commit()
                flash(_("Role and centre saved. Her open sessions have ended; she must sign in again."), "success")
            else:
                flash(_("Nothing changed: the role and centre were already these."), "info")
            return _back_to(user)
    return _render_edit(user, role_form=form, status=422)


@bp.post("/<uuid:user_id>/disable")
@access.roles(Role.ADMIN)
def disable_user(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if _is_self(user):
        # SECURITY: an administrator cannot lock herself out (and the last one cannot lock everyone out).
        flash(_("You cannot disable your own account. Ask another administrator."), "error")
    elif not user.is_active:
        flash(_("This account is disabled already."), "info")
    else:
        services.disable_user(user, actor=current_user)
        db.session.commit()
        flash(_("The account is disabled. Her open sessions have ended and she cannot sign in."), "success")
    return _back_to(user)


@bp.post("/<uuid:user_id>/enable")
@access.roles(Role.ADMIN)
def enable_user(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if user.is_active:
        flash(_("This account is active already."), "info")
    else:
        services.enable_user(user, actor=current_user)
        db.session.commit()
        flash(_("The account is enabled. She can sign in again."), "success")
    return _back_to(user)


@bp.post("/<uuid:user_id>/reset-mfa")
@access.roles(Role.ADMIN)
def reset_mfa(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if _is_self(user):
        flash(_("You cannot reset your own two-step verification. Ask another administrator."), "error")
    else:
        services.reset_mfa(user, actor=current_user)
        db.session.commit()
        flash(
            _(
                "Two-step verification is reset. Her open sessions have ended; at her next sign-in she sets up "
                "her authenticator app again."
            ),
            "success",
        )
    return _back_to(user)


@bp.post("/<uuid:user_id>/password")
@access.roles(Role.ADMIN)
def reset_password(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if _is_self(user):
        flash(_("Change your own password on your account page; it asks for your current password."), "error")
        return _back_to(user)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.new_password.data or "", actor=current_user)
        except PasswordRejected as exc:
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            flash(
                _("The new password is set and her open sessions have ended. Give her the password in person."),
                "success",
            )
            return _back_to(user)
    return _render_edit(user, password_form=form, status=422)
