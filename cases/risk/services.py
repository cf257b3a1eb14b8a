"""Risk assessment rules: scoring against a checklist version, thresholds, professional judgement (raise only, with
a reason), the case's risk level, re-assessment due dates and prompts, and publishing checklist versions.

For colleagues: ``request_reassessment(case, reason, actor=)`` asks for a re-assessment now (e.g. a protective-order
violation: ``reason="order-violation"``); the prompt shows on the case page and dashboards until the next assessment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import local_today
from app.db import db, utcnow
from app.users.models import User
from cases.core.errors import CaseClosed, CaseError
from cases.core.labels import RISK_LABELS
from cases.core.models import Case, CaseStatus, RiskLevel
from cases.risk import checklist as risk_checklist
from cases.risk.models import (
    LEVEL_ORDER,
    REASSESSMENT_REASONS,
    Answer,
    RiskAssessment,
    RiskChecklist,
    RiskReassessmentPrompt,
)

MAX_ITEMS = 60
MAX_WEIGHT = 10
MAX_ITEM_TEXT = 300
MAX_REVIEW_DAYS = 365
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RiskError(CaseError):
    """A risk-assessment rule was broken (the message is safe to show)."""


class LevelLowered(RiskError):
    """A level below the score's level was chosen: professional judgement may only raise it."""


class JudgementReasonRequired(RiskError):
    """The level was raised above the score's level without a written reason."""


class IncompleteAnswers(RiskError):
    """An indicator was not answered, or an answer does not belong to the checklist."""


class ChecklistInvalid(RiskError):
    """A checklist version to publish is malformed (bad keys, weights, thresholds)."""


# --- checklist versions ----------------------------------------------------------------------------------------

def current_checklist() -> RiskChecklist:
    """The newest published version; version 1 is seeded here if the database has none (built without migrations)."""
    checklist = db.session.scalar(sa.select(RiskChecklist).order_by(RiskChecklist.version.desc()).limit(1))
    if checklist is None:
        checklist = RiskChecklist(
            version=1, items=risk_checklist.DEFAULT_V1_ITEMS,
            medium_threshold=risk_checklist.DEFAULT_MEDIUM_THRESHOLD,
            high_threshold=risk_checklist.DEFAULT_HIGH_THRESHOLD,
            review_days_standard=risk_checklist.DEFAULT_REVIEW_DAYS["standard"],
            review_days_medium=risk_checklist.DEFAULT_REVIEW_DAYS["medium"],
            review_days_high=risk_checklist.DEFAULT_REVIEW_DAYS["high"],
        )
        db.session.add(checklist)
        db.session.flush()
    return checklist


def checklist_versions() -> list[RiskChecklist]:
    return list(db.session.scalars(sa.select(RiskChecklist).order_by(RiskChecklist.version.desc())))


def validate_checklist(items: list[dict[str, Any]], medium_threshold: int, high_threshold: int,
                       review_days: dict[str, int]) -> None:
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ChecklistInvalid(_l("A checklist needs between 1 and %(n)s indicators.", n=MAX_ITEMS))
    seen: set[str] = set()
    for item in items:
        key = item.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise ChecklistInvalid(_l("Indicator keys use lower-case letters, digits and _ (up to 40)."))
        if key in seen:
            raise ChecklistInvalid(_l("The indicator key %(key)s appears twice.", key=key))
        seen.add(key)
        weight = item.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
            raise ChecklistInvalid(_l("Weights are whole numbers from 1 to %(n)s (%(key)s).", n=MAX_WEIGHT, key=key))
        for lang in ("text_tr", "text_en"):
            text = item.get(lang)
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_ITEM_TEXT:
                raise ChecklistInvalid(
                    _l("Each indicator needs a Turkish and an English question of up to %(n)s characters (%(key)s).",
                       n=MAX_ITEM_TEXT, key=key))
    max_score = sum(int(i["weight"]) for i in items)
    if not 1 <= medium_threshold <= high_threshold <= max_score:
        raise ChecklistInvalid(_l("Thresholds must satisfy 1 ≤ medium ≤ high ≤ the highest possible score (%(n)s).",
                                  n=max_score))
    for level in ("standard", "medium", "high"):
        days = review_days.get(level)
        if not isinstance(days, int) or not 1 <= days <= MAX_REVIEW_DAYS:
            raise ChecklistInvalid(_l("Re-assessment intervals are 1 to %(n)s days.", n=MAX_REVIEW_DAYS))
    if not review_days["high"] <= review_days["medium"] <= review_days["standard"]:
        raise ChecklistInvalid(_l("Higher risk must be re-assessed at least as often as lower risk."))


