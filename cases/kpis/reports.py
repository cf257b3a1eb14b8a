"""The KPI tables: counts in day bands and categories, for the centres and period given (no decryption)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.dates import centre_zone
from app.db import db
from app.reports.registry import Period, Table
from cases.core.labels import CLOSE_REASON_LABELS, CLOSE_REASONS
from cases.core.models import Case, CaseStatus, RiskLevel
from cases.core.reports import counted_cases, labels_of
from cases.plans.models import PlanStatus, SafetyPlanVersion
from cases.referrals.models import Referral
from cases.risk.models import RiskAssessment

SECTION_KEY = "kpis"
APPROVAL_PROMPT_DAYS = 2  # a high-risk safety plan approved within this many days of submission counts as prompt


def _days(start: date, end: datetime | date | None) -> int | None:
    if end is None:
        return None
    day = end.astimezone(centre_zone()).date() if isinstance(end, datetime) else end
    return max(0, (day - start).days)


def _band(days: int | None, bounds: Sequence[int]) -> int:
    """The index of the band ``days`` falls in: ``bounds`` are the upper limits; the last band is "more", then
    "not yet" (None)."""
    if days is None:
        return len(bounds) + 1
    return next((i for i, upper in enumerate(bounds) if days <= upper), len(bounds))


def _table(key: str, title: str, row_header: str, rows: Sequence[str], values: Iterable[int]) -> Table:
    counts = [[0] for _row in rows]
    for index in values:
        counts[index][0] += 1
    return Table(key=key, section=_("Casework indicators"), title=title, row_header=row_header,
                 row_labels=list(rows), col_labels=[_("Cases")], counts=counts)


def _in(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    return [Case.centre_id.in_(list(centre_ids)), Case.applied_on >= period.start, Case.applied_on < period.end,
            sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"), counted_cases()]


def first_assessment(centre_ids: Sequence[int], period: Period) -> Table:
    first = (sa.select(RiskAssessment.case_id, sa.func.min(RiskAssessment.assessed_at).label("at"))
             .group_by(RiskAssessment.case_id).subquery())
    rows = db.session.execute(sa.select(Case.applied_on, first.c.at).outerjoin(first, first.c.case_id == Case.id)
                              .where(*_in(centre_ids, period))).all()
    bounds = (1, 7, 30)
    return _table("kpi-first-assessment", _("Days from application to the first risk assessment"),
                  _("Days"), [_("0–1"), _("2–7"), _("8–30"), _("More than 30"), _("Not assessed yet")],
                  (_band(_days(applied, at), bounds) for applied, at in rows))


def high_risk_plans(centre_ids: Sequence[int], period: Period) -> Table:
    """Cases of the period whose risk is high, by their safety plan: approved promptly, approved later, waiting,
    none submitted. Time to approval: from the submission of the first approved version to its approval."""
    plans = db.session.execute(
        sa.select(SafetyPlanVersion.case_id, SafetyPlanVersion.status, SafetyPlanVersion.submitted_at,
                  SafetyPlanVersion.reviewed_at)
        .join(Case, Case.id == SafetyPlanVersion.case_id)
        .where(*_in(centre_ids, period), Case.risk_level == RiskLevel.HIGH)
        .order_by(SafetyPlanVersion.case_id, SafetyPlanVersion.version)).all()
    cases = db.session.scalars(sa.select(Case.id).where(*_in(centre_ids, period), Case.risk_level == RiskLevel.HIGH))
    state: dict[int, int] = {case_id: 3 for case_id in cases}
    for case_id, status, submitted_at, reviewed_at in plans:
        if state.get(case_id, 3) < 2:
            continue  # its first approval is what counts
        if status == PlanStatus.APPROVED and submitted_at and reviewed_at:
            days = (reviewed_at - submitted_at).total_seconds() / 86400
            state[case_id] = 0 if days <= APPROVAL_PROMPT_DAYS else 1
        elif status in (PlanStatus.SUBMITTED, PlanStatus.RETURNED):
            state[case_id] = 2
    return _table("kpi-high-risk-plans", _("High-risk cases and their safety plan"), _("Safety plan"),
                  [_("Approved within %(days)d days of submission", days=APPROVAL_PROMPT_DAYS),
                   _("Approved later"), _("Submitted or returned, not approved yet"), _("No plan submitted")],
                  state.values())


REFERRAL_ENDS = ("completed", "accepted", "sent", "declined", "withdrawn")


def referral_completion(centre_ids: Sequence[int], period: Period) -> Table:
    start, end = period.bounds_utc()
    statuses = db.session.scalars(
        sa.select(Referral.status).join(Case, Case.id == Referral.case_id)
        .where(Case.centre_id.in_(list(centre_ids)), Referral.sent_at >= start, Referral.sent_at < end,
               counted_cases()))
    index = {key: i for i, key in enumerate(REFERRAL_ENDS)}
    return _table("kpi-referrals", _("Referrals sent in the period, by where they stand"), _("Referral"),
                  [_("Completed"), _("Accepted, in progress"), _("Sent, no answer yet"), _("Declined"),
                   _("Withdrawn")], (index[s] for s in statuses if s in index))


def days_open(centre_ids: Sequence[int], period: Period) -> Table:
    start, end = period.bounds_utc()
    rows = db.session.execute(sa.select(Case.applied_on, Case.closed_at).where(
        Case.centre_id.in_(list(centre_ids)), Case.status == CaseStatus.CLOSED, Case.closed_at >= start,
        Case.closed_at < end, Case.close_reason != "erased", counted_cases())).all()
    bounds = (30, 90, 180, 365)
    return _table("kpi-days-open", _("Cases closed in the period, by days from application to closure"), _("Days"),
                  [_("Up to 30"), _("31–90"), _("91–180"), _("181–365"), _("More than 365")],
                  (min(_band(_days(applied, closed), bounds), len(bounds)) for applied, closed in rows))


def closure_reasons(centre_ids: Sequence[int], period: Period) -> Table:
    start, end = period.bounds_utc()
    reasons = db.session.scalars(sa.select(Case.close_reason).where(
        Case.centre_id.in_(list(centre_ids)), Case.status == CaseStatus.CLOSED, Case.closed_at >= start,
        Case.closed_at < end, Case.close_reason.in_(CLOSE_REASONS), counted_cases()))
    index = {key: i for i, key in enumerate(CLOSE_REASONS)}
    return _table("kpi-closure-reasons", _("Cases closed in the period, by reason"), _("Reason"),
                  labels_of(CLOSE_REASONS, CLOSE_REASON_LABELS), (index[r] for r in reasons if r in index))


def kpi_tables(centre_ids: Sequence[int], period: Period) -> list[Table]:
    """The provider registered with ``app.reports`` (``cases.registry``) and read by the KPI page."""
    return [first_assessment(centre_ids, period), high_risk_plans(centre_ids, period),
            referral_completion(centre_ids, period), days_open(centre_ids, period),
            closure_reasons(centre_ids, period)]
