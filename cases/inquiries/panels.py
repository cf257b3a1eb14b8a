"""Dashboard panels: the supervisor's inquiries (unlinked ones to link, linked ones of the last 30 days) and the
shelter coordinator's alerts. SECURITY: case numbers, dates, channels and shelter names only — never the text."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db, utcnow
from app.users.models import Role, User
from cases.core.models import Case
from cases.inquiries import services as svc
from cases.inquiries.models import LocationInquiry


@functools.cache
def _supervisor_statements() -> tuple[sa.Select[tuple[int]], sa.Select[Any]]:
    """The supervisor's panel's two statements, built once per process (issue 20): centre and time bound."""
    centre_id = sa.bindparam("inquiries_centre_id", type_=sa.Integer)
    since = sa.bindparam("inquiries_since", type_=LocationInquiry.__table__.c.occurred_at.type)
    unlinked = sa.select(sa.func.count()).select_from(LocationInquiry).where(
        LocationInquiry.centre_id == centre_id, LocationInquiry.case_id.is_(None))
    linked = (sa.select(Case.number, Case.public_id, LocationInquiry.occurred_at, LocationInquiry.channel)
              .join(Case, Case.id == LocationInquiry.case_id)
              .where(LocationInquiry.centre_id == centre_id, LocationInquiry.occurred_at >= since)
              .order_by(LocationInquiry.occurred_at.desc()).limit(50))
    return unlinked, linked


def supervisor_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.SUPERVISOR:
        return None
    unlinked_count, linked_rows = _supervisor_statements()
    unlinked = db.session.scalar(unlinked_count, {"inquiries_centre_id": user.centre_id}) or 0
    linked = db.session.execute(linked_rows, {"inquiries_centre_id": user.centre_id,
                                              "inquiries_since": utcnow() - timedelta(days=30)}).all()
    return "cases/panels/inquiries_supervisor.html", {"unlinked": unlinked, "linked": linked,
                                                     "channel_label": svc.channel_label}


def coordinator_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.COORDINATOR:
        return None
    alerts = svc.coordinator_alerts(user)
    if not alerts:
        return None
    return "cases/panels/inquiries_coordinator.html", {"alerts": alerts, "channel_label": svc.channel_label}
