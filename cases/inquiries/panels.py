"""Dashboard panels: the supervisor's inquiries (unlinked ones to link, linked ones of the last 30 days) and the
shelter coordinator's alerts. SECURITY: case numbers, dates, channels and shelter names only — never the text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db, utcnow
from app.users.models import Role, User
from cases.core.models import Case
from cases.inquiries import services as svc
from cases.inquiries.models import LocationInquiry


def supervisor_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.SUPERVISOR:
        return None
    since = utcnow() - timedelta(days=30)
    unlinked = db.session.scalar(sa.select(sa.func.count()).select_from(LocationInquiry).where(
        LocationInquiry.centre_id == user.centre_id, LocationInquiry.case_id.is_(None))) or 0
    linked = db.session.execute(
        sa.select(Case.number, Case.public_id, LocationInquiry.occurred_at, LocationInquiry.channel)
        .join(Case, Case.id == LocationInquiry.case_id)
        .where(LocationInquiry.centre_id == user.centre_id, LocationInquiry.occurred_at >= since)
        .order_by(LocationInquiry.occurred_at.desc()).limit(50)).all()
    return "cases/panels/inquiries_supervisor.html", {"unlinked": unlinked, "linked": linked,
                                                     "channel_label": svc.channel_label}


def coordinator_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role != Role.COORDINATOR:
        return None
    alerts = svc.coordinator_alerts(user)
    if not alerts:
        return None
    return "cases/panels/inquiries_coordinator.html", {"alerts": alerts, "channel_label": svc.channel_label}
