"""The applications section of the Equality in Service statistics (``app.reports``): applications per month,
channels, age bands, violence types, children and risk levels.

Counts plain categorical columns only (``Case.applied_on``, ``channel``, ``violence_types``, ``applicant_age_band``,
``children_count``, ``risk_level``) with SQL ``GROUP BY``: nothing is decrypted, no row leaves as a row. A case
belongs to the period of its application month. Unknown keys (old data) fall into the "not recorded" row, so no
unexpected text can reach a report (``cases.core.reports``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import Period, Table, month_index, month_label
from cases.core.labels import CHANNEL_LABELS, RISK_LABELS, VIOLENCE_TYPE_LABELS
from cases.core.models import Case
from cases.core.reports import column_counts, labels_of
from cases.core.services import AGE_BANDS

CHILDREN_BANDS = ("0", "1", "2", "3+")


def _case_filter(centre_ids: Sequence[int], period: Period) -> list[sa.ColumnElement[bool]]:
    return [Case.centre_id.in_(list(centre_ids)), Case.applied_on >= period.start, Case.applied_on < period.end]


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
                 row_header=_("Channel"), row_labels=labels_of(keys, CHANNEL_LABELS, _("Not recorded")),
                 col_labels=[_("Applications")], counts=column_counts(profile["channel"].items(), keys),
                 population="applications")


def age_bands(profile: dict[str, Counter[Any]]) -> Table:
    keys = [band for _low, _high, band in AGE_BANDS]
    return Table(key="age-bands", section=_("Applications"), title=_("Age of applicants"),
                 row_header=_("Age band"), row_labels=labels_of(keys, {}, _("Not recorded")),
                 col_labels=[_("Applications")], counts=column_counts(profile["age"].items(), keys),
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
                 row_header=_("Type of violence"), row_labels=labels_of(keys, VIOLENCE_TYPE_LABELS),
                 col_labels=[_("Applications")], counts=[[tally[k]] for k in keys], col_totals=False,
                 note=_("A woman may report several types of violence, so the rows do not add up to the number "
                        "of applications."))


def children(profile: dict[str, Counter[Any]]) -> Table:
    return Table(key="children", section=_("Applications"), title=_("Applications by number of children"),
                 row_header=_("Children"), row_labels=list(CHILDREN_BANDS), col_labels=[_("Applications")],
                 counts=column_counts(profile["children"].items(), CHILDREN_BANDS, unknown=False),
                 population="applications")


def risk_levels(profile: dict[str, Counter[Any]]) -> Table:
    # Case.risk_level is the level of the latest assessment (raised on professional judgement where recorded).
    keys = list(RISK_LABELS)
    return Table(key="risk-levels", section=_("Applications"), title=_("Risk level (latest assessment)"),
                 row_header=_("Risk level"), row_labels=labels_of(keys, RISK_LABELS, _("Not assessed")),
                 col_labels=[_("Applications")], counts=column_counts(profile["risk"].items(), keys),
                 population="applications")


def applications_by_centre(period: Period) -> dict[int, int]:
    """centre id -> applications in the period: the population counter registered with ``app.reports`` (a release
    shows a centre alone only when this is large enough)."""
    return {int(c): int(n) for c, n in db.session.execute(
        sa.select(Case.centre_id, sa.func.count()).where(Case.applied_on >= period.start,
                                                         Case.applied_on < period.end)
        .group_by(Case.centre_id)).all()}


def sections(centre_ids: Sequence[int], period: Period) -> list[Table]:
    """The provider registered with ``app.reports`` (``cases.registry``)."""
    months = _months_and_violence(centre_ids, period)
    profile = _profile(centre_ids, period)
    return [
        applications_per_month(months, period),
        channels(profile),
        age_bands(profile),
        violence_types(months),
        children(profile),
        risk_levels(profile),
    ]
