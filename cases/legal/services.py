"""Recording proceedings, confidentiality measures and custody; the release trigger; the legal tasks.

A release asks for a risk re-assessment (``cases.risk``) and alerts the case's team (``cases.alerts``), once per
custody record, when its release date has come: at once when it is recorded so, otherwise on that day through
``trigger_releases`` (``flask legal releases``, run daily). Only the newest record per case and perpetrator counts:
a later record (re-arrested, a new date) replaces an earlier expected release.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm
from sqlalchemy.orm import aliased

from app import audit
from app.db import db, utcnow
from app.users.models import User
from cases.alerts import services as alerts_service
from cases.core.errors import CaseClosed, CaseError
from cases.core.models import Case, CaseStatus
from cases.core.services import case_perpetrator
from cases.legal.models import (
    APPEAL_CHOICES,
    CUSTODY_STATUSES,
    MEASURE_KINDS,
    MEASURE_STATUSES,
    PROCEEDING_KINDS,
    PROCEEDING_OUTCOMES,
    PROCEEDING_STATUSES,
    REPORT_CONCERNS,
    REPORT_DECISIONS,
    REPORT_RECIPIENTS,
    ConfidentialityMeasure,
    CustodyRecord,
    LegalHearing,
    LegalProceeding,
    ReportDecision,
)
from cases.risk.services import request_reassessment

RELEASE_ALERT = "perpetrator-released"
RELEASE_WARNING_DAYS = 14  # an expected release shows in the task list this many days ahead
HEARING_WARNING_DAYS = 7
APPEAL_WARNING_DAYS = 14  # a deadline to appeal shows in the task list this many days ahead (they are short)
alerts_service.register_alert_kind(RELEASE_ALERT, _l("The person using violence is released from custody"))


class LegalError(CaseError):
    """A legal-process record broke a rule."""


def _open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(str(_l("The case is closed. Reopen it before changing the legal process.")))


# --- proceedings ------------------------------------------------------------------------------------------------

def save_proceeding(case: Case, *, actor: User, proceeding: LegalProceeding | None = None, kind: str, status: str,
                    authority: str | None, file_number: str | None, has_legal_aid: bool, lawyer: str | None,
                    next_hearing_on: date | None, today: date, court_file_number: str | None = None,
                    outcome: str | None = None, appeal_deadline_on: date | None = None, appeal: str | None = None,
                    hearing_note: str | None = None) -> LegalProceeding:
    """Record a new proceeding (``proceeding=None``) or update one of this case.

    An outcome ends the proceeding (an appeal is a proceeding of its own); the deadline to appeal and whether it was
    appealed go with an outcome. When the next hearing's day has come and it is moved on (a new date, none, or the
    proceeding concluded), the hearing that took place joins the history, with what happened (``hearing_note``)."""
    _open(case)
    if kind not in PROCEEDING_KINDS or status not in PROCEEDING_STATUSES:
        raise LegalError(str(_l("Choose the kind of proceeding from the list.")))
    if (outcome and outcome not in PROCEEDING_OUTCOMES) or (appeal and appeal not in APPEAL_CHOICES):
        raise LegalError(str(_l("Choose from the lists.")))
    if outcome and status != "concluded":
        raise LegalError(str(_l("A proceeding with an outcome is concluded: choose \u201cConcluded\u201d. "
                                "Record an appeal as a proceeding of its own.")))
    if (appeal_deadline_on or appeal) and not outcome:
        raise LegalError(str(_l("The deadline to appeal and the appeal go with an outcome: choose the outcome.")))
    created = proceeding is None
    held = None
    if proceeding is not None:
        previous = proceeding.next_hearing_on
        if previous is not None and previous <= today and (next_hearing_on != previous or status == "concluded"):
            held = previous
    if hearing_note and held is None:
        raise LegalError(str(_l("What happened is written when a hearing's day has come and the next hearing is "
                                "entered (or the proceeding is concluded).")))
    if proceeding is None:
        proceeding = LegalProceeding(case_id=case.id, case=case, case_public_id=case.public_id,
                                     recorded_by_id=actor.id)
        db.session.add(proceeding)
    proceeding.kind, proceeding.status, proceeding.has_legal_aid = kind, status, has_legal_aid
    proceeding.next_hearing_on = next_hearing_on
    proceeding.outcome, proceeding.appeal_deadline_on, proceeding.appeal = outcome, appeal_deadline_on, appeal
    proceeding.authority, proceeding.file_number, proceeding.lawyer = authority, file_number, lawyer
    proceeding.court_file_number = court_file_number
    proceeding.updated_at = utcnow()
    db.session.flush()
    if held is not None:
        hearing = LegalHearing(proceeding_id=proceeding.id, case_id=case.id, case=case, case_public_id=case.public_id,
                               held_on=held, recorded_by_id=actor.id)
        hearing.note = hearing_note
        db.session.add(hearing)
        db.session.flush()
    audit.record("case.legal-proceeding", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"kind": kind, "status": status, "created": created, "outcome": outcome,
                          "appeal": appeal, "hearing_held": held is not None})
    return proceeding


def proceeding_hearings(proceeding: LegalProceeding) -> list[LegalHearing]:
    """The hearings of a proceeding that took place, newest first."""
    return list(db.session.scalars(sa.select(LegalHearing).where(LegalHearing.proceeding_id == proceeding.id)
                                   .options(orm.joinedload(LegalHearing.recorded_by))
                                   .order_by(LegalHearing.held_on.desc(), LegalHearing.id.desc())))


def case_proceedings(case: Case) -> list[LegalProceeding]:
    return list(db.session.scalars(sa.select(LegalProceeding).where(LegalProceeding.case_id == case.id)
                                   .order_by(LegalProceeding.status, LegalProceeding.recorded_at.desc(),
                                             LegalProceeding.id.desc())))


def find_proceeding(case: Case, public_id: Any) -> LegalProceeding | None:
    # SECURITY: a proceeding is looked up within its case only.
    return db.session.scalar(sa.select(LegalProceeding).where(LegalProceeding.case_id == case.id,
                                                              LegalProceeding.public_id == public_id))


# --- confidentiality measures -----------------------------------------------------------------------------------

def case_measures(case: Case) -> dict[str, ConfidentialityMeasure]:
    return {m.kind: m for m in db.session.scalars(
        sa.select(ConfidentialityMeasure).where(ConfidentialityMeasure.case_id == case.id))}


def set_measures(case: Case, statuses: dict[str, str | None], *, actor: User) -> int:
    """Set each measure's status (None: not requested). Answers how many changed."""
    _open(case)
    if set(statuses) - set(MEASURE_KINDS) or any(s and s not in MEASURE_STATUSES for s in statuses.values()):
        raise LegalError(str(_l("Choose a status from the list.")))
    current = case_measures(case)
    changed = []
    for kind, status in statuses.items():
        row = current.get(kind)
        if status is None and row is not None:
            db.session.delete(row)
        elif status is not None and row is None:
            db.session.add(ConfidentialityMeasure(case_id=case.id, case=case, case_public_id=case.public_id,
                                                  kind=kind, status=status, updated_by_id=actor.id))
        elif status is not None and row is not None and row.status != status:
            row.status, row.updated_by_id, row.updated_at = status, actor.id, utcnow()
        else:
            continue
        changed.append(kind)
    db.session.flush()
    if changed:
        audit.record("case.confidentiality-measures", object_type="case", object_id=case.public_id,
                     case_number=case.number, details={"changed": changed})
    return len(changed)


