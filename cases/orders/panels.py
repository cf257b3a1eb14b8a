"""Dashboard panels for referrals and protective orders (registered by ``cases.views.orders``).

* counsellor: referral follow-ups due within 7 days or overdue, orders expiring within 14 days, and police orders
  waiting for approval — on the open cases assigned to her;
* supervisor: emergency consent overrides of her centre in the last 30 days (for review), and orders expiring soon
  or waiting for approval across the centre.

SECURITY (least data, DESIGN.md §3.6): panels receive case numbers, public ids, categories and dates only — never
names, institution names or any decrypted value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import db, utcnow
from app.users.models import Role, User
from cases.models import Case, CaseStatus
from cases.models.orders import EXPIRY_ALERT_DAYS, ProtectiveOrder
from cases.models.referrals import OPEN_REFERRAL_STATUSES, Referral
from cases.policies import visible_cases_query
from cases.services.referrals import local_today

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


@dataclass(frozen=True)
class OrderRow:
    case_number: str
    case_public_id: Any
    order_public_id: Any
    kind: str
    issuer: str
    expires_on: date
    days_left: int
    approval_deadline: datetime | None
    approval_overdue: bool


def _case_ids(user: User) -> sa.Select[tuple[int]]:
    """Ids of the open cases the user works on (counsellor: assigned; supervisor: her centre)."""
    visible = visible_cases_query(user).where(Case.status != CaseStatus.CLOSED).subquery()
    return sa.select(visible.c.id)


def follow_ups_due(user: User, today: date | None = None) -> list[ReferralRow]:
    today = today or local_today()
    rows = db.session.execute(
        sa.select(Referral, Case.number)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.case_id.in_(_case_ids(user)), Referral.status.in_(OPEN_REFERRAL_STATUSES),
               Referral.follow_up_on.is_not(None),
               Referral.follow_up_on <= today + timedelta(days=FOLLOW_UP_WINDOW_DAYS))
        .order_by(Referral.follow_up_on, Referral.id).limit(PANEL_LIMIT)
    ).all()
    return [ReferralRow(number, r.case_public_id, r.public_id, r.institution_type, r.status, r.follow_up_on,
                        r.sent_at, r.follow_up_overdue(today)) for r, number in rows]


def recent_overrides(user: User, now: datetime | None = None) -> list[ReferralRow]:
    """Referrals of the user's centre sent under an emergency override in the last 30 days."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Referral, Case.number)
        .join(Case, Case.id == Referral.case_id)
        .where(Case.centre_id == user.centre_id, Referral.is_override.is_(True),
               Referral.sent_at >= now - timedelta(days=OVERRIDE_REVIEW_DAYS))
        .order_by(Referral.sent_at.desc()).limit(PANEL_LIMIT)
    ).all()
    return [ReferralRow(number, r.case_public_id, r.public_id, r.institution_type, r.status, r.follow_up_on,
                        r.sent_at, False) for r, number in rows]


def _order_rows(stmt: sa.Select[Any], today: date, now: datetime) -> list[OrderRow]:
    return [OrderRow(number, o.case_public_id, o.public_id, o.kind, o.issuer, o.expires_on, o.days_left(today),
                     o.approval_deadline, o.approval_overdue(now))
            for o, number in db.session.execute(stmt).all()]


def orders_expiring(case_ids: sa.Select[tuple[int]], today: date | None = None,
                    now: datetime | None = None) -> list[OrderRow]:
    """Orders in force whose last day is within 14 days (lapsed police orders are listed as awaiting approval)."""
    today, now = today or local_today(), now or utcnow()
    stmt = (
        sa.select(ProtectiveOrder, Case.number).join(Case, Case.id == ProtectiveOrder.case_id)
        .where(ProtectiveOrder.case_id.in_(case_ids), ProtectiveOrder.expires_on >= today,
               ProtectiveOrder.expires_on <= today + timedelta(days=EXPIRY_ALERT_DAYS),
               sa.or_(ProtectiveOrder.approval_deadline.is_(None), ProtectiveOrder.approved_at.is_not(None)))
        .order_by(ProtectiveOrder.expires_on, ProtectiveOrder.id).limit(PANEL_LIMIT)
    )
    return _order_rows(stmt, today, now)


def orders_awaiting_approval(case_ids: sa.Select[tuple[int]], today: date | None = None,
                             now: datetime | None = None) -> list[OrderRow]:
    """Police orders without a recorded approval (overdue ones first: they may have lapsed)."""
    today, now = today or local_today(), now or utcnow()
    stmt = (
        sa.select(ProtectiveOrder, Case.number).join(Case, Case.id == ProtectiveOrder.case_id)
        .where(ProtectiveOrder.case_id.in_(case_ids), ProtectiveOrder.approval_deadline.is_not(None),
               ProtectiveOrder.approved_at.is_(None), ProtectiveOrder.expires_on >= today)
        .order_by(ProtectiveOrder.approval_deadline, ProtectiveOrder.id).limit(PANEL_LIMIT)
    )
    return _order_rows(stmt, today, now)


def referrals_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role == Role.COUNSELLOR:
        return "cases/panels/referrals_counsellor.html", {"follow_ups": follow_ups_due(user)}
    if user.role == Role.SUPERVISOR:
        return "cases/panels/referrals_supervisor.html", {"overrides": recent_overrides(user),
                                                          "days": OVERRIDE_REVIEW_DAYS}
    return None


def orders_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role not in (Role.COUNSELLOR, Role.SUPERVISOR):
        return None
    ids = _case_ids(user)
    template = "cases/panels/orders_counsellor.html" if user.role == Role.COUNSELLOR else \
        "cases/panels/orders_supervisor.html"
    return template, {"expiring": orders_expiring(ids), "awaiting": orders_awaiting_approval(ids),
                      "days": EXPIRY_ALERT_DAYS}
