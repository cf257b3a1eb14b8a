"""Recording an incident; the case's incident timeline. A new incident asks for a risk re-assessment."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import db
from app.users.models import User
from cases.core.errors import CaseClosed, CaseError
from cases.core.models import VIOLENCE_TYPES, Case
from cases.core.services import case_perpetrator
from cases.incidents.models import PLACE_TYPES, REPORTED_TO, SUB_KINDS, Incident
from cases.risk.services import request_reassessment


def record_incident(case: Case, *, actor: User, occurred_on: date, is_approximate: bool, violence_types: list[str],
                    sub_kinds: list[str], place_type: str | None, perpetrator_public_id: Any,
                    reported_to: list[str], forensic_report: bool, injuries: str | None) -> Incident:
    if case.is_closed:
        raise CaseClosed(str(_l("The case is closed. Reopen it before recording an incident.")))
    if not violence_types or set(violence_types) - set(VIOLENCE_TYPES) or set(sub_kinds) - set(SUB_KINDS) \
            or set(reported_to) - set(REPORTED_TO) or (place_type and place_type not in PLACE_TYPES):
        raise CaseError(str(_l("Choose at least one type of violence from the list.")))
    perpetrator = None
    if perpetrator_public_id:
        perpetrator = case_perpetrator(case, perpetrator_public_id)  # SECURITY: this very case's only
        if perpetrator is None:
            raise CaseError(str(_l("Choose one of the people using violence recorded in this case.")))
    incident = Incident(case_id=case.id, case=case, case_public_id=case.public_id, occurred_on=occurred_on,
                        is_approximate=is_approximate, violence_types=list(violence_types),
                        sub_kinds=list(sub_kinds), place_type=place_type or None,
                        perpetrator_id=perpetrator.id if perpetrator else None, reported_to=list(reported_to),
                        forensic_report=forensic_report, recorded_by_id=actor.id)
    incident.injuries = injuries.strip() if injuries and injuries.strip() else None
    db.session.add(incident)
    db.session.flush()
    audit.record("case.incident", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"types": list(violence_types), "sub_kinds": list(sub_kinds)})
    request_reassessment(case, "new-incident", actor)
    return incident


def case_incidents(case: Case) -> list[Incident]:
    """The case's incidents, newest first (the timeline on the case page)."""
    return list(db.session.scalars(sa.select(Incident).where(Incident.case_id == case.id)
                                   .order_by(Incident.occurred_on.desc(), Incident.id.desc())))
