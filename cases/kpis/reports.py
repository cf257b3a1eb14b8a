"""The KPI tables: counts in day bands and categories, for the centres and period given (no decryption)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.dates import centre_zone
from app.db import db
from app.numbers import number
from app.reports.registry import GroupedSection, Period, Table
from app.reports.sql import band_of, days_since, fixed_offset, scanned, within_hours
from app.reports.suppression import TOTAL
from cases.core.labels import CLOSE_REASON_LABELS, CLOSE_REASONS, RISK_LABELS
from cases.core.models import Case, CaseStatus, RiskLevel
from cases.core.reports import counted_cases, labels_of
from cases.plans.models import PlanStatus, SafetyPlanVersion
from cases.referrals.models import REFERRAL_STATUSES
from cases.referrals.reports import referral_counts
from cases.risk.models import RiskAssessment

SECTION_KEY = "kpis"
# Case.close_reason of an erased (crypto-shredded) file (``cases.retention.services.ERASED``). An erased case keeps
# its month and categories, not its days (``strip_quasi_identifiers``): every KPI table counts it in a row of its own.
ERASED = "erased"
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
TABLE_ROWS = {"kpi-first-assessment": len(FIRST_ASSESSMENT_BOUNDS) + 3, "kpi-high-risk-plans": 5,
              "kpi-referrals": len(REFERRAL_ENDS), "kpi-days-open": len(DAYS_OPEN_BOUNDS) + 2,
              "kpi-closure-reasons": len(CLOSE_REASONS) + 1}
# The erased row: the last of each table that describes cases (the referrals are counted whoever's they are).
ERASED_ROW = {key: n - 1 for key, n in TABLE_ROWS.items() if key != "kpi-referrals"}

Tally = dict[str, dict[int, list[int]]]  # table key -> centre id -> count per row


def _in(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    """The cases applied for in the period: the applications of the intake tables (``cases.intake.reports``), erased
    ones included. SECURITY: leaving the erased out made this population smaller than the applications by exactly
    the number of files erased, which a reader of both tables subtracted back, unprotected."""
    return [scanned(Case.centre_id).in_(list(centre_ids)), Case.applied_on >= period.start,
            Case.applied_on < period.end, counted_cases()]


def _closed(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    """The cases closed in the period with a known reason or erased: both closure tables count exactly these, so
    their totals are the same figure (``population="kpi-closed"``)."""
    start, end = period.bounds_utc()
    return [Case.centre_id.in_(list(centre_ids)), Case.status == CaseStatus.CLOSED, Case.closed_at >= start,
            Case.closed_at < end, Case.close_reason.in_([*CLOSE_REASONS, ERASED]), counted_cases()]


def _erased_or(key: str, row: sa.ColumnElement[Any]) -> sa.Case[Any]:
    """``row``, or the table's erased row for an erased case (its days, coarsened to the month, mean nothing)."""
    return sa.case((Case.close_reason == ERASED, ERASED_ROW[key]), else_=row)


