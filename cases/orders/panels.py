"""Dashboard panels for protective orders (registered by ``cases.registry``).

* counsellor: orders expiring within 14 days, and police orders waiting for approval — on the open cases assigned
  to her;
* supervisor: orders expiring soon or waiting for approval across the centre.

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
from cases.orders.models import EXPIRY_ALERT_DAYS, ProtectiveOrder

PANEL_LIMIT = 50


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


def _order_rows(stmt: sa.Select[Any], today: date, now: datetime,
                params: dict[str, Any] | None = None) -> list[OrderRow]:
    return [OrderRow(number, o.case_public_id, o.public_id, o.kind, o.issuer, o.expires_on, o.days_left(today),
                     o.approval_deadline, o.approval_overdue(now))
            for o, number in db.session.execute(stmt, params).all()]


def _expiring_select(case_ids: sa.Select[tuple[int]], today: date | sa.ColumnElement[Any],
                     until: date | sa.ColumnElement[Any]) -> sa.Select[tuple[ProtectiveOrder, str]]:
    return (
        sa.select(ProtectiveOrder, Case.number).join(Case, Case.id == ProtectiveOrder.case_id)
        .where(ProtectiveOrder.case_id.in_(case_ids), ProtectiveOrder.expires_on >= today,
               ProtectiveOrder.expires_on <= until,
               sa.or_(ProtectiveOrder.approval_deadline.is_(None), ProtectiveOrder.approved_at.is_not(None)))
        .order_by(ProtectiveOrder.expires_on, ProtectiveOrder.id).limit(PANEL_LIMIT)
    )


def _awaiting_select(case_ids: sa.Select[tuple[int]],
                     today: date | sa.ColumnElement[Any]) -> sa.Select[tuple[ProtectiveOrder, str]]:
    return (
        sa.select(ProtectiveOrder, Case.number).join(Case, Case.id == ProtectiveOrder.case_id)
        .where(ProtectiveOrder.case_id.in_(case_ids), ProtectiveOrder.approval_deadline.is_not(None),
               ProtectiveOrder.approved_at.is_(None), ProtectiveOrder.expires_on >= today)
        .order_by(ProtectiveOrder.approval_deadline, ProtectiveOrder.id).limit(PANEL_LIMIT)
    )


def orders_expiring(case_ids: sa.Select[tuple[int]], today: date | None = None,
                    now: datetime | None = None) -> list[OrderRow]:
    """Orders in force whose last day is within 14 days (lapsed police orders are listed as awaiting approval)."""
    today, now = today or local_today(), now or utcnow()
    return _order_rows(_expiring_select(case_ids, today, today + timedelta(days=EXPIRY_ALERT_DAYS)), today, now)


def orders_awaiting_approval(case_ids: sa.Select[tuple[int]], today: date | None = None,
                             now: datetime | None = None) -> list[OrderRow]:
    """Police orders without a recorded approval (overdue ones first: they may have lapsed)."""
    today, now = today or local_today(), now or utcnow()
    return _order_rows(_awaiting_select(case_ids, today), today, now)


_TODAY = sa.bindparam("orders_today", type_=sa.Date)


@functools.cache
def _statements(role: Role) -> tuple[sa.Select[tuple[ProtectiveOrder, str]], sa.Select[tuple[ProtectiveOrder, str]]]:
    """The dashboard's two statements, built once per process (issue 20): the user and the day are bound."""
    ids = bound_open_visible_case_ids(role)
    return (_expiring_select(ids, _TODAY, sa.bindparam("orders_until", type_=sa.Date)),
            _awaiting_select(ids, _TODAY))


def orders_for(user: User, today: date | None = None) -> tuple[list[OrderRow], list[OrderRow]]:
    """The orders ending soon and those awaiting approval on the open cases she sees, asked once per request (the
    dashboard's panel and its task count both show them). Lists the caller must not change."""
    today = today or local_today()

    def lookup() -> tuple[list[OrderRow], list[OrderRow]]:
        expiring, awaiting = _statements(user.role)
        params = {**viewer_params(user), "orders_today": today,
                  "orders_until": today + timedelta(days=EXPIRY_ALERT_DAYS)}
        now = utcnow()
        return _order_rows(expiring, today, now, params), _order_rows(awaiting, today, now, params)

    return once_per_request(("orders.orders_for", user.id, today), lookup)


def orders_panel(user: User) -> tuple[str, dict[str, Any]] | None:
    if user.role not in (Role.COUNSELLOR, Role.SUPERVISOR):
        return None
    template = "cases/panels/orders_counsellor.html" if user.role == Role.COUNSELLOR else \
        "cases/panels/orders_supervisor.html"
    expiring, awaiting = orders_for(user)
    return template, {"expiring": expiring, "awaiting": awaiting, "days": EXPIRY_ALERT_DAYS}
