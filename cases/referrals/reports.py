"""The referrals section of the statistics (``app.reports``): referrals sent in the period by institution and
status, and their outcomes. Counts ``Referral.institution_type/status/outcome/sent_at`` with SQL ``GROUP BY``; a draft
never left the centre and is not counted."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table, read_once
from app.reports.sql import scanned
from cases.core.models import Case
from cases.core.reports import column_counts, counted_cases, labels_of
from cases.referrals.models import INSTITUTION_TYPES, REFERRAL_OUTCOMES, REFERRAL_STATUSES, Referral
from cases.referrals.services import INSTITUTION_LABELS, OUTCOME_LABELS
from cases.referrals.services import STATUS_LABELS as REFERRAL_STATUS_LABELS

SENT_STATUSES = tuple(s for s in REFERRAL_STATUSES if s != "draft")  # a draft never left the centre


def _read(period: Period) -> list[tuple[int, str, str, str | None, int]]:
    """(centre id, institution, status, outcome, count) of the referrals sent in the period, of every centre: one
    scan of the referrals (in table order, ``scanned``: a year's referrals are most of them, and walking the status
    or date index read each row at random) joined to their case."""
    start, end = period.bounds_utc()
    columns = (Case.centre_id, Referral.institution_type, Referral.status, Referral.outcome)
    sent_at = scanned(Referral.sent_at)
    return [tuple(r) for r in db.session.connection().execute(  # type: ignore[misc]
        sa.select(*columns, sa.func.count()).join(Case, Case.id == Referral.case_id)
        .where(sent_at.is_not(None), sent_at >= start, sent_at < end, scanned(Referral.status).in_(SENT_STATUSES),
               counted_cases())
        .group_by(*columns)).all()]


def referral_counts(centre_ids: Sequence[int], period: Period) -> list[tuple[int, str, str, str | None, int]]:
    """(centre id, institution, status, outcome, count) of the referrals of these centres sent in the period: the
    referrals tables and the KPI table of referrals by where they stand (``cases.kpis.reports``) count the same
    referrals, from one read per release (``registry.read_once``)."""
    wanted = set(centre_ids)
    return [row for row in read_once(("referrals", period), lambda: _read(period)) if row[0] in wanted]


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
sections = GroupedSection(referral_counts, _build)