def _gather(centre_ids: Sequence[int], period: Period) -> Tally:
    """The count in each row of each KPI table, per centre: three reads for all the centres of a release, and the
    referrals section's counts of the referrals sent (``referral_counts``: its read, once per release); the
    tables of any subset of them are then sums (``GroupedSection``), in any language, without querying again.

    The database bands and counts (P6: a few dozen rows come back, not one per case). The two day-band tables need
    the local calendar day of a timestamp: at the zone's fixed offset when it has one over the period and the month
    after it (``app.reports.sql``; Europe/Istanbul always has), else by fetching the cases' rows and banding them
    here (a zone with daylight saving)."""
    ids = list(centre_ids)
    tally: Tally = {key: {} for key in TABLE_ROWS}
    # a day band's edge is at most 30 days after the application, which is inside the period or the month after it
    offset = fixed_offset(centre_zone(), period.start, period.end + timedelta(days=FIRST_ASSESSMENT_BOUNDS[-1] + 1))
    first = (sa.select(RiskAssessment.case_id, sa.func.min(RiskAssessment.assessed_at).label("at"))
             .group_by(RiskAssessment.case_id).subquery())
    if offset is not None:
        band = _erased_or("kpi-first-assessment", band_of(
            days_since(Case.applied_on, first.c.at, offset), FIRST_ASSESSMENT_BOUNDS,
            missing=len(FIRST_ASSESSMENT_BOUNDS) + 1)).label("band")
        rows: Iterable[Any] = db.session.execute(
            sa.select(Case.centre_id, band, sa.func.count()).outerjoin(first, first.c.case_id == Case.id)
            .where(*_in(ids, period)).group_by(scanned(Case.centre_id), band))
    else:
        zone = centre_zone()
        rows = [(c, ERASED_ROW["kpi-first-assessment"] if reason == ERASED
                 else _band(_days(applied_on, at, zone), FIRST_ASSESSMENT_BOUNDS), 1)
                for c, applied_on, at, reason in db.session.execute(
                    sa.select(Case.centre_id, Case.applied_on, first.c.at, Case.close_reason)
                    .outerjoin(first, first.c.case_id == Case.id).where(*_in(ids, period)))]
    _add(tally, "kpi-first-assessment", rows)
    _add(tally, "kpi-high-risk-plans", db.session.execute(_plan_rows(ids, period)))
    # the referrals sent in the period, by status: the referrals section's own counts (one read per release)
    ends = {key: i for i, key in enumerate(REFERRAL_ENDS)}
    _add(tally, "kpi-referrals", ((c, ends.get(status), n) for c, _institution, status, _outcome, n
                                  in referral_counts(ids, period)))
    closed = _closed(ids, period)
    if offset is not None:
        open_band = _erased_or("kpi-days-open", band_of(days_since(Case.applied_on, Case.closed_at, offset),
                                                        DAYS_OPEN_BOUNDS)).label("band")
        closures: Iterable[Any] = db.session.execute(
            sa.select(Case.centre_id, open_band, Case.close_reason, sa.func.count()).where(*closed)
            .group_by(Case.centre_id, open_band, Case.close_reason))
    else:
        zone = centre_zone()
        closures = [(c, ERASED_ROW["kpi-days-open"] if reason == ERASED
                     else min(_band(_days(applied_on, closed_at, zone), DAYS_OPEN_BOUNDS), len(DAYS_OPEN_BOUNDS)),
                     reason, 1) for c, applied_on, closed_at, reason in db.session.execute(
                         sa.select(Case.centre_id, Case.applied_on, Case.closed_at, Case.close_reason).where(*closed))]
    reasons = {key: i for i, key in enumerate(CLOSE_REASONS)} | {ERASED: ERASED_ROW["kpi-closure-reasons"]}
    for centre_id, open_row, reason, n in closures:
        _count(tally, "kpi-days-open", centre_id, open_row, n)
        if reason in reasons:
            _count(tally, "kpi-closure-reasons", centre_id, reasons[reason], n)
    return tally


def _count(tally: Tally, key: str, centre_id: int, row: int, n: int) -> None:
    tally[key].setdefault(centre_id, [0] * TABLE_ROWS[key])[row] += int(n)


def _add(tally: Tally, key: str, rows: Iterable[Any]) -> None:
    """(centre id, row, count) rows into the tally (a row of NULL is in no row of the table)."""
    for centre_id, row, n in rows:
        if row is not None:
            _count(tally, key, centre_id, int(row), n)


def _plan_rows(ids: Sequence[int], period: Period) -> sa.Select[Any]:
    """(centre id, row of the high-risk table, count) of the high-risk cases of the period. A case's row is decided
    by its first approved version that has both a submission and a review time (approved within
    ``APPROVAL_PROMPT_DAYS`` × 24 hours of submission, or later), else by any version submitted or returned, else
    "no plan submitted"; an erased case is in the erased row (its plan's times are coarsened to the month)."""
    approved = (SafetyPlanVersion.status == PlanStatus.APPROVED, SafetyPlanVersion.submitted_at.is_not(None),
                SafetyPlanVersion.reviewed_at.is_not(None))
    first = (sa.select(SafetyPlanVersion.case_id, sa.func.min(SafetyPlanVersion.version).label("version"))
             .where(*approved).group_by(SafetyPlanVersion.case_id).subquery())
    version = sa.orm.aliased(SafetyPlanVersion)
    pending = sa.exists().where(SafetyPlanVersion.case_id == Case.id,
                                SafetyPlanVersion.status.in_((PlanStatus.SUBMITTED, PlanStatus.RETURNED)))
    row = sa.case((Case.close_reason == ERASED, ERASED_ROW["kpi-high-risk-plans"]),
                  (version.id.is_(None), sa.case((pending, 2), else_=3)),
                  (within_hours(version.submitted_at, version.reviewed_at, 24 * APPROVAL_PROMPT_DAYS), 0),
                  else_=1).label("row")
    return (sa.select(Case.centre_id, row, sa.func.count())
            .outerjoin(first, first.c.case_id == Case.id)
            .outerjoin(version, sa.and_(version.case_id == first.c.case_id, version.version == first.c.version))
            .where(*_in(ids, period), Case.risk_level == RiskLevel.HIGH)
            .group_by(Case.centre_id, row))