def publish_checklist(*, items: list[dict[str, Any]], medium_threshold: int, high_threshold: int,
                      review_days: dict[str, int], actor: User) -> RiskChecklist:
    """A new version after the newest one. Earlier versions and their assessments are untouched."""
    validate_checklist(items, medium_threshold, high_threshold, review_days)
    latest = current_checklist()
    checklist = RiskChecklist(
        version=latest.version + 1,
        items=[{"key": i["key"], "weight": int(i["weight"]), "text_tr": i["text_tr"].strip(),
                "text_en": i["text_en"].strip()} for i in items],
        medium_threshold=medium_threshold, high_threshold=high_threshold,
        review_days_standard=review_days["standard"], review_days_medium=review_days["medium"],
        review_days_high=review_days["high"], published_by_id=actor.id,
    )
    db.session.add(checklist)
    db.session.flush()
    audit.record("risk_checklist.published", object_type="risk_checklist", object_id=checklist.version,
                 details={"version": checklist.version, "items": len(items)})
    return checklist


# --- assessments -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    score: int
    unknown_count: int
    level: RiskLevel


def score_answers(checklist: RiskChecklist, answers: dict[str, str]) -> Score:
    """The weighted count of "yes" answers and the level it reaches. Every indicator must be answered."""
    keys = [item["key"] for item in checklist.items]
    if set(answers) != set(keys) or any(v not in {a.value for a in Answer} for v in answers.values()):
        raise IncompleteAnswers(_l("Answer every indicator with yes, no or unknown."))
    score = sum(int(item["weight"]) for item in checklist.items if answers[item["key"]] == Answer.YES)
    unknown = sum(1 for v in answers.values() if v == Answer.UNKNOWN)
    return Score(score, unknown, checklist.level_for(score))


def record_assessment(case: Case, *, answers: dict[str, str], actor: User, level: RiskLevel | None = None,
                      judgement_reason: str | None = None, checklist: RiskChecklist | None = None,
                      today: date | None = None) -> RiskAssessment:
    """Score the answers, apply professional judgement, set the case's risk level and re-assessment date.

    ``level`` may equal or exceed the score's level; above it, ``judgement_reason`` is required. A lower level is
    refused (LevelLowered): the score is never lowered silently."""
    if case.is_closed:
        raise CaseClosed(_l("The case is closed; reopen it first."))
    checklist = checklist or current_checklist()
    result = score_answers(checklist, answers)
    final = level or result.level
    reason = (judgement_reason or "").strip() or None
    if LEVEL_ORDER[final] < LEVEL_ORDER[result.level]:
        raise LevelLowered(_l("The score gives this level: %(level)s. Professional judgement can raise the level, "
                              "never lower it.", level=level_label(result.level)))
    raised = LEVEL_ORDER[final] > LEVEL_ORDER[result.level]
    if raised and reason is None:
        raise JudgementReasonRequired(_l("Write why your professional judgement raises the level."))
    today = today or local_today()
    assessment = RiskAssessment(
        case_id=case.id, case_public_id=case.public_id, case=case, checklist_id=checklist.id,
        assessed_by_id=actor.id, score=result.score, unknown_count=result.unknown_count,
        computed_level=result.level, level=final, raised_by_judgement=raised,
        review_due_on=today + timedelta(days=checklist.review_days(final)),
    )
    assessment.answers = dict(answers)
    assessment.judgement_reason = reason if raised else None
    db.session.add(assessment)
    db.session.flush()
    case.risk_level = final
    for prompt in open_prompts(case):
        prompt.resolved_at = utcnow()
        prompt.resolved_by_assessment_id = assessment.id
    audit.record("risk.assessed", object_type="risk_assessment", object_id=assessment.public_id,
                 case_number=case.number, details={"checklist_version": checklist.version,
                                                   "judgement": raised})
    return assessment


def latest_assessment(case: Case) -> RiskAssessment | None:
    return db.session.scalar(
        sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1)
    )


def assessment_history(case: Case) -> list[RiskAssessment]:
    return list(db.session.scalars(
        sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id)
        .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc())
    ))


def find_assessment(case: Case, public_id: Any) -> RiskAssessment | None:
    # SECURITY: scoped to the case already loaded through the policy.
    return db.session.scalar(
        sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id, RiskAssessment.public_id == public_id)
    )


# --- re-assessment prompts -------------------------------------------------------------------------------------

def request_reassessment(case: Case, reason: str, actor: User | None) -> RiskReassessmentPrompt:
    """Ask for a re-assessment of ``case`` now. ``reason`` is a key of ``REASSESSMENT_REASONS`` (never free text,
    it is shown on dashboards). An open prompt for the same reason is reused. Resolved by the next assessment."""
    if reason not in REASSESSMENT_REASONS:
        raise ValueError(f"unknown re-assessment reason {reason!r}; use one of {REASSESSMENT_REASONS}")
    existing = next((p for p in open_prompts(case) if p.reason == reason), None)
    if existing is not None:
        return existing
    prompt = RiskReassessmentPrompt(case_id=case.id, case=case, reason=reason,
                                    requested_by_id=actor.id if actor is not None else None)
    db.session.add(prompt)
    db.session.flush()
    audit.record("risk.reassessment_requested", object_type="case", object_id=case.public_id,
                 case_number=case.number, details={"reason": reason})
    return prompt


