"""Retention of closed cases (KVKK m.4: personal data is kept no longer than its purpose needs).

A case closed more than ``RETENTION_CLOSED_CASE_DAYS`` days ago (counted from ``Case.closed_at``, which
``close_case`` sets) is crypto-shredded through ``erase_case`` below, unless something
still needs it: a protective order in force (or not yet started, or awaiting approval), or an erasure guard (the
household is on a shelter waiting list or in a shelter). A closed case without a closing date is held as well: nobody
can tell how long ago it closed. Erased cases are never selected again.

Erasing one case by crypto-shredding (a KVKK erasure request, or retention expiry): the case's data key is destroyed
and its blind-index values nulled (``crypto.shred``): every encrypted field of the case and its people, notes, plans,
referrals and orders stays in the database as ciphertext nobody can read, and searches no longer find her. The case
row keeps its number and categorical columns (statistics stay correct) and is closed with reason ``erased``; it is no
longer listed or opened by anyone. A destruction event goes to the audit log in the same transaction.

This module decides and erases; the commands (``cases/retention/cli.py``) own the transactions, one per case.
The run's audit event carries counts only, never case numbers or names; each erasure writes its own ``case.shred``
event through the erasure service.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

import crypto
from app import audit, audit_expiry
from app.dates import centre_zone, local_today
from app.db import Base, db, utcnow
from app.users.models import User
from app.users.services import anonymise_user
from cases.core.models import Case, CaseStatus
from cases.documents.models import CaseDocument
from cases.documents.services import delete_document
from cases.inquiries.models import LocationInquiry
from cases.orders.models import ProtectiveOrder
from cases.retention.models import RetentionRule, RetentionRun

ERASED = "erased"

# Features that keep a case's people in use (a shelter stay, a waitlist entry) register a guard here: it returns a
# reason to refuse the erasure, or None. cases does not import them; they import this module.
ErasureGuard = Callable[[Case], str | None]
_GUARDS: list[ErasureGuard] = []


class ErasureRefused(ValueError):
    """The case cannot be erased yet; the message says why."""


def register_erasure_guard(guard: ErasureGuard) -> None:
    if guard not in _GUARDS:
        _GUARDS.append(guard)


# Features whose rows of a case cannot be coarsened column by column (a shelter stay's dates are bound by checks, its
# beds say which room she slept in) register a step: it coarsens or removes them when the case is erased, flushes,
# and returns how many rows it changed. It runs in the erasure's transaction, after the generic coarsening.
ErasureStep = Callable[[Case], int]
_STEPS: list[ErasureStep] = []


def register_erasure_step(step: ErasureStep) -> None:
    if step not in _STEPS:
        _STEPS.append(step)


def is_erased(case: Case) -> bool:
    return case.close_reason == ERASED


def erasure_refusal(case: Case) -> str | None:
    """Why the case cannot be erased now (the first registered guard that objects), or None."""
    for guard in _GUARDS:
        if (problem := guard(case)) is not None:
            return problem
    return None


# What reaches the append-only audit row (issue 12 §3): a category, never the operator's words (which may quote
# the request, and could never be shredded from the log).
ERASURE_CATEGORIES = ("kvkk-request", "court-order", "duplicate", "retention", "other")


def erase_case(case: Case, *, reason: str, actor: object, category: str = "other") -> crypto.ShredResult:
    """Destroy the case's data key; flushes, never commits (the caller commits with the audit event)."""
    if category not in ERASURE_CATEGORIES:
        raise ValueError(f"unknown erasure category {category!r}")
    reason = reason.strip()
    if len(reason) < 10:
        raise ErasureRefused("state the reason for the erasure (at least 10 characters)")
    if (problem := erasure_refusal(case)) is not None:
        raise ErasureRefused(problem)
    # SECURITY: the key's destruction record keeps the category too, not the operator's words: a plaintext column
    # that outlives the erasure could otherwise keep the very thing erased (a name, why she asked).
    result = crypto.shred(db.session(), "case", case.public_id, models=crypto.encrypted_models(Base),
                          reason=category)
    case.status = CaseStatus.CLOSED
    case.closed_at = case.closed_at or utcnow()
    case.close_reason = ERASED
    coarsened = strip_quasi_identifiers(case)
    coarsened += sum(step(case) for step in _STEPS)
    audit.record("case.shred", actor=actor, object_type="cases", object_id=case.public_id, case_number=case.number,
                 reason=category, details={"data_keys": len(result.dek_ids),
                                           "cleared_indexes": sum(result.cleared_indexes.values()),
                                           "already_destroyed": result.already_destroyed,
                                           "coarsened_rows": coarsened})
    db.session.flush()
    return result


