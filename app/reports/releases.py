"""Statistics releases: what the statistics promise, and how a release keeps the promise (DESIGN.md §3.11).

**Promise.** Figures are published for *closed calendar years* only, never for an arbitrary range, a month on its
own or a year that has not ended. A year's figures are computed once, by an admin's deliberate action, suppressed
and stored as a *release* (who, when, which data cut); every later page, CSV and printout of that year serves the
stored text, so the figures do not move when cases are corrected later. No figure below k (``STATS_MIN_CELL``, at
least 5) can be read or worked out to within ±1 from everything published for that year: all its tables, all
centres and every group of centres, every release and revision of it.

**Populations.** A centre with fewer than ``STATS_MIN_POPULATION`` applications in the year (at least 20; a lower
setting is ignored) is never shown alone: small centres are pooled into one group, and when the pool is itself too
small the smallest large centre joins it. "All centres" is published beside the centres and groups, and the figure
for all centres is protected *together* with the same figure of every centre (``all = sum of the units``), so no
"all minus the others" subtraction gives back a hidden count. A supervisor sees the unit her centre is in.

**Suppression.** ``app.reports.suppression.protect`` runs once over every figure of the release and every relation
a reader knows (table totals, the population total printed in several tables, all = sum of units). Zero and 1..k-1
alike print ``<k``.

**Revisions.** Corrections reach the published figures only through a new revision, issued the same way. It keeps
the first release's grouping of centres (a new centre joins the smallest unit) and is checked against *every*
earlier release of the year: for each figure published in both, the reader's interval for the change is worked out
from both releases; if a change of 1..k-1 could be pinned to within ±1 (the before/after attack: one woman added
moves exactly her rows), that whole table is withheld from the revision — the earlier figures stand for it and the
page says so. A unit that fell below the population threshold makes the revision refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app import audit
from app.db import db, utcnow
from app.numbers import number
from app.reports.models import StatisticsRelease
from app.reports.registry import Period, Table, one_read_each, population_counts, tables_for_units
from app.reports.suppression import (
    TOTAL,
    Bounds,
    Line,
    Mark,
    attacker_bounds,
    display,
    protect,
    reader_bounds,
    table_figures,
)
from app.users.models import Centre

MIN_CELL = 5
MIN_POPULATION = 20
ALL = "all"
GROUP = "group"
DISTINCT = "distinct"  # a stored line's third element: its total counts distinct people (``Line.distinct``)
_MARK_CODE = {Mark.SHOWN: "s", Mark.PRIMARY: "p", Mark.SECONDARY: "x"}
_CODE_MARK = {v: k for k, v in _MARK_CODE.items()}


class ReleaseRefused(Exception):
    """A release or revision that cannot be issued (the message says why, in the reader's language)."""


def min_cell() -> int:
    """k: configurable upward only."""
    return max(MIN_CELL, int(current_app.config.get("STATS_MIN_CELL", MIN_CELL)))


def min_population() -> int:
    """The smallest number of applications a published unit describes: configurable upward only."""
    return max(MIN_POPULATION, int(current_app.config.get("STATS_MIN_POPULATION", MIN_POPULATION)))


def current_year() -> int:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))
    return datetime.now(zone).year


def releases_of(year: int) -> list[StatisticsRelease]:
    return list(db.session.scalars(sa.select(StatisticsRelease).where(StatisticsRelease.year == year)
                                   .order_by(StatisticsRelease.revision)))


def published_years() -> list[int]:
    return list(db.session.scalars(sa.select(StatisticsRelease.year).distinct()
                                   .order_by(StatisticsRelease.year.desc())))


# -- units: which centres are shown together ---------------------------------------------------------------------


@dataclass(frozen=True)
class Centred:
    public_id: str
    name: str
    id: int
    applications: int


