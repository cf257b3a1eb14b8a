"""The legal process of a case: proceedings (new, edit), confidentiality measures, custody status; the case page's
legal partial gets its data through template globals."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, audit
from app.dates import local_today
from app.db import db
from app.users.models import Role
from cases.core.access import audited_read, case_access, form_page, in_case
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.forms import perpetrator_choices
from cases.core.models import Case
from cases.legal import services as legal_service
from cases.legal.forms import (
    APPEAL_LABELS,
    CUSTODY_STATUS_LABELS,
    MEASURE_KIND_LABELS,
    MEASURE_STATUS_LABELS,
    PROCEEDING_KIND_LABELS,
    PROCEEDING_OUTCOME_LABELS,
    PROCEEDING_STATUS_LABELS,
    REPORT_CONCERN_LABELS,
    REPORT_DECISION_LABELS,
    REPORT_RECIPIENT_LABELS,
    CustodyForm,
    DecideReportForm,
    MeasuresForm,
    ProceedingForm,
    ReportDecisionForm,
    ReportLogFilterForm,
)
from cases.legal.models import ConfidentialityMeasure, CustodyRecord, LegalProceeding, ReportDecision


def _back(case: Case) -> Any:
    return redirect(url_for("cases.view_case", case_id=case.public_id) + "#legal")


def _refused(case: Case, page: str, form: Any, field: Any, exc: CaseError, **context: Any) -> Any:
    audited_read(case, "edit")
    field.errors = [str(exc)]
    return render_template(page, case=case, form=form, **context), 422


@bp.route("/<uuid:case_id>/legal/proceedings/new", methods=["GET", "POST"], endpoint="new_proceeding")
@bp.route("/<uuid:case_id>/legal/proceedings/<uuid:proceeding_id>", methods=["GET", "POST"],
          endpoint="edit_proceeding")
@case_access("edit")
def save_proceeding(case: Case, proceeding_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    proceeding = None
    if proceeding_id is not None:
        proceeding = in_case(legal_service.find_proceeding(case, proceeding_id), "proceeding", proceeding_id, "edit")
    form = ProceedingForm(obj=proceeding)
    page = "cases/legal/proceeding.html"
    hearings = legal_service.proceeding_hearings(proceeding) if proceeding is not None else []
    if (shown := form_page(page, form, case=case, proceeding=proceeding, hearings=hearings,
                           today=local_today())) is not None:
        return shown
    try:
        legal_service.save_proceeding(
            case, actor=current_user, proceeding=proceeding, kind=form.kind.data, status=form.status.data,
            authority=form.authority.data, file_number=form.file_number.data, has_legal_aid=form.has_legal_aid.data,
            lawyer=form.lawyer.data, next_hearing_on=form.next_hearing_on.data, today=local_today(),
            court_file_number=form.court_file_number.data, outcome=form.outcome.data or None,
            appeal_deadline_on=form.appeal_deadline_on.data, appeal=form.appeal.data or None,
            hearing_note=form.hearing_note.data)
    except CaseError as exc:
        return _refused(case, page, form, form.kind, exc, proceeding=proceeding, hearings=hearings,
                        today=local_today())
    db.session.commit()
    flash(_("The proceeding was saved."), "success")
    return _back(case)


@bp.route("/<uuid:case_id>/legal/measures", methods=["GET", "POST"])
@case_access("edit")
def edit_measures(case: Case):  # type: ignore[no-untyped-def]
    form = MeasuresForm()
    page = "cases/legal/measures.html"
    if not form.is_submitted():
        for kind, row in legal_service.case_measures(case).items():
            getattr(form, kind.replace("-", "_")).data = row.status
    if (shown := form_page(page, form, case=case)) is not None:
        return shown
    try:
        legal_service.set_measures(case, form.statuses(), actor=current_user)
    except CaseError as exc:
        return _refused(case, page, form, form.identity, exc)
    db.session.commit()
    flash(_("The confidentiality measures were saved."), "success")
    return _back(case)


@bp.route("/<uuid:case_id>/legal/custody/new", methods=["GET", "POST"])
@case_access("edit")
def record_custody(case: Case):  # type: ignore[no-untyped-def]
    form = CustodyForm()
    form.perpetrator.choices = perpetrator_choices(case.perpetrators)
    page = "cases/legal/custody.html"
    if (shown := form_page(page, form, case=case)) is not None:
        return shown
    try:
        record = legal_service.record_custody(
            case, actor=current_user, perpetrator_public_id=form.perpetrator.data or None,
            status=form.status.data, release_on=form.release_on.data, today=local_today())
    except CaseError as exc:
        return _refused(case, page, form, form.release_on, exc)
    db.session.commit()
    if record.release_handled_at is not None:
        flash(_("The person using violence is released: re-assess her risk (it is in the task list); her team was "
                "alerted."), "warning")
    else:
        flash(_("The custody status was recorded."), "success")
    return _back(case)


@bp.route("/<uuid:case_id>/legal/report-decisions/new", methods=["GET", "POST"])
@case_access("edit")
def new_report_decision(case: Case):  # type: ignore[no-untyped-def]
    form = ReportDecisionForm()
    page = "cases/legal/report_decision.html"
    if (shown := form_page(page, form, case=case)) is not None:
        return shown
    try:
        legal_service.record_report_decision(
            case, actor=current_user, learned_on=form.learned_on.data, concern=form.concern.data,
            decision=form.decision.data, reported_to=form.reported_to.data or [], reason=form.reason.data,
            she_was_told_first=form.she_was_told_first.data)
    except CaseError as exc:
        return _refused(case, page, form, form.decision, exc)
    db.session.commit()
    if form.decision.data == "undecided":
        flash(_("Logged as not decided yet: it is in the task list of her team until it is decided."), "warning")
    else:
        flash(_("The decision was logged."), "success")
    return _back(case)


@bp.route("/<uuid:case_id>/legal/report-decisions/<uuid:decision_id>", methods=["GET", "POST"])
@case_access("edit")
def decide_report_decision(case: Case, decision_id: uuid.UUID):  # type: ignore[no-untyped-def]
    row: ReportDecision = in_case(legal_service.find_report_decision(case, decision_id), "report-decision",
                                  decision_id, "edit")
    form = DecideReportForm()
    page = "cases/legal/decide_report.html"
    if row.decision != "undecided" and not form.is_submitted():
        flash(_("This decision was already made. If it changed, log a new decision."), "warning")
        return _back(case)
    if (shown := form_page(page, form, case=case, row=row)) is not None:
        return shown
    try:
        legal_service.decide_report_decision(
            row, actor=current_user, decision=form.decision.data, reported_to=form.reported_to.data or [],
            reason=form.reason.data, she_was_told_first=form.she_was_told_first.data)
    except CaseError as exc:
        return _refused(case, page, form, form.decision, exc, row=row)
    db.session.commit()
    flash(_("The decision was logged."), "success")
    return _back(case)


@bp.get("/report-decisions")
@access.roles(Role.SUPERVISOR)
def list_report_decisions():  # type: ignore[no-untyped-def]
    """The centre's duty-to-report decision log for its supervisor: categories, dates and who decided, undecided
    first; each links to its case, where the reason is read (on record)."""
    form = ReportLogFilterForm(request.args, meta={"csrf": False})
    status, decision = 200, None
    if request.args and not form.validate():
        status = 422  # an unknown decision: show everything, with the message
    else:
        decision = form.decision.data or None
    rows = legal_service.centre_report_decisions(current_user.centre_id, decision=decision)
    # SECURITY: the log names cases of the whole centre: its reading is on record like any statistics page.
    audit.record("case.report-decision-log", object_type="centre", object_id=current_user.centre.public_id,
                 details={"decision": decision, "shown": len(rows)})
    access.commit_read()
    return render_template("cases/legal/report_log.html", form=form, rows=rows), status


@bp.app_template_global("case_legal")
def case_legal(case: Case, with_rows: Collection[str] | None = None) -> dict[str, Any]:
    """The legal section's lists. ``with_rows``: the tables known to hold rows of the case (the case page's EXISTS
    probe); a list whose table is not among them is empty without a query. None: query every list."""
    def has(model: Any) -> bool:
        return with_rows is None or model.__tablename__ in with_rows

    return {"proceedings": legal_service.case_proceedings(case) if has(LegalProceeding) else [],
            "measures": legal_service.case_measures(case) if has(ConfidentialityMeasure) else {},
            "custody": legal_service.case_custody(case) if has(CustodyRecord) else [],
            "decisions": legal_service.case_report_decisions(case) if has(ReportDecision) else [],
            "today": local_today()}


@bp.app_template_global("legal_label")
def legal_label(table: str, key: str | None) -> str:
    labels: dict[str, Any] = {"kind": PROCEEDING_KIND_LABELS, "status": PROCEEDING_STATUS_LABELS,
                              "custody": CUSTODY_STATUS_LABELS, "measure": MEASURE_KIND_LABELS,
                              "measure_status": MEASURE_STATUS_LABELS, "concern": REPORT_CONCERN_LABELS,
                              "decision": REPORT_DECISION_LABELS, "recipient": REPORT_RECIPIENT_LABELS,
                              "outcome": PROCEEDING_OUTCOME_LABELS, "appeal": APPEAL_LABELS}[table]
    return str(labels.get(key or "", key or ""))