# What an erased case keeps is what the yearly statistics publish, at the granularity they publish: every date and
# time of the case and of every row that belongs to it (``case_id``) becomes the first day of its month (midnight),
# and the categorical fields no table of the statistics counts are cleared. Tables listed here are coarsened by their
# own erasure step instead (shelters: a stay's dates to the month within its checks, and its beds and rooms dropped;
# README: "What an erased case keeps").
COARSENED_BY_STEP = frozenset({"shelter_stays"})
CLEARED_ON_ERASURE: dict[str, dict[str, Any]] = {
    "cases": {"relationship_to_perpetrator": None, "previous_applications": []},
    "persons": {"birth_year": None, "relationship_to_applicant": None, "interpreter_needed": False},
}


def _month_start(value: Any) -> Any:
    """The first day of the value's month, midnight. A moment is stored in UTC but counted by the statistics in the
    centre's calendar: its month is the local one (a closure at 01:00 on 1 January in Istanbul is 22:00 on
    31 December in UTC and belongs to the new year), and the result is local midnight of that month's first day."""
    if isinstance(value, datetime):
        zone = centre_zone()
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        local = aware.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        start = local.replace(tzinfo=zone).astimezone(UTC)
        return start if value.tzinfo is not None else start.replace(tzinfo=None)
    if isinstance(value, date):
        return value.replace(day=1)
    return value


def _is_temporal(column: sa.Column[Any]) -> bool:
    kind = getattr(column.type, "impl", column.type)
    return isinstance(kind, (sa.Date, sa.DateTime))


def strip_quasi_identifiers(case: Case) -> int:
    """Coarsen the dates and clear the unpublished categories of ``case`` and its rows (flushes); how many rows."""
    db.session.flush()
    count = 0
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, sa.Table) or table.name in COARSENED_BY_STEP:
            continue
        if mapper.class_ is Case:
            rows: list[Any] = [case]
        elif "case_id" in table.c:
            rows = list(db.session.scalars(sa.select(mapper.class_).where(table.c.case_id == case.id)))
        else:
            continue
        temporal = [mapper.get_property_by_column(c).key for c in table.c if _is_temporal(c)]
        cleared = CLEARED_ON_ERASURE.get(table.name, {})
        for row in rows:
            for key in temporal:
                setattr(row, key, _month_start(getattr(row, key)))
            for key, value in cleared.items():
                setattr(row, key, value)
            count += 1
    db.session.flush()
    return count


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


