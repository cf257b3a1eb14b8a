"""Dashboard panels for referrals (registered by ``cases.registry``).

* counsellor: referral follow-ups due within 7 days or overdue, on the open cases assigned to her;
* supervisor: emergency consent overrides of her centre in the last 30 days (for review).

SECURITY (least data, DESIGN.md §3.6): panels receive case numbers, public ids, categories and dates only — never
names, institution names or any decrypted value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.dates import local_today
from app.db import db, utcnow
from app.per_request import once_per_request
from app.users.models import Role, User
from cases.core.models import Case
from cases.core.policies import bound_open_visible_case_ids, viewer_params
from cases.referrals.models import OPEN_REFERRAL_STATUSES, Referral

FOLLOW_UP_WINDOW_DAYS = 7
OVERRIDE_REVIEW_DAYS = 30
PANEL_LIMIT = 50


@dataclass(frozen=True)
class ReferralRow:
    case_number: str
    case_public_id: Any
    referral_public_id: Any
    institution_type: str
    status: str
    due_on: date | None
    sent_at: datetime | None
    overdue: bool


def follow_ups_due(user: User, today: date | None = None) -> list[ReferralRow]:
    """Follow-ups due soon on the open cases she sees, asked once per request (the dashboard's panel and its task
    count both show them). A list the caller must not change."""
    today = today or local_today()
    return once_per_request(("referrals.follow_ups_due", user.id, today), lambda: _follow_ups_due(user, today))


@functools.cache
def _follow_ups_statement(role: Role) -> sa.Select[tuple[Referral, str]]:
    """Built once per process (issue 20): the user and the day are bound parameters."""
    return (sa.select(Referral, Case.number)
            .join(Case, Case.id == Referral.case_id)
            .where(Referral.case_id.in_(bound_open_visible_case_ids(role)),
                   Referral.status.in_(OPEN_REFERRAL_STATUSES), Referral.follow_up_on.is_not(None),
                   Referral.follow_up_on <= sa.bindparam("referrals_due_until", type_=sa.Date))
            .order_by(Referral.follow_up_on, Referral.id).limit(PANEL_LIMIT))


def _follow_ups_due(user: User, today: date) -> list[ReferralRow]:
    rows = db.session.execute(_follow_ups_statement(user.role), {
        **viewer_params(user), "referrals_due_until": today + timedelta(days=FOLLOW_UP_WINDOW_DAYS)}).all()
    return [ReferralRow(number, r.case_public_id, r.public_id, r.institution_type, r.status, r.follow_up_on,
                        r.sent_at, r.follow_up_overdue(today)) for r, number in rows]


@functools.cache
def _overrides_statement() -> sa.Select[tuple[Referral, str]]:
    return (sa.select(Referral, Case.number)
            .join(Case, Case.id == Referral.case_id)
            .where(Case.centre_id == sa.bindparam("referrals_centre_id", type_=sa.Integer),
                   Referral.is_override.is_(True),
                   Referral.sent_at >= sa.bindparam("referrals_since", type_=Referral.__table__.c.sent_at.type))
            .order_by(Referral.sent_at.desc()).limit(PANEL_LIMIT))


def recent_overrides(user: User, now: datetime | None = None) -> list[ReferralRow]:
    """Referrals of the user's centre sent under an emergency override in the last 30 days."""
    now = now or utcnow()
    rows = db.session.execute(_overrides_statement(), {
        "referrals_centre_id": user.centre_id, "referrals_since": now - timedelta(days=OVERRIDE_REVIEW_DAYS)}).all()
    return [ReferralRow(number, r.case_public_id, r.public_id, r.institution_type, r.status, r.follow_up_on,
                        r.sent_at, False) for r, number in rows]


def referrals_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role == Role.COUNSELLOR:
        return "cases/panels/referrals_counsellor.html", {"follow_ups": follow_ups_due(user)}
    if user.role == Role.SUPERVISOR:
        return "cases/panels/referrals_supervisor.html", {"overrides": recent_overrides(user),
                                                          "days": OVERRIDE_REVIEW_DAYS}
    return None
