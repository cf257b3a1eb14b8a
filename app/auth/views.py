"""Sign-in, MFA enrolment and verification, logout, password change and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, audit, errors
from app.auth import mfa, services, sessions, stepup
from app.auth.forms import ActivateForm, ChangePasswordForm, CodeForm, EnrolForm, LanguageForm, LoginForm
from app.auth.passwords import PasswordRejected
from app.dates import long_datetime
from app.db import db
from app.extensions import client_ip, limiter
from app.numbers import number
from app.users import services as accounts

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """Rate-limit key for one account from one address: the email typed at sign-in, or the pending user at the MFA
    step. SECURITY: with the address in the key, guessing from elsewhere cannot lock her out of her own office; the
    account's progressive delay (services.sign_in_wait) slows guessing spread over many addresses."""
    if request.endpoint == "auth.login":
        return "acct:" + services.normalise_email(request.form.get("email", "")) + "|" + client_ip()
    user = services.pending_user()
    return "acct:" + (user.email if user else "none") + "|" + client_ip()


def _failed(response) -> bool:  # type: ignore[no-untyped-def]
    # Only failed attempts count: a successful sign-in redirects. When the limiter's storage is unreachable the
    # attempt was refused before it was checked (errors.handle_store_unavailable): nothing to count, and counting
    # would only fail again after the 503 was chosen.
    return bool(response.status_code != 302) and not errors.store_unavailable()


def _limits():  # type: ignore[no-untyped-def]
    cfg = current_app.config
    return cfg["LOGIN_LIMIT_PER_ACCOUNT"], cfg["LOGIN_LIMIT_PER_IP"]


def _record_rate_limited(limit) -> None:  # type: ignore[no-untyped-def]
    """Flask-Limiter ``on_breach``: the refusal is on record (who was targeted, from where)."""
    db.session.rollback()
    key = _account_key()
    email = key.removeprefix("acct:").rpartition("|")[0]
    audit.record("auth.rate-limited", outcome=audit.Outcome.DENIED,
                 actor=audit.Actor(None, email if "@" in email else None, None, None),
                 details={"endpoint": request.endpoint, "scope": "account" if limit.key.find("acct:") >= 0 else "ip"})
    db.session.commit()


_per_account = limiter.limit(lambda: _limits()[0], key_func=_account_key, methods=["POST"],
                             deduct_when=_failed, scope="signin-account", on_breach=_record_rate_limited)
_per_ip = limiter.limit(lambda: _limits()[1], key_func=client_ip, methods=["POST"],
                        deduct_when=_failed, scope="signin-ip", on_breach=_record_rate_limited)


@bp.route("/login", methods=["GET", "POST"])
@access.public
@_per_ip
@_per_account
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except services.SignInDelayed as exc:
            db.session.commit()
            form.password.errors.append(_("There were many wrong passwords for this account lately. Wait %(n)s "
                                          "seconds, then try again.", n=number(exc.wait)))
            return render_template("auth/login.html", form=form), 429
        if user is not None:
            next_url = access.safe_next(request.args.get("next"))
            services.begin_pending_login(user, next_url)
            db.session.commit()
            return redirect(url_for("auth.verify_code" if user.mfa_enrolled else "auth.enrol_mfa"))
        db.session.commit()
        # SECURITY: one message for unknown email, wrong password and disabled account.
        form.password.errors.append(_("The email or password is not right."))
        return render_template("auth/login.html", form=form), 422
    if request.method == "POST":
        return render_template("auth/login.html", form=form), 422
    if getattr(g, "session_ended", False) or request.args.get("expired"):
        flash(_("Your session has ended. Please sign in again."), "info")
    return render_template("auth/login.html", form=form)


def _flash_sign_in_notice(notice: services.SignInNotice) -> None:
    """Tell her what happened to her account since her last visit (DESIGN.md §3.9)."""
    if notice.failed_attempts:
        flash(_("Wrong passwords were tried on your account since your last sign-in: %(n)s. If that was not you, "
                "tell your supervisor.", n=number(notice.failed_attempts)), "warning")
    if notice.reset_at is None:
        return
    date = long_datetime(notice.reset_at)
    requester = notice.reset_by or _("the server operator")
    if notice.confirmed_by:
        message = _("Your sign-in details were reset on %(date)s, asked by %(requester)s and confirmed by "
                    "%(confirmer)s. If you did not ask for this, tell your supervisor now.",
                    date=date, requester=requester, confirmer=notice.confirmed_by)
    else:
        message = _("Your sign-in details were reset on %(date)s, asked by %(requester)s. If you did not ask for "
                    "this, tell your supervisor now.", date=date, requester=requester)
    flash(message, "warning")