# --- custody and the release trigger ----------------------------------------------------------------------------

def record_custody(case: Case, *, actor: User, perpetrator_public_id: Any, status: str, release_on: date | None,
                   today: date) -> CustodyRecord:
    _open(case)
    if status not in CUSTODY_STATUSES:
        raise LegalError(str(_l("Choose the custody status from the list.")))
    if status == "released":
        release_on = release_on or today
        if release_on > today:
            raise LegalError(str(_l("A release that is still ahead: choose the status until then "
                                    "and give the expected release date.")))
    elif release_on is not None and release_on <= today:
        raise LegalError(str(_l("The expected release date must be after today. If the person using violence is out, "
                                "choose \u201creleased\u201d.")))
    perpetrator = None
    if perpetrator_public_id:
        perpetrator = case_perpetrator(case, perpetrator_public_id)  # SECURITY: this very case's only
        if perpetrator is None:
            raise LegalError(str(_l("Choose one of the people using violence recorded in this case.")))
    record = CustodyRecord(case_id=case.id, case=case, case_public_id=case.public_id,
                           perpetrator_id=perpetrator.id if perpetrator else None, status=status,
                           release_on=release_on, recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record("case.custody", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"status": status, "release_ahead": bool(release_on and release_on > today)})
    trigger_releases(today=today, actor=actor, case=case)
    return record


def _current_records() -> sa.Select[tuple[CustodyRecord]]:
    """The newest custody record per case and perpetrator, of open cases."""
    newer = aliased(CustodyRecord)
    return (sa.select(CustodyRecord).join(Case, Case.id == CustodyRecord.case_id)
            .where(Case.status != CaseStatus.CLOSED,
                   ~sa.exists().where(newer.case_id == CustodyRecord.case_id, newer.id > CustodyRecord.id,
                                      newer.perpetrator_id.is_not_distinct_from(CustodyRecord.perpetrator_id))))