def reclaim_destroyed_keys() -> str | None:
    """After an erasure is committed: make the destroyed data keys' old row versions go on PostgreSQL.

    Shredding overwrites ``wrapped`` with NULL, but PostgreSQL's MVCC leaves the previous row version (with the
    wrapped key) in the table's pages until VACUUM removes it, and a plain VACUUM only marks its space free. ``VACUUM
    FULL`` rewrites the key table into a new file without dead rows (one row per case: well under a second at 10^5
    cases; it locks the key table meanwhile). SQLite needs nothing here: ``secure_delete`` zeroes freed space at
    once. WAL segments and backups keep old versions until they are recycled or expire (see the README). Returns a
    warning to show when the database role may not vacuum the table (it must own it), else None.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM FULL crypto_data_keys"))
    except sa.exc.DBAPIError as exc:
        return (f"VACUUM FULL crypto_data_keys failed ({type(exc.orig).__name__}); run it as the table's owner, "
                "or the destroyed keys' old row versions stay in the table's pages until autovacuum reuses them")
    return None



# ---------------------------------------------------------------------------------------------------------------
# The schedule: one period and method per data class (KVKK's regulation on deletion, destruction and anonymisation).

SHRED, DELETE, WITH_CASE, KEEP = "crypto-shred", "delete", "with-case", "keep"
ANONYMISE, CHECKPOINT = "anonymise", "checkpoint"
RUN_EVERY_DAYS = 1           # the documented cron line runs daily
RUN_AT_LEAST_EVERY_DAYS = 182  # the regulation: periodic destruction at intervals of no more than six months


@dataclass(frozen=True)
class DataClass:
    key: str
    default_days: int
    min_days: int
    max_days: int
    methods: tuple[str, ...]   # the first is the default; WITH_CASE / KEEP classes are not applied by the run
    automated: bool


DATA_CLASSES = (
    DataClass("closed-cases", 2557, 365, 36500, (SHRED,), True),
    DataClass("documents", 1825, 30, 36500, (DELETE,), True),
    DataClass("unlinked-inquiries", 365, 30, 3650, (SHRED,), True),
    DataClass("contact-notes", 2557, 2557, 2557, (WITH_CASE,), False),
    DataClass("consents", 2557, 2557, 2557, (WITH_CASE,), False),
    DataClass("disabled-accounts", 730, 90, 36500, (ANONYMISE,), True),
    # At least three years: the access records of erased cases and the destruction events behind every destruction
    # record (KVKK's regulation keeps those records three years). Events of a case still held are never due.
    DataClass("audit-events", 3650, 1095, 36500, (CHECKPOINT,), True),
)
CLASSES_BY_KEY = {c.key: c for c in DATA_CLASSES}
CLASS_LABELS = {
    "closed-cases": _l("Closed cases (every field of the case, its people, notes, plans, referrals, orders)"),
    "documents": _l("Documents on closed cases"),
    "unlinked-inquiries": _l("Location inquiries not linked to any case"),
    "contact-notes": _l("Contact notes"),
    "consents": _l("Consents after expiry or revocation"),
    "disabled-accounts": _l("Disabled user accounts"),
    "audit-events": _l("Audit events (they outlive the cases they mention)"),
}
METHOD_LABELS = {
    SHRED: _l("Crypto-shredding (the data key is destroyed)"),
    DELETE: _l("Deletion"),
    WITH_CASE: _l("Destroyed with the case (same data key)"),
    KEEP: _l("Kept; not destroyed automatically yet"),
    ANONYMISE: _l("Anonymised (name, e-mail and sign-in details removed; the account stays disabled)"),
    CHECKPOINT: _l("Deleted behind a signed checkpoint (events of cases still held are kept)"),
}


class ScheduleInvalid(ValueError):
    """A period or method outside what the schedule allows; the message says which bound."""


@dataclass(frozen=True)
class ScheduleEntry:
    data_class: DataClass
    days: int
    method: str
    updated_at: datetime | None


def schedule() -> list[ScheduleEntry]:
    """Every data class with its period in force (the admin's rule, else the default; closed cases default to
    RETENTION_CLOSED_CASE_DAYS, disabled accounts to RETENTION_DISABLED_ACCOUNT_DAYS)."""
    rules = {r.data_class: r for r in db.session.scalars(sa.select(RetentionRule))}
    entries = []
    for item in DATA_CLASSES:
        rule = rules.get(item.key)
        default = (retention_days() if item.key == "closed-cases"
                   else int(current_app.config["RETENTION_DISABLED_ACCOUNT_DAYS"]) if item.key == "disabled-accounts"
                   else item.default_days)
        entries.append(ScheduleEntry(item, rule.days if rule else default, rule.method if rule else item.methods[0],
                                     rule.updated_at if rule else None))
    return entries


def period(key: str) -> int:
    return next(e.days for e in schedule() if e.data_class.key == key)


def set_rule(key: str, *, days: int, method: str, actor: Any) -> bool:
    """Set one class's period and method within its bounds (flushes); True when it changed."""
    item = CLASSES_BY_KEY.get(key)
    if item is None:
        raise ScheduleInvalid("unknown data class")
    if not item.min_days <= days <= item.max_days:
        raise ScheduleInvalid(f"{item.min_days}-{item.max_days}")
    if method not in item.methods:
        raise ScheduleInvalid("method")
    current = next(e for e in schedule() if e.data_class.key == key)
    if (current.days, current.method) == (days, method):
        return False
    rule = db.session.get(RetentionRule, key) or RetentionRule(data_class=key)
    rule.days, rule.method, rule.updated_at = days, method, utcnow()
    rule.updated_by_id = getattr(actor, "id", None)
    db.session.add(rule)
    audit.record("retention.schedule", actor=actor, object_type="retention_rules", object_id=key,
                 details={"days": days, "method": method, "previous_days": current.days})
    db.session.flush()
    return True