def partition(centres: Sequence[Centred], threshold: int) -> list[list[Centred]]:
    """Centres with at least ``threshold`` applications alone; the others pooled, with the smallest large centres
    added while the pool is below the threshold. Refused when all centres together are below it."""
    if sum(c.applications for c in centres) < threshold:
        raise ReleaseRefused(_("Fewer than %(n)s applications in the year across all centres: nothing can be "
                               "published without risking that someone is recognised.", n=number(threshold)))
    large = sorted((c for c in centres if c.applications >= threshold), key=lambda c: (c.applications, c.name))
    pool = [c for c in centres if c.applications < threshold]
    while pool and sum(c.applications for c in pool) < threshold:
        pool.append(large.pop(0))
    return [[c] for c in large] + ([pool] if pool else [])


def _unit_key(members: Sequence[Centred]) -> str:
    return members[0].public_id if len(members) == 1 else GROUP


# -- building a release ------------------------------------------------------------------------------------------


def _fkey(unit: str, table: str, r: object, c: object) -> str:
    return f"{unit}|{table}|{r}|{c}"


def _population_figure(t: Table) -> tuple[object, object] | None:
    if not t.population or not t.col_totals:
        return None
    if t.row_totals:
        return (TOTAL, TOTAL)
    return (TOTAL, 0) if len(t.col_labels) == 1 else None


def _labels(tables: Sequence[Table]) -> dict[str, dict[str, Any]]:
    out = {}
    for t in tables:
        header = [t.row_header, *t.col_labels]
        if t.row_totals:
            header.append(_("Total"))
        header += [d.label for d in t.derived]
        out[t.key] = {"section": t.section, "title": t.title, "header": header, "rows": list(t.row_labels),
                      "total": _("Total"), "note": t.note}
    return out


def _stored_table(t: Table, unit: str, values: dict[str, int], marks: dict[str, Mark], k: int) -> dict[str, Any]:
    m = len(t.col_labels)

    def cell(r: object, c: object) -> list[Any]:
        key = _fkey(unit, t.key, r, c)
        mark = marks[key]
        return [display(values[key], mark, k), _MARK_CODE[mark], values[key] if mark is Mark.SHOWN else None]

    def derived_cell(value: float | None, fmt: str, basis_shown: bool) -> list[Any]:
        if not basis_shown:
            return ["x", "x", None]
        if value is None:
            return ["–", "s", None]
        return [fmt.format(value), "s", value]

    columns: list[object] = [*range(m), *([TOTAL] if t.row_totals else [])]
    rows, shown_rows = [], {i: True for i in range(len(t.derived))}
    for i in range(len(t.row_labels)):
        cells = [cell(i, c) for c in columns]
        for d_index, d in enumerate(t.derived):
            ok = d.basis is None or marks[_fkey(unit, t.key, i, d.basis)] is Mark.SHOWN
            shown_rows[d_index] = shown_rows[d_index] and ok
            cells.append(derived_cell(d.values[i], d.fmt, ok))
        rows.append(cells)
    total = None
    if t.col_totals:
        total = [cell(TOTAL, c) for c in columns]
        for d_index, d in enumerate(t.derived):
            # SECURITY: a derived total next to a hidden row would give that row back (total minus the others).
            ok = d.basis is None or (marks[_fkey(unit, t.key, TOTAL, d.basis)] is Mark.SHOWN and shown_rows[d_index])
            total.append(derived_cell(d.total, d.fmt, ok))
    return {"rows": rows, "total": total, "chart": list(t.chart) if t.chart else None, "chart_unit": t.chart_unit,
            "count_columns": len(columns)}


