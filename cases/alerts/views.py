"""Her alerts (``/cases/alerts``): open one (marks it read, then goes to the case), or mark all read."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.db import db
from app.numbers import number
from app.users.models import Role
from cases.alerts import services as alerts_service
from cases.alerts.forms import MarkReadForm
from cases.core.blueprint import bp


@bp.get("/alerts")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def list_alerts():  # type: ignore[no-untyped-def]
    return render_template("cases/alerts/list.html", alerts=alerts_service.alerts_for(current_user),
                           kinds=alerts_service.ALERT_KINDS, form=MarkReadForm())


@bp.post("/alerts/<uuid:alert_id>/read")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def open_alert(alert_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    alert = alerts_service.find_alert(current_user, alert_id)
    if alert is None:  # someone else's alert looks the same as none, and the probe is on record
        access.deny("alert.read", object_type="alert", object_id=alert_id, reason="not hers")
    alerts_service.mark_read(current_user, alert)
    case = alert.case
    db.session.commit()
    if case is None:
        return redirect(url_for("cases.list_alerts"))
    return redirect(url_for("cases.view_case", case_id=case.public_id))


@bp.post("/alerts/read")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def read_all_alerts():  # type: ignore[no-untyped-def]
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    count = alerts_service.mark_read(current_user)
    db.session.commit()
    flash(_("%(n)s alerts marked read.", n=number(count)), "success")
    return redirect(url_for("cases.list_alerts"))
