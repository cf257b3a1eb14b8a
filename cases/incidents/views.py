"""Recording an incident (``/cases/<id>/incidents/new``) and the timeline partial's data on the case page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.db import db
from cases.core.access import audited_read, case_access, form_page
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.forms import perpetrator_choices
from cases.core.models import Case
from cases.incidents import services as incidents_service
from cases.incidents.forms import PLACE_TYPE_LABELS, REPORTED_TO_LABELS, SUB_KIND_LABELS, IncidentForm


def _form(case: Case) -> IncidentForm:
    form = IncidentForm()
    form.perpetrator.choices = perpetrator_choices(case.perpetrators)
    return form


@bp.route("/<uuid:case_id>/incidents/new", methods=["GET", "POST"])
@case_access("edit")
def new_incident(case: Case):  # type: ignore[no-untyped-def]
    form = _form(case)
    page = "cases/incidents/new.html"
    if (shown := form_page(page, form, case=case)) is not None:
        return shown
    try:
        incidents_service.record_incident(
            case, actor=current_user, occurred_on=form.occurred_on.data, is_approximate=form.is_approximate.data,
            violence_types=form.violence_types.data or [], sub_kinds=form.sub_kinds.data or [],
            place_type=form.place_type.data or None, perpetrator_public_id=form.perpetrator.data or None,
            reported_to=form.reported_to.data or [], forensic_report=form.forensic_report.data,
            injuries=form.injuries.data)
    except CaseError as exc:
        audited_read(case, "edit")
        form.violence_types.errors = [str(exc)]
        return render_template(page, case=case, form=form), 422
    db.session.commit()
    flash(_("The incident was recorded. Re-assess her risk: it is in your task list."), "success")
    return redirect(url_for("cases.view_case", case_id=case.public_id) + "#incidents")


@bp.app_template_global("case_incidents")
def case_incidents(case: Case) -> list[Any]:
    return incidents_service.case_incidents(case)


@bp.app_template_global("incident_label")
def incident_label(table: str, key: str | None) -> str:
    labels: dict[str, Any] = {"sub_kind": SUB_KIND_LABELS, "place": PLACE_TYPE_LABELS,
                              "reported": REPORTED_TO_LABELS}[table]
    return str(labels.get(key or "", key or ""))
