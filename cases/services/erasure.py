"""Erasing a case by crypto-shredding (a KVKK erasure request, or retention expiry).

The case's data key is destroyed and its blind-index values nulled (``crypto.shred``): every encrypted field of the
case and its people, notes, plans, referrals and orders stays in the database as ciphertext nobody can read, and
searches no longer find her. The case row keeps its number and categorical columns (statistics stay correct) and
is closed with reason ``erased``; it is no longer listed or opened by anyone. A destruction event goes to the audit
log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import crypto
from app import audit
from app.db import Base, db, utcnow
from cases.models import Case, CaseStatus

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
    result = crypto.shred(db.session(), "case", case.public_id, models=crypto.encrypted_models(Base), reason=reason)
    case.status = CaseStatus.CLOSED
    case.closed_at = case.closed_at or utcnow()
    case.close_reason = ERASED
    audit.record("case.shred", actor=actor, object_type="cases", object_id=case.public_id, case_number=case.number,
                 reason=category, details={"data_keys": len(result.dek_ids),
                                         "cleared_indexes": sum(result.cleared_indexes.values()),
                                         "already_destroyed": result.already_destroyed})
    db.session.flush()
    return result
