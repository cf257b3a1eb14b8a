"""Retention of closed cases (KVKK m.4: personal data is kept no longer than its purpose needs).

A case closed more than ``RETENTION_CLOSED_CASE_DAYS`` days ago (counted from ``Case.closed_at``, which
``close_case`` sets) is crypto-shredded through the erasure service (``cases.services.erasure``), unless something
still needs it: a protective order in force (or not yet started, or awaiting approval), or an erasure guard (the
household is on a shelter waiting list or in a shelter). A closed case without a closing date is held as well: nobody
can tell how long ago it closed. Erased cases are never selected again.

This module decides and erases; the command (``cases/views/cli_retention.py``) owns the transactions, one per case.
The run's audit event carries counts only, never case numbers or names; each erasure writes its own ``case.shred``
event through the erasure service.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

import crypto
from app import audit
from app.db import db, utcnow
from cases.models import Case, CaseStatus
from cases.models.orders import ProtectiveOrder
from cases.services.erasure import ERASED, erase_case, erasure_refusal, is_erased
from cases.services.referrals import local_today

# Why a due case is kept (categorical keys: they go into the run's audit event as counts).
HOLD_NO_CLOSING_DATE = "no-closing-date"
HOLD_ORDER_IN_FORCE = "order-in-force"
HOLD_ERASURE_GUARD = "erasure-guard"
HOLD_ERASED_ALREADY = "erased-already"

# ProtectiveOrder.status() values after which an order no longer protects anyone.
ORDER_ENDED = ("expired", "lapsed")


@dataclass(frozen=True)
class DueCase:
    """A closed, not yet erased case whose closing date is past the retention period, or unknown."""

    id: int
    number: str


@dataclass(frozen=True)
class Hold:
    kind: str  # one of the HOLD_* keys
    message: str  # safe to print: no names, no values


@dataclass
class RunCounts:
    days: int
    due: int = 0
    erased: int = 0
    failed: int = 0
    held: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        return sum(self.held.values())


def retention_days() -> int:
    """The validated setting (config.py turns the environment's text into an int at start-up)."""
    return int(current_app.config["RETENTION_CLOSED_CASE_DAYS"])


def retention_reason(days: int) -> str:
    return f"retention: closed more than {days} days"


def closed_cases_due(days: int, *, now: datetime | None = None) -> list[DueCase]:
    """Closed cases, not erased, closed more than ``days`` days ago or without a closing date (to be reported)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    rows = db.session.execute(
        sa.select(Case.id, Case.number)
        .where(Case.status == CaseStatus.CLOSED,
               sa.or_(Case.close_reason.is_(None), Case.close_reason != ERASED),
               sa.or_(Case.closed_at.is_(None), Case.closed_at < cutoff))
        .order_by(Case.id)
    ).all()
    return [DueCase(case_id, number) for case_id, number in rows]


def order_in_force(case: Case, *, today: date | None = None, now: datetime | None = None) -> bool:
    """True while any of the case's protective orders is in force, awaiting approval or not yet started."""
    today, now = today or local_today(), now or utcnow()
    orders = db.session.scalars(
        sa.select(ProtectiveOrder).where(ProtectiveOrder.case_id == case.id, ProtectiveOrder.expires_on >= today))
    return any(order.status(today, now) not in ORDER_ENDED for order in orders)


def retention_hold(case: Case, *, today: date | None = None, now: datetime | None = None) -> Hold | None:
    """Why a due case must be kept for now, or None when it may be erased."""
    if is_erased(case):
        return Hold(HOLD_ERASED_ALREADY, "erased already")
    if case.closed_at is None:
        return Hold(HOLD_NO_CLOSING_DATE, "closed but has no closing date; check the case's history")
    if order_in_force(case, today=today, now=now):
        return Hold(HOLD_ORDER_IN_FORCE, "a protective order is still in force")
    if (problem := erasure_refusal(case)) is not None:
        return Hold(HOLD_ERASURE_GUARD, problem)
    return None


def expire_case(case: Case, *, days: int, actor: object) -> crypto.ShredResult:
    """Crypto-shred a case past its retention period (flushes, never commits; the erasure writes ``case.shred``)."""
    return erase_case(case, reason=retention_reason(days), actor=actor, category="retention")


def record_run(counts: RunCounts, *, dry_run: bool, actor: object) -> None:
    """One audit event per run (``retention.run`` or ``retention.dry-run``): counts only (flushes, never commits)."""
    erased_key = "would_erase" if dry_run else "erased"
    audit.record("retention.dry-run" if dry_run else "retention.run", actor=actor,
                 outcome=audit.Outcome.FAILURE if counts.failed else audit.Outcome.SUCCESS,
                 details={"days": counts.days, "due": counts.due, erased_key: counts.erased,
                          "skipped": dict(sorted(counts.held.items())), "failed": counts.failed})