def documents_due(days: int, *, now: datetime | None = None) -> list[tuple[int, str | None]]:
    """(document id, case number) of documents still held on cases closed more than ``days`` days ago."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    rows = db.session.execute(
        sa.select(CaseDocument.id, Case.number).join(Case, Case.id == CaseDocument.case_id)
        .where(CaseDocument.deleted_at.is_(None), Case.status == CaseStatus.CLOSED, Case.closed_at < cutoff)
        .order_by(CaseDocument.id)).all()
    return [(doc_id, number) for doc_id, number in rows]


def expire_document(document_id: int, *, days: int, actor: Any) -> None:
    document = db.session.get(CaseDocument, document_id)
    if document is not None and not document.is_deleted:
        delete_document(document, actor=actor, reason=f"retention: case closed more than {days} days")


def unlinked_inquiries_due(days: int, *, now: datetime | None = None) -> list[tuple[int, str | None]]:
    """(inquiry id, None: no case) of inquiries nobody linked to a case, recorded more than ``days`` days ago."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    ids = db.session.scalars(sa.select(LocationInquiry.id).where(
        LocationInquiry.case_id.is_(None), LocationInquiry.recorded_at < cutoff).order_by(LocationInquiry.id))
    return [(inquiry_id, None) for inquiry_id in ids]


def expire_inquiry(inquiry_id: int, *, days: int, actor: Any) -> None:
    """Destroy the inquiry's own key, then its row (flushes)."""
    inquiry = db.session.get(LocationInquiry, inquiry_id)
    if inquiry is None or inquiry.case_id is not None:
        return
    crypto.shred(db.session(), "inquiry", inquiry.public_id, models=[LocationInquiry],
                 reason=f"retention: not linked for {days} days")
    audit.record("inquiry.shred", actor=actor, object_type="location_inquiries", object_id=inquiry.public_id,
                 details={"days": days})
    db.session.delete(inquiry)
    db.session.flush()


def disabled_accounts_due(days: int, *, now: datetime | None = None) -> list[tuple[int, str | None]]:
    """(user id, None) of accounts disabled more than ``days`` days ago and not anonymised yet."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    ids = db.session.scalars(sa.select(User.id).where(
        User.is_active.is_(False), User.anonymised_at.is_(None), User.disabled_at < cutoff).order_by(User.id))
    return [(user_id, None) for user_id in ids]


def expire_account(user_id: int, *, days: int, actor: Any) -> None:
    user = db.session.get(User, user_id)
    if user is not None and not user.is_active and user.anonymised_at is None:
        anonymise_user(user, actor=actor, days=days)


def held_case_numbers() -> sa.Select[Any]:
    """Case numbers whose audit events stay however old they are: every case not erased (open, closed within its
    period, or held by an order), so her art. 11 report still shows who opened her file."""
    return sa.select(Case.number).where(sa.or_(Case.close_reason.is_(None), Case.close_reason != ERASED))


def audit_cutoff(days: int, *, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def audit_events_due(days: int) -> tuple[int, int]:
    """(events a run would delete now, events before the cut it keeps)."""
    return audit_expiry.due(audit_cutoff(days), held_case_numbers())


def expire_audit_events(days: int, *, actor: Any) -> audit_expiry.ExpiryResult:
    """Delete the audit events past their period behind a signed checkpoint (its own transaction; commits)."""
    db.session.rollback()  # SQLite has one writer: the expiry's own session must not wait for ours
    return audit_expiry.expire_events(before=audit_cutoff(days), keep=held_case_numbers(), actor=actor)


@dataclass(frozen=True)
class RunStatus:
    last_run: RetentionRun | None  # a real run, not a dry run
    next_due: datetime | None
    overdue: bool            # never run, or the last run is more than six months ago


def run_status(*, now: datetime | None = None) -> RunStatus:
    now = now or utcnow()
    last = db.session.scalar(sa.select(RetentionRun).where(RetentionRun.is_dry_run.is_(False),
                                                           RetentionRun.finished_at.is_not(None))
                             .order_by(RetentionRun.finished_at.desc()).limit(1))
    if last is None:
        return RunStatus(None, None, True)
    finished = last.finished_at
    assert finished is not None  # selected so
    return RunStatus(last, finished + timedelta(days=RUN_EVERY_DAYS),
                     now - finished > timedelta(days=RUN_AT_LEAST_EVERY_DAYS))


def runs(limit: int = 100) -> list[RetentionRun]:
    return list(db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.started_at.desc(),
                                                                    RetentionRun.id.desc()).limit(limit)))
