"""``/cases/handover``: a supervisor picks a counsellor, sees her open cases (number, risk, opened — no names) and
gives each, or all at once, to a colleague."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access, audit
from app.db import db
from app.numbers import number
from app.users.models import Role, User
from cases.core.blueprint import bp
from cases.handover import services as handover_service
from cases.handover.forms import CounsellorForm, handover_form
from cases.lifecycle.services import centre_counsellors

PAGE = "cases/handover/handover.html"


def _counsellor_from(value: str | None) -> User | None:
    try:
        public_id = uuid.UUID(value or "")
    except ValueError:
        return None
    return handover_service.find_counsellor(current_user.centre_id, public_id)


@bp.route("/handover", methods=["GET", "POST"])
@access.roles(Role.SUPERVISOR)
def hand_over():  # type: ignore[no-untyped-def]
    centre_id = current_user.centre_id
    chooser = CounsellorForm(request.args, meta={"csrf": False})
    chooser.counsellor.choices = [SelectChoice("", _("Choose…")), *(
        SelectChoice(str(u.public_id), u.name if u.is_active else _("%(name)s (deactivated)", name=u.name))
        for u in handover_service.centre_counsellors_all(centre_id))]
    counsellor = _counsellor_from(chooser.counsellor.data)
    if chooser.counsellor.data and counsellor is None:
        chooser.counsellor.errors = [_("Choose a counsellor from the list.")]
        return render_template(PAGE, chooser=chooser, counsellor=None, cases=[], form=None), 422
    if counsellor is None:
        return render_template(PAGE, chooser=chooser, counsellor=None, cases=[], form=None)
    colleagues = [u for u in centre_counsellors(centre_id) if u.id != counsellor.id]
    choices = [SelectChoice("", _("Keep")), *(SelectChoice(str(u.public_id), u.name) for u in colleagues)]
    cases = handover_service.caseload(counsellor)
    if cases:
        # SECURITY: her caseload's numbers and risk levels are a read of those cases: on record with the numbers
        # shown, like the case list, committed before anything else happens in the request.
        audit.record("case.list", details={"cases": [c.number for c in cases], "panel": "handover"})
        access.commit_read()
    form = handover_form(cases, choices)
    if request.method == "GET":
        return render_template(PAGE, chooser=chooser, counsellor=counsellor, cases=cases, form=form)
    if form.validate_on_submit():
        by_id = {str(u.public_id): u for u in colleagues}
        assignments = {}
        for case in cases:
            chosen = form[f"case_{case.public_id.hex}"].data or form.everyone.data
            if chosen:
                assignments[case.public_id] = by_id[chosen]
        try:
            count = handover_service.hand_over(actor=current_user, counsellor=counsellor, assignments=assignments)
        except handover_service.HandoverRefused as exc:
            db.session.rollback()
            form.everyone.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Cases handed over: %(n)s. Their tasks went with them.", n=number(count)), "success")
            return redirect(url_for("cases.hand_over", counsellor=counsellor.public_id))
    return render_template(PAGE, chooser=chooser, counsellor=counsellor, cases=cases, form=form), 422