def trigger_releases(*, today: date, actor: User | None = None, case: Case | None = None) -> int:
    """Releases whose day has come and that have not yet been acted on: ask for a re-assessment and alert the team.
    Answers how many releases were acted on. Idempotent (``release_handled_at``)."""
    stmt = _current_records().where(CustodyRecord.release_on <= today, CustodyRecord.release_handled_at.is_(None))
    if case is not None:
        stmt = stmt.where(CustodyRecord.case_id == case.id)
    records = list(db.session.scalars(stmt.order_by(CustodyRecord.id)))
    for record in records:
        record.release_handled_at = utcnow()
        request_reassessment(record.case, "release-from-custody", actor)
        alerts_service.notify(alerts_service.case_team_ids(record.case), record.case, RELEASE_ALERT, actor=actor)
        audit.record("case.release-triggered", object_type="case", object_id=record.case_public_id,
                     case_number=record.case.number, actor=actor)
    db.session.flush()
    return len(records)


def case_custody(case: Case) -> list[CustodyRecord]:
    """The case's custody records, newest first."""
    return list(db.session.scalars(sa.select(CustodyRecord).where(CustodyRecord.case_id == case.id)
                                   .order_by(CustodyRecord.id.desc())))


# --- the duty-to-report decision log ------------------------------------------------------------------------------

REPORT_DECISION_DAYS = 1  # an undecided duty-to-report question is due the day after staff learned of it


def _checked_decision(concern: str, decision: str, reported_to: list[str], reason: str | None) -> list[str]:
    """The decision's rules; answers to whom it was reported (nobody unless reported)."""
    if concern not in REPORT_CONCERNS or decision not in REPORT_DECISIONS or set(reported_to) - set(REPORT_RECIPIENTS):
        raise LegalError(str(_l("Choose from the lists.")))
    if decision == "reported" and not reported_to:
        raise LegalError(str(_l("Choose to whom it was reported.")))
    if decision == "not-reported" and not reason:
        raise LegalError(str(_l("Write why it is not reported.")))
    return list(reported_to) if decision == "reported" else []


def record_report_decision(case: Case, *, actor: User, learned_on: date, concern: str, decision: str,
                           reported_to: list[str], reason: str | None, she_was_told_first: bool) -> ReportDecision:
    """Log a duty-to-report decision. Reported: to whom is required; not reported: why is required; undecided: it
    waits in the task list of the case's staff until someone decides it (``decide_report_decision``)."""
    _open(case)
    reported_to = _checked_decision(concern, decision, reported_to, reason)
    row = ReportDecision(case_id=case.id, case=case, case_public_id=case.public_id, learned_on=learned_on,
                         concern=concern, decision=decision, reported_to=reported_to,
                         she_was_told_first=she_was_told_first, decided_by_id=actor.id)
    row.reason = reason
    db.session.add(row)
    db.session.flush()
    audit.record("case.report-decision", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"concern": concern, "decision": decision, "told_first": she_was_told_first})
    return row


def decide_report_decision(row: ReportDecision, *, actor: User, decision: str, reported_to: list[str],
                           reason: str | None, she_was_told_first: bool) -> None:
    """Decide an entry logged as undecided. A decision once made is not rewritten: a change of mind is a new entry."""
    _open(row.case)
    if row.decision != "undecided":
        raise LegalError(str(_l("This decision was already made. If it changed, log a new decision.")))
    if decision == "undecided":
        raise LegalError(str(_l("Choose the decision.")))
    row.reported_to = _checked_decision(row.concern, decision, reported_to, reason)
    row.decision, row.she_was_told_first = decision, she_was_told_first
    if reason:
        row.reason = reason
    row.decided_by_id, row.decided_at = actor.id, utcnow()
    db.session.flush()
    audit.record("case.report-decision", object_type="case", object_id=row.case_public_id,
                 case_number=row.case.number,
                 details={"concern": row.concern, "decision": decision, "told_first": she_was_told_first,
                          "decided_later": True})


def find_report_decision(case: Case, public_id: Any) -> ReportDecision | None:
    # SECURITY: a decision is looked up within its case only.
    return db.session.scalar(sa.select(ReportDecision).where(ReportDecision.case_id == case.id,
                                                             ReportDecision.public_id == public_id))