@bp.route("/login/code", methods=["GET", "POST"])
@access.public
@_per_ip
@_per_account
def verify_code():  # type: ignore[no-untyped-def]
    pending = services.pending_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    if pending.step != services.STEP_CODE:
        return redirect(url_for("auth.enrol_mfa"))
    user = pending.user
    form = CodeForm()
    if form.validate_on_submit():
        if services.check_second_factor(user, form.code.data or "") and services.consume_pending(pending):
            next_url = pending.next_url
            notice = services.finish_login(user)
            db.session.commit()
            _flash_sign_in_notice(notice)
            return redirect(next_url or url_for("main.dashboard"))
        db.session.commit()
        form.code.errors.append(_("That code is not right, or it has been used already. Wait for the next code."))
        return render_template("auth/code.html", form=form), 422
    return render_template("auth/code.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/login/setup", methods=["GET", "POST"])
@access.public
@_per_ip
@_per_account
def enrol_mfa():  # type: ignore[no-untyped-def]
    # A GET only shows this attempt's secret (made when the password was accepted); it writes nothing.
    pending = services.pending_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    if pending.step != services.STEP_SETUP:
        return redirect(url_for("auth.verify_code"))
    user = pending.user
    form = EnrolForm()
    if form.validate_on_submit():
        codes = services.enrol(pending, form.code.data or "")
        if codes is not None and services.consume_pending(pending):
            next_url = pending.next_url
            notice = services.finish_login(user)
            db.session.commit()
            _flash_sign_in_notice(notice)
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
        if codes is not None:
            # This attempt lapsed or was finished meanwhile by another request: nothing is kept; start again.
            db.session.rollback()
            return redirect(url_for("auth.login"))
        db.session.commit()
        form.code.errors.append(_("That code is not right. Check the time on your phone and try the next code."))
    secret = services.enrolment_secret(pending)
    uri = mfa.provisioning_uri(user, secret)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/enrol.html", form=form, qr=mfa.qr_svg(uri), secret=secret), status


@bp.route("/activate", methods=["GET", "POST"])
@access.public
@_per_ip
def activate():  # type: ignore[no-untyped-def]
    """She sets her own password with the one-time code she was given, then enrols her own authenticator."""
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = accounts.activate(form.email.data or "", form.code.data or "", form.new_password.data or "")
        except accounts.ActivationInvalid:
            db.session.commit()  # the failed attempt stays on record
            # SECURITY: one message whatever was wrong (unknown, used, lapsed, unconfirmed, another account's).
            form.code.errors.append(_("This code does not work for this email: it may be mistyped, used or "
                                      "expired. Ask for a new one."))
        except PasswordRejected as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
        else:
            services.begin_pending_login(user, None)
            db.session.commit()
            return redirect(url_for("auth.enrol_mfa"))
        return render_template("auth/activate.html", form=form), 422
    status = 422 if request.method == "POST" else 200
    return render_template("auth/activate.html", form=form), status


@bp.post("/logout")
@access.public
def logout():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        audit.record("auth.logout")
    sessions.end_current_session("logout")
    db.session.commit()
    response = redirect(url_for("auth.login"))
    # SECURITY: ask the browser to drop cookies, cache and storage of this site (shared office PCs).
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"])
    return response


_per_user_step_up = limiter.limit(lambda: _limits()[0], key_func=lambda: f"step-up:{current_user.get_id()}",
                                  methods=["POST"], deduct_when=_failed, scope="step-up")


@bp.route("/account/confirm", methods=["GET", "POST"])
@access.signed_in
@_per_user_step_up
def confirm_identity():  # type: ignore[no-untyped-def]
    """Step-up: a fresh code from her authenticator before a sensitive action (app/auth/stepup.py)."""
    next_url = access.safe_next(request.args.get("next")) or url_for("main.dashboard")
    form = EnrolForm()  # a code from the authenticator only: a recovery code is for a lost phone, not for this
    if form.validate_on_submit():
        if mfa.verify_totp(current_user, form.code.data or ""):
            sessions.mark_step_up(g.user_session)
            audit.record("auth.step-up", details={"for": urlsplit(next_url).path[:200]})
            db.session.commit()
            return redirect(next_url)
        audit.record("auth.step-up", outcome=audit.Outcome.FAILURE)
        db.session.commit()
        form.code.errors.append(_("That code is not right, or it has been used already. Wait for the next code."))
        return render_template("auth/confirm.html", form=form), 422
    return render_template("auth/confirm.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/account/password", methods=["GET", "POST"])
@access.signed_in
@stepup.required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data or "", form.new_password.data or "")
        except PasswordRejected as exc:
            db.session.commit()  # the failed attempt stays on record
            if str(exc) == "current":
                form.current_password.errors.append(_("This is not your current password."))
            else:
                form.new_password.errors.append(str(exc))
            return render_template("auth/change_password.html", form=form), 422
        session.clear()
        db.session.commit()
        flash(_("Your password has been changed. Please sign in with the new password."), "success")
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.post("/language")
@access.public
def set_language():  # type: ignore[no-untyped-def]
    form = LanguageForm()
    next_url = access.safe_next(form.next.data) or url_for("main.dashboard")
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(next_url)
