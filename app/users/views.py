"""Admin pages for staff accounts (list, create, change role/centre, disable/enable, reset sign-in details), and
the supervisor's page confirming account requests of her centre.

Only ``admin`` reaches the account views (``access.roles``; anyone else gets an audited 404). The pages show
accounts only — names, emails, roles, centres, sign-in state — never case content (DESIGN.md §1). Audit events come
from ``services``; each mutating request commits once, then redirects (post/redirect/get), except the answers that
show a one-time activation code, which must not be re-fetchable.

Separation of duties (DESIGN.md §3.9): an administrator never sets or sees a password or authenticator of another
person. She gets a one-time activation code for an auditor or administrator account; for a case-reading account
(counsellor, coordinator, supervisor) her request waits until a supervisor of that centre confirms it, and the code
is shown to that supervisor. An administrator cannot disable her own account, change her own role or centre or reset
her own sign-in details here: those need a second administrator.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app import access, audit
from app.auth import stepup
from app.db import db
from app.users import services
from app.users.forms import NewUserForm, RoleCentreForm, UserFilterForm
from app.users.models import Role, User

bp = Blueprint("users", __name__, url_prefix="/admin/users")
# The supervisor's side of the two-person rule.
requests_bp = Blueprint("account_requests", __name__, url_prefix="/account-requests")

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
                user, activation, code = services.create_user(
                    email=form.email.data or "",
                    name=form.name.data or "",
                    role=Role(form.role.data),
                    centre=centre,
                    actor=current_user,
                )
            except services.UserError as exc:
                # Both account rules (a valid address, not taken already) are about the email.
                form.email.errors.append(str(exc))
            else:
                db.session.commit()
                # Rendered, not redirected: a code is shown once and never put in a URL or the session.
                return render_template("users/created.html", user=user, activation=activation, code=code)
    return render_template("users/new.html", form=form, has_centres=bool(centres)), 422


def _render_edit(
    user: User,
    *,
    role_form: RoleCentreForm | None = None,
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
        "open_request": services.open_request_of(user),
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
            try:
                changed = services.change_role_and_centre(user, role=role, centre=centre, actor=current_user)
            except services.UserError as exc:
                form.role.errors.append(str(exc))
                return _render_edit(user, role_form=form, status=422)
            if changed:
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
    elif services.is_anonymised(user):
        flash(_("This account was anonymised at the end of its retention period; it cannot be enabled."), "error")
    elif services.request_enable(user, actor=current_user) is not None:
        db.session.commit()
        flash(_("She can read cases, so a supervisor of her centre must confirm. The account stays disabled until "
                "then."), "info")
    else:
        db.session.commit()
        flash(_("The account is enabled. She can sign in again."), "success")
    return _back_to(user)


@bp.post("/<uuid:user_id>/unlock-sign-in")
@access.roles(Role.ADMIN)
def unlock_sign_in(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    services.clear_failed_sign_ins(user, actor=current_user)
    db.session.commit()
    flash(_("The failed sign-ins are cleared: she can try again at once."), "success")
    return _back_to(user)


@bp.post("/<uuid:user_id>/reset-sign-in")
@access.roles(Role.ADMIN)
@stepup.required
def reset_credentials(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    user = load_user_or_404(user_id)
    if _is_self(user):
        flash(_("You cannot reset your own sign-in details. Change your password on your account page, or ask "
                "another administrator."), "error")
        return _back_to(user)
    if services.is_anonymised(user):
        flash(_("This account was anonymised at the end of its retention period; it cannot be enabled."), "error")
        return _back_to(user)
    activation, code = services.request_credentials_reset(user, actor=current_user)
    db.session.commit()
    if code is None:
        flash(_("Requested. She can read cases, so nothing changes until a supervisor of her centre confirms; the "
                "supervisor then receives the activation code and gives it to her in person."), "info")
        return _back_to(user)
    # Rendered, not redirected: the code is shown once.
    return render_template("users/activation_code.html", user=user, activation=activation, code=code)


@requests_bp.get("/")
@access.roles(Role.SUPERVISOR)
def list_requests():  # type: ignore[no-untyped-def]
    return render_template("users/requests.html", requests=services.requests_to_confirm(current_user),
                           waiting=services.accounts_with_failed_sign_ins(current_user))


@requests_bp.post("/users/<uuid:user_id>/unlock-sign-in")
@access.roles(Role.SUPERVISOR)
def supervisor_unlock_sign_in(user_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A colleague of her centre cannot sign in while someone guesses her password: her supervisor clears the wait."""
    user = services.find_user(user_id)
    if user is None or not services.may_unlock(user, current_user):
        # SECURITY: another centre's account, her own, or a disabled one: the same audited 404.
        access.deny("users.sign-in-unlock", object_type="users", object_id=user_id)
    services.clear_failed_sign_ins(user, actor=current_user)
    db.session.commit()
    flash(_("The failed sign-ins are cleared: she can try again at once."), "success")
    return redirect(url_for("account_requests.list_requests"))


def _request_or_404(request_id: uuid.UUID) -> Any:
    activation = services.find_request(request_id)
    if activation is None or not services.may_confirm(activation, current_user):
        # SECURITY: another centre's request, her own, or one already decided: the same audited 404.
        access.deny("users.account-confirm", object_type="account_activations", object_id=request_id)
    return activation


@requests_bp.post("/<uuid:request_id>/confirm")
@access.roles(Role.SUPERVISOR)
@stepup.required
def confirm_request(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    activation = _request_or_404(request_id)
    try:
        code = services.confirm_request(activation, actor=current_user)
    except services.ActivationInvalid:
        db.session.rollback()
        flash(_("This request has been decided already."), "info")
        return redirect(url_for("account_requests.list_requests"))
    db.session.commit()
    if code is None:
        flash(_("Confirmed. The account is enabled again."), "success")
        return redirect(url_for("account_requests.list_requests"))
    return render_template("users/activation_code.html", user=activation.user, activation=activation, code=code)


@requests_bp.post("/<uuid:request_id>/refuse")
@access.roles(Role.SUPERVISOR)
def refuse_request(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    activation = _request_or_404(request_id)
    services.refuse_request(activation, actor=current_user)
    db.session.commit()
    flash(_("Refused. Nothing has changed for this account."), "success")
    return redirect(url_for("account_requests.list_requests"))