def centre_report_decisions(centre_id: int, *, decision: str | None = None) -> list[ReportDecision]:
    """The centre's decision log for its supervisor, undecided first, then newest first (categorical columns and
    who decided only: the reasons stay on each case's page, read there on record)."""
    stmt = (sa.select(ReportDecision).join(Case, Case.id == ReportDecision.case_id)
            .where(Case.centre_id == centre_id, sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"))
            .options(orm.joinedload(ReportDecision.case), orm.joinedload(ReportDecision.decided_by))
            .order_by(ReportDecision.decision != "undecided", ReportDecision.learned_on.desc(),
                      ReportDecision.id.desc()))
    if decision:
        stmt = stmt.where(ReportDecision.decision == decision)
    return list(db.session.scalars(stmt))


def case_report_decisions(case: Case) -> list[ReportDecision]:
    return list(db.session.scalars(sa.select(ReportDecision).where(ReportDecision.case_id == case.id)
                                   .order_by(ReportDecision.learned_on.desc(), ReportDecision.id.desc())))


# --- tasks ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LegalDue:
    kind: str  # "hearing" | "appeal-deadline" | "release-coming" | "report-decision"
    case_number: str
    case_public_id: uuid.UUID
    due_on: date
    overdue: bool
    object_public_id: uuid.UUID  # the proceeding, custody record or decision
    detail: str = ""  # a categorical key (the concern of a report decision)


def _kind(key: str) -> sa.ColumnElement[str]:
    return sa.cast(sa.literal(key), sa.String(20))


def legal_due(case_ids: sa.Select[tuple[int]], *, today: date) -> list[LegalDue]:
    """What the legal process asks of the given open cases, in one statement (the dashboard's task panel reads it):
    hearings within a week (a past one, still ongoing without a new date, is overdue: record what happened),
    deadlines to appeal within two weeks with no appeal recorded (a past one is overdue: record whether it was
    appealed), expected releases within two weeks, and duty-to-report questions not decided yet (due the day after
    staff learned of them)."""
    return legal_due_rows(db.session.execute(legal_due_select(case_ids, **legal_due_days(today))).all(), today)


def legal_due_days(today: date) -> dict[str, date]:
    """The days ``legal_due_select`` compares with, for ``today`` (also the values of its bound parameters)."""
    return {"legal_today": today, "legal_hearing_until": today + timedelta(HEARING_WARNING_DAYS),
            "legal_appeal_until": today + timedelta(APPEAL_WARNING_DAYS),
            "legal_release_until": today + timedelta(RELEASE_WARNING_DAYS)}


def legal_due_select(case_ids: sa.Select[tuple[int]], *, legal_today: date | sa.ColumnElement[Any],
                     legal_hearing_until: date | sa.ColumnElement[Any],
                     legal_appeal_until: date | sa.ColumnElement[Any],
                     legal_release_until: date | sa.ColumnElement[Any]) -> sa.Select[Any]:
    """The statement of ``legal_due``; the days may be bound parameters (named as ``legal_due_days``' keys), so
    that the dashboard builds it once."""
    hearings = sa.select(_kind("hearing"), LegalProceeding.case_id, LegalProceeding.next_hearing_on,
                         LegalProceeding.public_id, sa.cast(sa.literal(""), sa.String(20))).where(
        LegalProceeding.case_id.in_(case_ids), LegalProceeding.status == "ongoing",
        LegalProceeding.next_hearing_on <= legal_hearing_until)
    appeals = sa.select(_kind("appeal-deadline"), LegalProceeding.case_id, LegalProceeding.appeal_deadline_on,
                        LegalProceeding.public_id, sa.cast(sa.literal(""), sa.String(20))).where(
        LegalProceeding.case_id.in_(case_ids), LegalProceeding.appeal.is_(None),
        LegalProceeding.appeal_deadline_on <= legal_appeal_until)
    releases = _current_records().with_only_columns(
        _kind("release-coming"), CustodyRecord.case_id, CustodyRecord.release_on, CustodyRecord.public_id,
        sa.cast(sa.literal(""), sa.String(20))).where(
        CustodyRecord.case_id.in_(case_ids), CustodyRecord.release_on > legal_today,
        CustodyRecord.release_on <= legal_release_until)
    reports = sa.select(_kind("report-decision"), ReportDecision.case_id, ReportDecision.learned_on,
                        ReportDecision.public_id, ReportDecision.concern).where(
        ReportDecision.case_id.in_(case_ids), ReportDecision.decision == "undecided")
    due = sa.union_all(hearings, appeals, releases, reports).subquery()
    kind, case_id, due_on, object_id, detail = due.c
    return (sa.select(kind, Case.number, Case.public_id, due_on, object_id, detail)
            .join(Case, Case.id == case_id).order_by(due_on, Case.number, kind))


def legal_due_rows(rows: Sequence[Any], today: date) -> list[LegalDue]:
    """``legal_due``'s answer from ``legal_due_select``'s rows."""
    out = []
    for key, number, case_public_id, day, object_public_id, extra in rows:
        if key == "report-decision":
            day = day + timedelta(REPORT_DECISION_DAYS)
        overdue = key != "release-coming" and day < today
        out.append(LegalDue(key, number, case_public_id, day, overdue, object_public_id, extra or ""))
    return out