def open_prompts(case: Case) -> list[RiskReassessmentPrompt]:
    return list(db.session.scalars(
        sa.select(RiskReassessmentPrompt)
        .where(RiskReassessmentPrompt.case_id == case.id, RiskReassessmentPrompt.resolved_at.is_(None))
        .order_by(RiskReassessmentPrompt.requested_at)
    ))


@dataclass(frozen=True)
class DueAssessment:
    case: Case
    due_on: date | None  # None: never assessed
    prompted: bool
    overdue: bool


def _due_select(cases_query: sa.Select[tuple[Case]], within_days: int,
                today: date) -> tuple[sa.Select[Any], sa.ColumnElement[bool]]:
    return _due_select_until(cases_query, today + timedelta(days=within_days), today)


def _due_select_until(cases_query: sa.Select[tuple[Case]], until: date | sa.ColumnElement[Any],
                      today: date | sa.ColumnElement[Any]) -> tuple[sa.Select[Any], sa.ColumnElement[bool]]:
    """One statement for the assessments due on the query's open cases: each case with its latest assessment's
    review date and whether a re-assessment prompt is open, only the due ones (due within ``within_days`` or
    overdue, never assessed, asked for again), in the panel's order (asked for again first, then never assessed,
    then by date and case number). Also returns the SQL of a *task* being overdue (asked for again, never
    assessed, or past its date), which the counts use."""
    latest = (sa.select(RiskAssessment.review_due_on).where(RiskAssessment.case_id == Case.id)
              .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1)
              .correlate(Case).scalar_subquery())
    prompted = sa.exists().where(RiskReassessmentPrompt.case_id == Case.id,
                                 RiskReassessmentPrompt.resolved_at.is_(None)).correlate(Case)
    stmt = (cases_query.order_by(None)
            .add_columns(latest.label("due_on"), prompted.label("prompted"))
            .where(Case.status != CaseStatus.CLOSED,
                   sa.or_(prompted, latest.is_(None), latest <= until))
            .order_by(sa.case((prompted, 0), else_=1), sa.case((latest.is_(None), 0), else_=1), latest,
                      Case.number))
    return stmt, sa.or_(prompted, latest.is_(None), latest < today)


def _due(row: Any, today: date) -> DueAssessment:
    due_on = row.due_on
    return DueAssessment(row[0], due_on, bool(row.prompted), due_on is not None and due_on < today)


def assessments_due(cases_query: sa.Select[tuple[Case]], within_days: int = 7,
                    today: date | None = None) -> list[DueAssessment]:
    """Open cases of the query whose latest assessment is due within ``within_days`` (or overdue), that were never
    assessed, or that have an open re-assessment prompt: asked for again first, then never assessed, then by date."""
    today = today or local_today()
    stmt, _overdue = _due_select(cases_query, within_days, today)
    return [_due(row, today) for row in db.session.execute(stmt)]


@dataclass(frozen=True)
class DueSummary:
    """The first ``limit`` of ``assessments_due`` and how many there are in all; ``overdue``: how many of them are
    an overdue *task* (asked for again, never assessed, or past the date)."""
    first: list[DueAssessment]
    total: int
    overdue: int


def assessments_due_summary(cases_query: sa.Select[tuple[Case]], within_days: int = 7, today: date | None = None,
                            limit: int = 20) -> DueSummary:
    """``assessments_due`` for a panel, in one statement: the first ``limit`` rows, with the total and overdue
    counts computed by the database over every due row (window functions, before the LIMIT)."""
    today = today or local_today()
    stmt = due_summary_select(cases_query, until=today + timedelta(days=within_days), today=today, limit=limit)
    return due_summary(db.session.execute(stmt).all(), today)


def due_summary_select(cases_query: sa.Select[tuple[Case]], *, until: date | sa.ColumnElement[Any],
                       today: date | sa.ColumnElement[Any], limit: int) -> sa.Select[Any]:
    """The statement of ``assessments_due_summary``; ``until`` (the last review date due) and ``today`` may be
    bound parameters, so that a caller builds it once (the dashboard)."""
    stmt, overdue = _due_select_until(cases_query, until, today)
    return stmt.add_columns(sa.func.count().over().label("n_total"),
                            sa.func.sum(sa.case((overdue, 1), else_=0)).over().label("n_overdue")).limit(limit)


def due_summary(rows: Sequence[Any], today: date) -> DueSummary:
    """The ``DueSummary`` of ``due_summary_select``'s rows."""
    if not rows:
        return DueSummary([], 0, 0)
    return DueSummary([_due(row, today) for row in rows], int(rows[0].n_total), int(rows[0].n_overdue))


def level_label(level: RiskLevel | str | None) -> str:
    if level is None:
        return str(_l("Not assessed"))
    return str(RISK_LABELS[RiskLevel(level).value])
