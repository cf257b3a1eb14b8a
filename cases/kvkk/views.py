"""The KVKK art. 11 report of one woman (supervisors; printable). Producing it is audited for every case it shows."""

from __future__ import annotations

from flask import render_template

from app import access, audit
from app.auth import stepup
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.models import Case
from cases.kvkk.services import EVENT_LIMIT, access_events, case_report, her_cases


@bp.get("/<uuid:case_id>/kvkk-report")
@case_access("kvkk-report")
@stepup.required
def kvkk_report(case: Case):  # type: ignore[no-untyped-def]
    cases = her_cases(case)
    for item in cases:
        audit.record("case.kvkk-report.shown", object_type="case", object_id=item.public_id, case_number=item.number,
                     details={"requested_from": case.number, "cases": len(cases)})
    access.commit_read()
    reports = [case_report(item) for item in cases]
    return render_template("cases/kvkk/report.html", case=case, reports=reports, events=access_events(cases),
                           limit=EVENT_LIMIT)