def _table(tally: Tally, centre_ids: Sequence[int], key: str, title: str, row_header: str,
           rows: Sequence[str], same_as: Sequence[tuple[tuple[object, object], str, tuple[object, object]]] = (),
           population: str = "", note: str = "") -> Table:
    counts = [[0] for _row in rows]
    for centre_id in set(centre_ids):
        for i, n in enumerate(tally[key].get(centre_id, ())):
            counts[i][0] += n
    return Table(key=key, section=_("Casework indicators"), title=title, row_header=row_header,
                 row_labels=list(rows), col_labels=[_("Cases")], counts=counts, same_as=same_as,
                 population=population, note=note)


# SECURITY: the referrals by where they stand are the column totals (and the grand total) of the referrals section's
# table by institution and status (``cases.referrals.reports``: the same referrals, sent in the period, of counted
# cases); a release protects them as the same figures.
_SENT = [s for s in REFERRAL_STATUSES if s != "draft"]
REFERRALS_SAME_AS = (*(((i, 0), "referrals", (TOTAL, _SENT.index(status))) for i, status in enumerate(REFERRAL_ENDS)),
                     ((TOTAL, 0), "referrals", (TOTAL, TOTAL)))
# Likewise the high-risk cases are the "high" row of the intake's risk-level table, the cases of the first-assessment
# table are the applications of the period, and the two closure tables count the same closed cases (``population``).
# A link is made only where the two figures are equal: every table counts an erased case (in a row of its own), as
# the intake tables do, so they are.
HIGH_RISK_SAME_AS = (((TOTAL, 0), "risk-levels", (list(RISK_LABELS).index(RiskLevel.HIGH.value), 0)),)


def _build(tally: Tally, centre_ids: Sequence[int], period: Period) -> list[Table]:
    # Whoever asked for it (her KVKK request, a court, a duplicate, the end of retention): the file row keeps no more.
    erased = _("File erased (KVKK)")
    return [
        _table(tally, centre_ids, "kpi-first-assessment", _("Days from application to the first risk assessment"),
               _("Days"), [_("0–1"), _("2–7"), _("8–30"), _("More than 30"), _("Not assessed yet"), erased],
               population="applications",
               note=_("An erased file keeps only the month of its dates, not the day: it is counted in a row of its "
                      "own, so that every table counts all the cases of the period.")),
        _table(tally, centre_ids, "kpi-high-risk-plans", _("High-risk cases and their safety plan"),
               _("Safety plan"),
               [_("Approved within %(days)s days of submission", days=number(APPROVAL_PROMPT_DAYS)),
                _("Approved later"), _("Submitted or returned, not approved yet"), _("No plan submitted"), erased],
               same_as=HIGH_RISK_SAME_AS),
        _table(tally, centre_ids, "kpi-referrals", _("Referrals sent in the period, by where they stand"),
               _("Referral"), [_("Completed"), _("Accepted, in progress"), _("Sent, no answer yet"), _("Declined"),
                               _("Withdrawn")], same_as=REFERRALS_SAME_AS),
        _table(tally, centre_ids, "kpi-days-open", _("Cases closed in the period, by days from application to closure"),
               _("Days"), [_("Up to 30"), _("31–90"), _("91–180"), _("181–365"), _("More than 365"), erased],
               population="kpi-closed"),
        _table(tally, centre_ids, "kpi-closure-reasons", _("Cases closed in the period, by reason"), _("Reason"),
               [*labels_of(CLOSE_REASONS, CLOSE_REASON_LABELS), erased], population="kpi-closed"),
    ]


# The provider registered with ``app.reports`` (``cases.registry``) and read by the KPI page: four reads for every
# centre of a release, one of them the referrals section's (shared within a release: ``registry.read_once``).
kpi_tables = GroupedSection(_gather, _build)
