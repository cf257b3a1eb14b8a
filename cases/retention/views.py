"""Retention pages. The admin edits the schedule within its bounds and asks for a dry run (what would go, nothing
changes); the admin and the auditor see every run and print its destruction record (imha tutanağı). No case content
is shown anywhere here: case numbers, counts, dates and who ran it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, audit
from app.db import db
from app.users.models import Role
from cases.core.blueprint import bp
from cases.retention.cli import execute_run
from cases.retention.forms import EDITABLE, DryRunForm, ScheduleForm, field_name
from cases.retention.models import RetentionRun
from cases.retention.services import (
    CLASS_LABELS,
    METHOD_LABELS,
    RUN_AT_LEAST_EVERY_DAYS,
    ScheduleInvalid,
    run_status,
    runs,
    schedule,
    set_rule,
)


def _page(form: ScheduleForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("cases/retention/schedule.html", form=form, entries=schedule(), editable=EDITABLE,
                           field_name=field_name, class_labels=CLASS_LABELS, method_labels=METHOD_LABELS,
                           status=run_status(), dry_form=DryRunForm(),
                           at_least=RUN_AT_LEAST_EVERY_DAYS), status


@bp.route("/retention", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def manage_retention():  # type: ignore[no-untyped-def]
    """The schedule per data class, the last run and the next one due."""
    form = ScheduleForm()
    if request.method == "GET":
        for entry in schedule():
            if entry.data_class.key in EDITABLE:
                getattr(form, field_name(entry.data_class.key)).data = entry.days
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    entries = {e.data_class.key: e for e in schedule()}
    try:
        changed = [key for key, days in form.periods().items()
                   if set_rule(key, days=days, method=entries[key].method, actor=current_user)]
    except ScheduleInvalid:  # the form's bounds are the service's: only a race with a code change gets here
        db.session.rollback()
        return _page(form, 422)
    db.session.commit()
    flash(_("Retention schedule saved (%(n)s changed).", n=len(changed)) if changed
          else _("Nothing changed."), "success")
    return redirect(url_for("cases.manage_retention"))


@bp.post("/retention/dry-run")
@access.roles(Role.ADMIN)
def dry_run_retention():  # type: ignore[no-untyped-def]
    """What a run would destroy today, class by class (recorded as a dry run; nothing is destroyed)."""
    if not DryRunForm().validate_on_submit():
        abort(400)
    report = execute_run(dry_run=True, actor=current_user, run_by=current_user.email)
    return render_template("cases/retention/run.html", run=report.run, report=report, class_labels=CLASS_LABELS,
                           method_labels=METHOD_LABELS)


@bp.get("/retention/runs")
@access.roles(Role.ADMIN, Role.AUDITOR)
def list_retention_runs():  # type: ignore[no-untyped-def]
    return render_template("cases/retention/runs.html", runs=runs(), status=run_status(),
                           at_least=RUN_AT_LEAST_EVERY_DAYS)


@bp.get("/retention/runs/<uuid:run_id>")
@access.roles(Role.ADMIN, Role.AUDITOR)
def view_destruction_record(run_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The printable destruction record of one run."""
    run = db.session.scalar(sa.select(RetentionRun).where(RetentionRun.public_id == run_id))
    if run is None:
        access.deny("view.cases.view_destruction_record", object_type="retention_runs", object_id=run_id,
                    reason="not found")
    audit.record("retention.record.view", object_type="retention_runs", object_id=run.public_id)
    access.commit_read()
    return render_template("cases/retention/run.html", run=run, report=None, class_labels=CLASS_LABELS,
                           method_labels=METHOD_LABELS)
