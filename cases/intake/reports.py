"""The applications section of the Equality in Service statistics (``app.reports``): applications per month,
channels, age bands, violence types, children and risk levels.

Counts plain categorical columns only (``Case.applied_on``, ``channel``, ``violence_types``, ``applicant_age_band``,
``children_count``, ``risk_level``) with SQL ``GROUP BY``: nothing is decrypted, no row leaves as a row. A case
belongs to the period of its application month. Unknown keys (old data) fall into the "not recorded" row, so no
unexpected text can reach a report (``cases.core.reports``).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.db import db
from app.reports.registry import GroupedSection, Period, Table, month_index, month_label, read_once
from app.reports.sql import month_of, parse_month, scanned
from cases.core.labels import CHANNEL_LABELS, RISK_LABELS, VIOLENCE_TYPE_LABELS
from cases.core.models import Case, RiskLevel
from cases.core.reports import column_counts, counted_cases, labels_of
from cases.core.services import AGE_BANDS

CHILDREN_BANDS = ("0", "1", "2", "3+")


def _profile_columns() -> list[tuple[str, object, sa.ColumnElement[bool]]]:
    """(profile column, key, condition) for every counted key of the channel, age band, risk and children tables."""
    out: list[tuple[str, object, sa.ColumnElement[bool]]] = []
    out += [("channel", key, Case.channel == key) for key in CHANNEL_LABELS]
    out += [("age", band, Case.applicant_age_band == band) for _low, _high, band in AGE_BANDS]
    out += [("risk", key, Case.risk_level == RiskLevel(key)) for key in RISK_LABELS]
    out += [("children", band, Case.children_count == int(band)) for band in CHILDREN_BANDS[:-1]]
    out.append(("children", CHILDREN_BANDS[-1], Case.children_count >= 3))
    return out


Gathered = dict[int, tuple[Counter[tuple[int, int]], Counter[str], list[int]]]


def _read(period: Period) -> Gathered:
    """Every applications table of every centre from ONE scan of the cases (P6), per centre: its applications per
    (year, month), per violence type, and its number of applications followed by the count of each profile key
    (``_profile_columns``). The database groups by the month and the violence types' stored JSON text (a few dozen
    combinations; each type is counted here, which works the same on SQLite and PostgreSQL); the channel, age band,
    risk and children are conditional counts (``COUNT(*) FILTER (WHERE …)``, both databases) rather than more GROUP
    BY columns, which would multiply the groups. No per-case row is fetched.

    All centres at once, in table order (``scanned``): a release asks for every centre, and the same read gives the
    population counter its applications per centre (``registry.read_once``). The groups are summed per centre here,
    once, so that each published unit's tables add up a few centres rather than every group again."""
    month, as_text = month_of(Case.applied_on), sa.cast(Case.violence_types, sa.Text)
    centre = scanned(Case.centre_id)
    counts = [sa.func.count().filter(condition) for _column, _key, condition in _profile_columns()]
    months: dict[int, Counter[tuple[int, int]]] = {}
    kinds: dict[int, Counter[str]] = {}
    groups: dict[int, list[list[int]]] = {}
    for c, key, text, *tally in db.session.connection().execute(
            sa.select(centre, month, as_text, sa.func.count(), *counts)
            .where(Case.applied_on >= period.start, Case.applied_on < period.end, counted_cases())
            .group_by(centre, month, as_text)):
        if c not in groups:
            months[c], kinds[c], groups[c] = Counter(), Counter(), []
        n = tally[0]
        months[c][_month(key)] += n
        for kind in _kinds(text):
            kinds[c][kind] += n
        groups[c].append(tally)
    # per centre, the sum of each count column over its groups (``zip``: one pass in C, not one per figure)
    return {c: (months[c], kinds[c], [int(sum(column)) for column in zip(*rows, strict=True)])
            for c, rows in groups.items()}


@functools.lru_cache(maxsize=256)
def _month(key: str) -> tuple[int, int]:
    return parse_month(key)


def _applications(centre_ids: Sequence[int], period: Period) -> Gathered:
    """The applications counts of these centres (``_read``, once per release)."""
    gathered: Gathered = read_once(("applications", period), lambda: _read(period))
    wanted = set(centre_ids)
    return {c: counts for c, counts in gathered.items() if c in wanted}


def _sum(counters: Iterable[Counter[Any]]) -> Counter[Any]:
    total: Counter[Any] = Counter()
    for counter in counters:
        total.update(counter)
    return total


def applications_per_month(months: Counter[tuple[int, int]], period: Period) -> Table:
    index = month_index(period)
    counts = [[0] for _ in index]
    for (y, m), n in months.items():
        counts[index[(y, m)]][0] += n
    return Table(key="applications-month", section=_("Applications"), title=_("Applications per month"),
                 row_header=_("Month"), row_labels=[month_label(m) for m in period.months],
                 col_labels=[_("Applications")], counts=counts, chart=("count", 0), population="applications")


def _profile(gathered: Gathered, centre_ids: Sequence[int]) -> dict[str, Counter[Any]]:
    """The applications of these centres counted per profile column and key; those in no counted key of a column
    (not recorded, an old key) under ``None``, the "not recorded" row of its table (children: not counted)."""
    total, by_key = 0, [0] * len(_profile_columns())
    for centre_id in set(centre_ids):
        if centre_id in gathered:
            profile = gathered[centre_id][2]
            total += profile[0]
            by_key = [a + b for a, b in zip(by_key, profile[1:], strict=True)]
    out: dict[str, Counter[Any]] = {name: Counter() for name in ("channel", "age", "risk", "children")}
    for (column, key, _condition), n in zip(_profile_columns(), by_key, strict=True):
        out[column][key] += n
    for column in ("channel", "age", "risk"):
        out[column][None] = total - sum(out[column].values())
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


@functools.lru_cache(maxsize=4096)
def _kinds(text: Any) -> frozenset[str]:
    """The known violence types in one stored JSON text (parsed once per distinct text: a few hundred at most)."""
    try:
        kinds = json.loads(text) if text else []
    except (TypeError, ValueError):
        kinds = []
    return frozenset(k for k in (kinds if isinstance(kinds, list) else []) if k in VIOLENCE_TYPE_LABELS)


def violence_types(tally: Counter[str]) -> Table:
    keys = list(VIOLENCE_TYPE_LABELS)
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
    shows a centre alone only when this is large enough). Within a release, the applications tables' own read."""
    gathered: Gathered = read_once(("applications", period), lambda: _read(period))
    return {int(c): int(profile[0]) for c, (_months, _types, profile) in gathered.items()}


def _build(gathered: Gathered, centre_ids: Sequence[int], period: Period) -> list[Table]:
    mine = [gathered[c] for c in set(centre_ids) if c in gathered]
    months, kinds = _sum(m for m, _k, _p in mine), _sum(k for _m, k, _p in mine)
    profile = _profile(gathered, centre_ids)
    return [
        applications_per_month(months, period),
        channels(profile),
        age_bands(profile),
        violence_types(kinds),
        children(profile),
        risk_levels(profile),
    ]


# The provider registered with ``app.reports`` (``cases.registry``): one read for every centre of a release.
sections = GroupedSection(_applications, _build)
