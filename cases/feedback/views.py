"""``/cases/feedback``: the anonymous questionnaire, on the counsellor's screen, handed to her at closure. No case in
the URL, nothing about her shown."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.dates import local_today
from app.db import db
from app.users.models import Role
from cases.core.blueprint import bp
from cases.feedback import services as feedback_service
from cases.feedback.forms import FeedbackForm


@bp.route("/feedback", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def give_feedback():  # type: ignore[no-untyped-def]
    form = FeedbackForm()
    if not form.is_submitted():
        return render_template("cases/feedback/form.html", form=form)
    if not form.validate():
        return render_template("cases/feedback/form.html", form=form), 422
    stored = feedback_service.record_feedback(
        centre_id=current_user.centre_id, today=local_today(), felt_safe=form.felt_safe.data or None,
        felt_believed=form.felt_believed.data or None, would_recommend=form.would_recommend.data or None,
        helped=form.helped.data or [])
    db.session.commit()
    flash(_("Thank you. Your answers were saved without your name.") if stored else
          _("Nothing was saved: no question was answered."), "success" if stored else "info")
    return redirect(url_for("cases.give_feedback"))
