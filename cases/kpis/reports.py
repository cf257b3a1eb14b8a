"""The KPI tables: counts in day bands and categories, for the centres and period given (no decryption)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.dates import centre_zone
from app.db import db
from app.numbers import number
from app.reports.registry import GroupedSection, Period, Table
from cases.core.labels import CLOSE_REASON_LABELS, CLOSE_REASONS
from cases.core.models import Case, CaseStatus, RiskLevel
from cases.core.reports import counted_cases, labels_of
from cases.plans.models import PlanStatus, SafetyPlanVersion
from cases.referrals.models import Referral
from cases.risk.models import RiskAssessment

SECTION_KEY = "kpis"
APPROVAL_PROMPT_DAYS = 2  # a high-risk safety plan approved within this many days of submission counts as prompt


def _days(start: date, end: datetime | date | None, zone: tzinfo | None = None) -> int | None:
    if end is None:
        return None
    day = end.astimezone(zone or centre_zone()).date() if isinstance(end, datetime) else end
    return max(0, (day - start).days)


def _band(days: int | None, bounds: Sequence[int]) -> int:
    """The index of the band ``days`` falls in: ``bounds`` are the upper limits; the last band is "more", then
    "not yet" (None)."""
    if days is None:
        return len(bounds) + 1
    return next((i for i, upper in enumerate(bounds) if days <= upper), len(bounds))


# The rows of each table (their labels are made in ``_build``, in the reader's language).
FIRST_ASSESSMENT_BOUNDS = (1, 7, 30)
DAYS_OPEN_BOUNDS = (30, 90, 180, 365)
REFERRAL_ENDS = ("completed", "accepted", "sent", "declined", "withdrawn")
TABLE_ROWS = {"kpi-first-assessment": len(FIRST_ASSESSMENT_BOUNDS) + 2, "kpi-high-risk-plans": 4,
              "kpi-referrals": len(REFERRAL_ENDS), "kpi-days-open": len(DAYS_OPEN_BOUNDS) + 1,
              "kpi-closure-reasons": len(CLOSE_REASONS)}

Tally = dict[str, dict[int, list[int]]]  # table key -> centre id -> count per row


def _in(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    return [Case.centre_id.in_(list(centre_ids)), Case.applied_on >= period.start, Case.applied_on < period.end,
            sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"), counted_cases()]


def _plan_state(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[int, int]]:
    """case id -> (centre id, row of the high-risk table) from (centre, case, status, submitted, reviewed) rows in
    version order. Time to approval: from the submission of the first approved version to its approval."""
    state: dict[int, tuple[int, int]] = {}
    for centre_id, case_id, status, submitted_at, reviewed_at in rows:
        current = state.setdefault(case_id, (centre_id, 3))[1]
        if current < 2:
            continue  # its first approval is what counts
        if status == PlanStatus.APPROVED and submitted_at and reviewed_at:
            days = (reviewed_at - submitted_at).total_seconds() / 86400
            state[case_id] = (centre_id, 0 if days <= APPROVAL_PROMPT_DAYS else 1)
        elif status in (PlanStatus.SUBMITTED, PlanStatus.RETURNED):
            state[case_id] = (centre_id, 2)
    return state


def _gather(centre_ids: Sequence[int], period: Period) -> Tally:
    """The count in each row of each KPI table, per centre: four reads for all the centres of a release; the tables
    of any subset of them are then sums (``GroupedSection``), in any language, without querying again."""
    ids = list(centre_ids)
    start, end = period.bounds_utc()
    tally: Tally = {key: {} for key in TABLE_ROWS}
    zone = centre_zone()

    def count(key: str, centre_id: int, row: int) -> None:
        tally[key].setdefault(centre_id, [0] * TABLE_ROWS[key])[row] += 1

    first = (sa.select(RiskAssessment.case_id, sa.func.min(RiskAssessment.assessed_at).label("at"))
             .group_by(RiskAssessment.case_id).subquery())
    for centre_id, applied_on, at in db.session.execute(
            sa.select(Case.centre_id, Case.applied_on, first.c.at)
            .outerjoin(first, first.c.case_id == Case.id).where(*_in(ids, period))):
        count("kpi-first-assessment", centre_id, _band(_days(applied_on, at, zone), FIRST_ASSESSMENT_BOUNDS))
    # high-risk cases of the period with their plan versions (no version: one row of NULLs), in version order
    plans = db.session.execute(
        sa.select(Case.centre_id, Case.id, SafetyPlanVersion.status, SafetyPlanVersion.submitted_at,
                  SafetyPlanVersion.reviewed_at)
        .outerjoin(SafetyPlanVersion, SafetyPlanVersion.case_id == Case.id)
        .where(*_in(ids, period), Case.risk_level == RiskLevel.HIGH)
        .order_by(Case.id, SafetyPlanVersion.version))
    for centre_id, row in _plan_state(tuple(r) for r in plans).values():
        count("kpi-high-risk-plans", centre_id, row)
    ends = {key: i for i, key in enumerate(REFERRAL_ENDS)}
    for centre_id, status in db.session.execute(
            sa.select(Case.centre_id, Referral.status).join(Case, Case.id == Referral.case_id)
            .where(Case.centre_id.in_(ids), Referral.sent_at >= start, Referral.sent_at < end, counted_cases())):
        if status in ends:
            count("kpi-referrals", centre_id, ends[status])
    reasons = {key: i for i, key in enumerate(CLOSE_REASONS)}
    for centre_id, applied_on, closed_at, reason in db.session.execute(
            sa.select(Case.centre_id, Case.applied_on, Case.closed_at, Case.close_reason).where(
                Case.centre_id.in_(ids), Case.status == CaseStatus.CLOSED, Case.closed_at >= start,
                Case.closed_at < end, Case.close_reason != "erased", counted_cases())):
        count("kpi-days-open", centre_id,
              min(_band(_days(applied_on, closed_at, zone), DAYS_OPEN_BOUNDS), len(DAYS_OPEN_BOUNDS)))
        if reason in reasons:
            count("kpi-closure-reasons", centre_id, reasons[reason])
    return tally


def _table(tally: Tally, centre_ids: Sequence[int], key: str, title: str, row_header: str,
           rows: Sequence[str]) -> Table:
    counts = [[0] for _row in rows]
    for centre_id in set(centre_ids):
        for i, n in enumerate(tally[key].get(centre_id, ())):
            counts[i][0] += n
    return Table(key=key, section=_("Casework indicators"), title=title, row_header=row_header,
                 row_labels=list(rows), col_labels=[_("Cases")], counts=counts)


def _build(tally: Tally, centre_ids: Sequence[int], period: Period) -> list[Table]:
    return [
        _table(tally, centre_ids, "kpi-first-assessment", _("Days from application to the first risk assessment"),
               _("Days"), [_("0–1"), _("2–7"), _("8–30"), _("More than 30"), _("Not assessed yet")]),
        _table(tally, centre_ids, "kpi-high-risk-plans", _("High-risk cases and their safety plan"),
               _("Safety plan"),
               [_("Approved within %(days)s days of submission", days=number(APPROVAL_PROMPT_DAYS)),
                _("Approved later"), _("Submitted or returned, not approved yet"), _("No plan submitted")]),
        _table(tally, centre_ids, "kpi-referrals", _("Referrals sent in the period, by where they stand"),
               _("Referral"), [_("Completed"), _("Accepted, in progress"), _("Sent, no answer yet"), _("Declined"),
                               _("Withdrawn")]),
        _table(tally, centre_ids, "kpi-days-open", _("Cases closed in the period, by days from application to closure"),
               _("Days"), [_("Up to 30"), _("31–90"), _("91–180"), _("181–365"), _("More than 365")]),
        _table(tally, centre_ids, "kpi-closure-reasons", _("Cases closed in the period, by reason"), _("Reason"),
               labels_of(CLOSE_REASONS, CLOSE_REASON_LABELS)),
    ]


# The provider registered with ``app.reports`` (``cases.registry``) and read by the KPI page: four reads for every
# centre of a release.
kpi_tables = GroupedSection(_gather, _build)