def _figures(units: list[tuple[str, dict[str, Table]]], shapes: dict[str, Table]) -> tuple[
        dict[str, int], list[Line], set[str]]:
    """Every figure of the release, the relations a reader knows between them, and the known zeros."""
    values: dict[str, int] = {}
    lines: list[Line] = []
    fixed: set[str] = set()
    for unit, tables in units:
        by_population: dict[str, list[str]] = {}
        for key, shape in shapes.items():
            t = tables.get(key)
            counts = t.counts if t is not None else [[0] * len(shape.col_labels) for _ in shape.row_labels]
            totals = t.totals if t is not None else [0] * len(shape.col_labels)
            vals, ls = table_figures(counts, row_totals=shape.row_totals, col_totals=shape.col_totals,
                                     totals_add_up=shape.totals_add_up, totals=totals)
            for (r, c), v in vals.items():
                values[_fkey(unit, key, r, c)] = v
                if t is None:
                    fixed.add(_fkey(unit, key, r, c))
            lines += [Line(tuple(_fkey(unit, key, r, c) for r, c in line.cells), _fkey(unit, key, *line.total),
                           line.distinct) for line in ls]
            pop = _population_figure(shape)
            if pop is not None and t is not None:
                by_population.setdefault(shape.population, []).append(_fkey(unit, key, *pop))
        for keys in by_population.values():  # the same population total printed in several tables
            lines += [Line((other,), keys[0]) for other in keys[1:] if values[other] == values[keys[0]]]
        for key, shape in shapes.items():  # the same figure printed in two tables (``Table.same_as``)
            for (r, c), table, (table_r, table_c) in shape.same_as:
                mine, theirs = _fkey(unit, key, r, c), _fkey(unit, table, table_r, table_c)
                if mine in values and theirs in values and values[mine] == values[theirs]:
                    lines.append(Line((mine,), theirs))
    parts = [u for u, _t in units if u != ALL]
    for key in [k for k in values if k.startswith(ALL + "|")]:
        rest = key[len(ALL):]
        members = [u + rest for u in parts]
        if sum(values[m] for m in members) == values[key]:  # all centres = sum of the units
            lines.append(Line(tuple(members), key))
        else:  # distinct people, some in several units: at least the largest unit's, at most their sum
            lines.append(Line(tuple(members), key, distinct=True))
    return values, lines, fixed


def release_bounds(content: dict[str, Any]) -> dict[str, Bounds]:
    """What a reader of a stored release can work out about each of its figures."""
    k = int(content["k"])
    known = {key: reader_bounds(v if v is not None else 0, _CODE_MARK[code], k)
             for key, (code, v) in content["figures"].items()}
    lines = [Line(tuple(line[0]), line[1], len(line) > 2 and line[2] == DISTINCT) for line in content["lines"]]
    return attacker_bounds(known, lines)


def _change_exposed(new: Bounds, old: Bounds, k: int) -> bool:
    low, high = new[0] - old[1], new[1] - old[0]
    if high - low > 2:
        return False
    return any(1 <= abs(v) <= k - 1 for v in range(int(low), int(high) + 1))


def build_content(year: int, earlier: Sequence[StatisticsRelease]) -> dict[str, Any]:
    with one_read_each():  # the population counter and the sections share their reads (``registry.read_once``)
        return _build_content(year, earlier)


