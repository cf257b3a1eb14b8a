"""The case sections of the Equality in Service statistics (``app.reports``): applications per month, channels,
age bands, violence types, children, risk levels, referrals and protective orders.

Counts plain categorical columns only (``Case.applied_on``, ``channel``, ``violence_types``, ``applicant_age_band``,
``children_count``, ``risk_level``; ``Referral.institution_type/status/outcome/sent_at``;
``ProtectiveOrder.kind/issuer/starts_on``) with SQL ``GROUP BY``: nothing is decrypted, no row leaves as a row.
A case belongs to the period of its application month. Unknown keys (old data) fall into the "not recorded" row, so
no unexpected text can reach a report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import Period, Table, month_index, month_label
from cases.labels import CHANNEL_LABELS, RISK_LABELS, VIOLENCE_TYPE_LABELS
from cases.models import Case
from cases.models.orders import ORDER_ISSUERS, ORDER_KINDS, ProtectiveOrder
from cases.models.referrals import INSTITUTION_TYPES, REFERRAL_OUTCOMES, REFERRAL_STATUSES, Referral
from cases.services.core import AGE_BANDS
from cases.services.orders import ISSUER_LABELS, KIND_LABELS
from cases.services.referrals import INSTITUTION_LABELS, OUTCOME_LABELS
from cases.services.referrals import STATUS_LABELS as REFERRAL_STATUS_LABELS

SENT_STATUSES = tuple(s for s in REFERRAL_STATUSES if s != "draft")  # a draft never left the centre
CHILDREN_BANDS = ("0", "1", "2", "3+")


def _case_filter(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    return [Case.centre_id.in_(list(centre_ids)), Case.applied_on >= period.start, Case.applied_on < period.end]


def _column(rows: Iterable[tuple[Any, int]], keys: Sequence[str], unknown: bool = True) -> list[list[int]]:
    """One count per key (in order) from (key, count) rows; other keys and NULL go to a last "not recorded" row."""
    index = {key: i for i, key in enumerate(keys)}
    counts = [0] * (len(keys) + (1 if unknown else 0))
    for key, n in rows:
        i = index.get(str(key) if key is not None else "")
        if i is None:
            if not unknown:
                continue
            i = len(keys)
        counts[i] += int(n)
    return [[n] for n in counts]


def _labels(keys: Sequence[str], labels: Mapping[str, object], unknown: str | None = None) -> list[str]:
    out = [str(labels.get(key, key)) for key in keys]
    return [*out, unknown] if unknown is not None else out


def _months_and_violence(centre_ids: Sequence[int], period: Period) -> list[tuple[int, int, Any, int]]:
    """(year, month, violence types as stored JSON text, count): applications per month and violence types from
    ONE scan. Grouping by the JSON text (a few dozen combinations) and counting each type here works the same on
    SQLite and PostgreSQL, and no per-case row is fetched."""
    year, month = sa.extract("year", Case.applied_on), sa.extract("month", Case.applied_on)
    as_text = sa.cast(Case.violence_types, sa.Text)
    return [(int(y), int(m), text, int(n)) for y, m, text, n in db.session.execute(
        sa.select(year, month, as_text, sa.func.count()).where(*_case_filter(centre_ids, period))
        .group_by(year, month, as_text)).all()]


def applications_per_month(rows: list[tuple[int, int, Any, int]], period: Period) -> Table:
    index = month_index(period)
    counts = [[0] for _ in index]
    for y, m, _text, n in rows:
        counts[index[(y, m)]][0] += n
    return Table(key="applications-month", section=_("Applications"), title=_("Applications per month"),
                 row_header=_("Month"), row_labels=[month_label(m) for m in period.months],
                 col_labels=[_("Applications")], counts=counts, chart=("count", 0), population="applications")


_CHILDREN_BAND = sa.case((Case.children_count >= 3, "3+"), else_=sa.cast(Case.children_count, sa.String))


def _profile(centre_ids: Sequence[int], period: Period) -> dict[str, Counter[Any]]:
    """Channel, age band, risk level and children counted in ONE scan: a GROUP BY over the four columns (at most a
    thousand or so combinations), summed up per column here. One pass over the cases instead of four (P6)."""
    columns = (Case.channel, Case.applicant_age_band, Case.risk_level, _CHILDREN_BAND)
    rows = db.session.execute(
        sa.select(*columns, sa.func.count()).where(*_case_filter(centre_ids, period)).group_by(*columns)).all()
    out: dict[str, Counter[Any]] = {name: Counter() for name in ("channel", "age", "risk", "children")}
    for channel, age, risk, kids, n in rows:
        out["channel"][channel] += n
        out["age"][age] += n
        out["risk"][str(risk) if risk is not None else None] += n
        out["children"][kids] += n
    return out


def channels(profile: dict[str, Counter[Any]]) -> Table:
    keys = list(CHANNEL_LABELS)
    return Table(key="channels", section=_("Applications"), title=_("How women came to the centre"),
                 row_header=_("Channel"), row_labels=_labels(keys, CHANNEL_LABELS, _("Not recorded")),
                 col_labels=[_("Applications")], counts=_column(profile["channel"].items(), keys),
                 population="applications")


def age_bands(profile: dict[str, Counter[Any]]) -> Table:
    keys = [band for _low, _high, band in AGE_BANDS]
    return Table(key="age-bands", section=_("Applications"), title=_("Age of applicants"),
                 row_header=_("Age band"), row_labels=_labels(keys, {}, _("Not recorded")),
                 col_labels=[_("Applications")], counts=_column(profile["age"].items(), keys),
                 population="applications")


def violence_types(rows: list[tuple[int, int, Any, int]]) -> Table:
    keys = list(VIOLENCE_TYPE_LABELS)
    tally: Counter[str] = Counter()
    for _y, _m, text, n in rows:
        try:
            kinds = json.loads(text) if text else []
        except ValueError:
            kinds = []
        for kind in set(kinds if isinstance(kinds, list) else []):
            if kind in VIOLENCE_TYPE_LABELS:
                tally[kind] += n
    return Table(key="violence-types", section=_("Applications"), title=_("Types of violence reported"),
                 row_header=_("Type of violence"), row_labels=_labels(keys, VIOLENCE_TYPE_LABELS),
                 col_labels=[_("Applications")], counts=[[tally[k]] for k in keys], col_totals=False,
                 note=_("A woman may report several types of violence, so the rows do not add up to the number "
                        "of applications."))


def children(profile: dict[str, Counter[Any]]) -> Table:
    return Table(key="children", section=_("Applications"), title=_("Applications by number of children"),
                 row_header=_("Children"), row_labels=list(CHILDREN_BANDS), col_labels=[_("Applications")],
                 counts=_column(profile["children"].items(), CHILDREN_BANDS, unknown=False),
                 population="applications")


def risk_levels(profile: dict[str, Counter[Any]]) -> Table:
    # Case.risk_level is the level of the latest assessment (raised on professional judgement where recorded).
    keys = list(RISK_LABELS)
    return Table(key="risk-levels", section=_("Applications"), title=_("Risk level (latest assessment)"),
                 row_header=_("Risk level"), row_labels=_labels(keys, RISK_LABELS, _("Not assessed")),
                 col_labels=[_("Applications")], counts=_column(profile["risk"].items(), keys),
                 population="applications")


def _referral_filter(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    start, end = period.bounds_utc()
    return [Case.centre_id.in_(list(centre_ids)), Referral.sent_at.is_not(None), Referral.sent_at >= start,
            Referral.sent_at < end, Referral.status.in_(SENT_STATUSES)]


def _referral_counts(centre_ids: Sequence[int], period: Period) -> list[tuple[str, str, str | None, int]]:
    """(institution, status, outcome, count) of the referrals sent in the period: one scan for both tables."""
    columns = (Referral.institution_type, Referral.status, Referral.outcome)
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
                 row_header=_("Institution"), row_labels=_labels(institutions, INSTITUTION_LABELS),
                 col_labels=_labels(SENT_STATUSES, REFERRAL_STATUS_LABELS), counts=counts, row_totals=True,
                 population="referrals")


def referral_outcomes(rows: list[tuple[str, str, str | None, int]]) -> Table:
    keys = list(REFERRAL_OUTCOMES)
    return Table(key="referral-outcomes", section=_("Referrals"), title=_("Outcome of referrals sent"),
                 row_header=_("Outcome"), row_labels=_labels(keys, OUTCOME_LABELS, _("No outcome recorded yet")),
                 col_labels=[_("Referrals")], counts=_column([(o, n) for _i, _s, o, n in rows], keys),
                 population="referrals")


def protective_orders(centre_ids: Sequence[int], period: Period) -> Table:
    rows = db.session.execute(
        sa.select(ProtectiveOrder.issuer, ProtectiveOrder.kind, sa.func.count())
        .join(Case, Case.id == ProtectiveOrder.case_id)
        .where(Case.centre_id.in_(list(centre_ids)), ProtectiveOrder.starts_on >= period.start,
               ProtectiveOrder.starts_on < period.end)
        .group_by(ProtectiveOrder.issuer, ProtectiveOrder.kind)).all()
    row_of = {key: i for i, key in enumerate(ORDER_ISSUERS)}
    col_of = {key: j for j, key in enumerate(ORDER_KINDS)}
    counts = [[0] * len(ORDER_KINDS) for _ in ORDER_ISSUERS]
    for issuer, kind, n in rows:
        if issuer in row_of and kind in col_of:
            counts[row_of[issuer]][col_of[kind]] += int(n)
    return Table(key="protective-orders", section=_("Protective orders"),
                 title=_("Protective orders (6284) starting in the period, by issuer and kind"),
                 row_header=_("Issued by"), row_labels=_labels(ORDER_ISSUERS, ISSUER_LABELS),
                 col_labels=_labels(ORDER_KINDS, KIND_LABELS), counts=counts, row_totals=True)


def applications_by_centre(period: Period) -> dict[int, int]:
    """centre id -> applications in the period: the population counter registered with ``app.reports`` (a release
    shows a centre alone only when this is large enough)."""
    return {int(c): int(n) for c, n in db.session.execute(
        sa.select(Case.centre_id, sa.func.count()).where(Case.applied_on >= period.start,
                                                         Case.applied_on < period.end)
        .group_by(Case.centre_id)).all()}


def sections(centre_ids: Sequence[int], period: Period) -> list[Table]:
    """The provider registered with ``app.reports`` (cases/views/reports_registration.py)."""
    months = _months_and_violence(centre_ids, period)
    profile = _profile(centre_ids, period)
    referrals = _referral_counts(centre_ids, period)
    return [
        applications_per_month(months, period),
        channels(profile),
        age_bands(profile),
        violence_types(months),
        children(profile),
        risk_levels(profile),
        referrals_by_institution(referrals),
        referral_outcomes(referrals),
        protective_orders(centre_ids, period),
    ]
