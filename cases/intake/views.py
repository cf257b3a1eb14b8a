"""The intake page: a new case with the returning-applicant check before saving."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.db import db
from app.users.models import Role
from cases.core.blueprint import bp
from cases.intake import services as intake_service
from cases.intake.forms import IntakeForm


@bp.route("/new", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def new_case():  # type: ignore[no-untyped-def]
    form = IntakeForm()
    if not form.is_submitted():
        return render_template("cases/new.html", form=form, check=None)
    if not form.validate():
        return render_template("cases/new.html", form=form, check=None), 422
    data = form.to_data()
    check = intake_service.find_returning(actor=current_user, applicant=data["applicant"])
    if check.found and not intake_service.confirmation_valid(check, form.confirm.data):
        # Show what was found (numbers only where she may view the case); she confirms with "Save as new case".
        db.session.commit()  # the check itself is on record
        form.confirm.data = check.token
        return render_template("cases/new.html", form=form, check=check), 200
    case = intake_service.open_case_from_intake(actor=current_user, data=data)
    db.session.commit()
    flash(_("Case %(number)s opened.", number=case.number), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id))
