"""The referrals section of the statistics (``app.reports``): referrals sent in the period by institution and
status, and their outcomes. Counts ``Referral.institution_type/status/outcome/sent_at`` with SQL ``GROUP BY``; a draft
never left the centre and is not counted."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table
from cases.core.models import Case
from cases.core.reports import column_counts, counted_cases, labels_of
from cases.referrals.models import INSTITUTION_TYPES, REFERRAL_OUTCOMES, REFERRAL_STATUSES, Referral
from cases.referrals.services import INSTITUTION_LABELS, OUTCOME_LABELS
from cases.referrals.services import STATUS_LABELS as REFERRAL_STATUS_LABELS

SENT_STATUSES = tuple(s for s in REFERRAL_STATUSES if s != "draft")  # a draft never left the centre


def _referral_filter(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    start, end = period.bounds_utc()
    return [Case.centre_id.in_(list(centre_ids)), Referral.sent_at.is_not(None), Referral.sent_at >= start,
            Referral.sent_at < end, Referral.status.in_(SENT_STATUSES), counted_cases()]


def _referral_counts(centre_ids: Sequence[int], period: Period) -> list[tuple[int, str, str, str | None, int]]:
    """(centre id, institution, status, outcome, count) of the referrals sent in the period: one scan for both
    tables and every centre."""
    columns = (Case.centre_id, Referral.institution_type, Referral.status, Referral.outcome)
    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        sa.select(*columns, sa.func.count()).join(Case, Case.id == Referral.case_id)
        .where(*_referral_filter(centre_ids, period)).group_by(*columns)).all()]


def referrals_by_institution(rows: list[tuple[str, str, str | None, int]]) -> Table:
    institutions = list(INSTITUTION_TYPES)
    row_of = {key: i for i, key in enumerate(institutions)}
    col_of = {key: j for j, key in enumerate(SENT_STATUSES)}
    counts = [[0] * len(SENT_STATUSES) for _ in institutions]
    for institution, status, _outcome, n in rows:
        counts[row_of.get(institution, row_of["other"])][col_of[status]] += int(n)
    return Table(key="referrals", section=_("Referrals"), title=_("Referrals sent, by institution and status"),
                 row_header=_("Institution"), row_labels=labels_of(institutions, INSTITUTION_LABELS),
                 col_labels=labels_of(SENT_STATUSES, REFERRAL_STATUS_LABELS), counts=counts, row_totals=True,
                 population="referrals")


def referral_outcomes(rows: list[tuple[str, str, str | None, int]]) -> Table:
    keys = list(REFERRAL_OUTCOMES)
    return Table(key="referral-outcomes", section=_("Referrals"), title=_("Outcome of referrals sent"),
                 row_header=_("Outcome"), row_labels=labels_of(keys, OUTCOME_LABELS, _("No outcome recorded yet")),
                 col_labels=[_("Referrals")], counts=column_counts([(o, n) for _i, _s, o, n in rows], keys),
                 population="referrals")


def _build(gathered: list[tuple[int, str, str, str | None, int]], centre_ids: Sequence[int],
           period: Period) -> list[Table]:
    wanted = set(centre_ids)
    referrals = [(i, s, o, n) for c, i, s, o, n in gathered if c in wanted]
    return [referrals_by_institution(referrals), referral_outcomes(referrals)]


# The provider registered with ``app.reports`` (``cases.registry``): one read for every centre of a release.
sections = GroupedSection(_referral_counts, _build)