def _build_content(year: int, earlier: Sequence[StatisticsRelease]) -> dict[str, Any]:
    k, threshold = min_cell(), min_population()
    period = Period.year(year)
    sizes = population_counts(period)
    centres = [Centred(str(c.public_id), c.name, c.id, sizes.get(c.id, 0))
               for c in db.session.scalars(sa.select(Centre).order_by(Centre.name))]
    by_id = {c.public_id: c for c in centres}
    if earlier:
        groups = [[by_id[p] for p in u["centres"] if p in by_id] for u in earlier[0].content["units"]
                  if u["key"] != ALL]
        known = {c.public_id for g in groups for c in g}
        for c in centres:
            if c.public_id not in known:
                min(groups, key=lambda g: sum(m.applications for m in g)).append(c)
        if any(sum(c.applications for c in g) < threshold for g in groups):
            raise ReleaseRefused(_("A group of centres now has fewer than %(n)s applications in the year: a revision "
                                   "would single someone out. The earlier figures stand.", n=number(threshold)))
    else:
        groups = partition(centres, threshold)

    locales = list(current_app.config.get("LANGUAGES", ("tr", "en")))
    by_locale, per_unit = tables_for_units([[c.id for c in centres], *([c.id for c in g] for g in groups)],
                                           period, locales)
    labels: dict[str, Any] = {}
    for locale in locales:
        with force_locale(locale):  # "Total" in the locale's language
            labels[locale] = _labels(by_locale[locale])
    all_tables = {t.key: t for t in by_locale[locales[0]]}
    order = list(all_tables)
    units: list[tuple[str, dict[str, Table]]] = [(ALL, all_tables)]
    for members, tables in zip(groups, per_unit, strict=True):
        units.append((_unit_key(members), {t.key: t for t in tables}))

    values, lines, fixed = _figures(units, all_tables)
    marks = protect(values, lines, k, fixed)
    figures = {key: [_MARK_CODE[marks[key]], values[key] if marks[key] is Mark.SHOWN else None] for key in values}
    content: dict[str, Any] = {
        "k": k, "min_population": threshold, "order": order, "labels": labels,
        "units": [{"key": ALL, "centres": [c.public_id for c in centres], "names": []}]
        + [{"key": _unit_key(g), "centres": [c.public_id for c in g], "names": [c.name for c in g]} for g in groups],
        "tables": {unit: {key: _stored_table(t, unit, values, marks, k) for key, t in tables.items()}
                   for unit, tables in units},
        "figures": figures,
        "lines": [[list(line.cells), line.total, *([DISTINCT] if line.distinct else [])] for line in lines],
        "withheld": [],
    }
    if earlier:
        _withhold_small_changes(content, earlier, k)
    return content


def _withhold_small_changes(content: dict[str, Any], earlier: Sequence[StatisticsRelease], k: int) -> None:
    """SECURITY: before/after differencing. A table with a figure whose change since any earlier release could be
    pinned to a small number is withheld from the revision, in every unit (the earlier figures stand for it)."""
    new = release_bounds(content)
    withheld: set[str] = set()
    for release in earlier:
        old = release_bounds(release.content)
        for key, bounds in new.items():
            if key in old and _change_exposed(bounds, old[key], k):
                withheld.add(key.split("|")[1])
    if not withheld:
        return
    content["withheld"] = sorted(withheld)
    content["figures"] = {key: v for key, v in content["figures"].items() if key.split("|")[1] not in withheld}
    content["lines"] = [line for line in content["lines"]
                        if all(c in content["figures"] for c in [*line[0], line[1]])]
    for tables in content["tables"].values():
        for key in withheld:
            tables.pop(key, None)


def issue_release(year: int, *, actor: Any) -> StatisticsRelease:
    """Compute, protect and store the release (or the next revision) of a closed year. Flushes; the caller
    commits. The row's insert is on the audit log through the change hook; the caller records the semantic
    event."""
    if year >= current_year():
        raise ReleaseRefused(_("Statistics are published only for a year that has ended."))
    earlier = releases_of(year)
    data_cut_at = utcnow()
    content = build_content(year, earlier)
    release = StatisticsRelease(year=year, revision=len(earlier) + 1, issued_by_id=actor.id,
                                data_cut_at=data_cut_at, min_cell=content["k"],
                                min_population=content["min_population"], withheld=content["withheld"],
                                content=content)
    db.session.add(release)
    db.session.flush()
    return release


def publish_year(year: int, *, actor: Any, audit_actor: Any = None) -> StatisticsRelease:
    """Issue the release (or next revision) of ``year`` and put it on the audit log: the one way a year is published,
    from the page (``POST /reports/releases``) or the command line (``flask --app wsgi reports publish``). Flushes;
    the caller commits. ``actor``: the admin account the release is issued by; ``audit_actor``: who acted, when not
    the signed-in user (the command line)."""
    release = issue_release(year, actor=actor)
    audit.record("reports.release", object_type="statistics-release", object_id=release.public_id,
                 actor=audit_actor,
                 details={"year": release.year, "revision": release.revision, "withheld": release.withheld,
                          "units": len(release.content["units"]) - 1, "k": release.min_cell,
                          "min_population": release.min_population})
    return release
