"""The report sections registry: feature packages contribute their statistics tables without ``app`` importing them.

A provider is ``provider(centre_ids, period) -> list[Table]``. It counts **plain categorical columns only** (never
decrypting anything) for the centres given (already checked by the view: a supervisor's own centre, or those an
admin chose) and the months of ``period``. Tables hold raw counts; suppression is applied on the way out
(``app.reports.render``), so a provider cannot forget it.

Register from a blueprint: ``bp.record_once(lambda s: register_report_section(s.app, provider))``; the feature that
owns applications also registers the population counter (``register_population_counter``), from which a release
decides which centres are large enough to be shown alone.

A release needs the same tables for all centres, for every published centre or group, and in every language. A plain
provider is simply called once for each of those. A section that counts many rows should be a ``GroupedSection``
instead: ``gather(centre_ids, period)`` reads the counts of all those centres in one pass, keyed by centre, and
``build(gathered, centre_ids, period)`` makes the tables of any subset of them, in the current language, without
querying again (``tables_for_units``). A ``GroupedSection`` is itself a provider (callable the plain way).

Two sections, or a section and the population counter, may need the same counts (the applications of each centre;
the referrals sent, by status). While a release is computed (``one_read_each``) such a read is done once and handed
to each of them (``read_once``); outside it every call reads afresh. Only counts are shared, never a row of a case,
and only for the one computation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale

SECTIONS_KEY = "dayanisma.report_sections"


@dataclass(frozen=True)
class Period:
    """Whole months ``[start, end)``. Releases only ever ask for a closed calendar year (``Period.year``); the
    months inside it are the finest rows a table has."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @property
    def months(self) -> list[date]:
        out, day = [], self.start
        while day < self.end:
            out.append(day)
            day = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
        return out

    @property
    def is_calendar_year(self) -> bool:
        return self.start.month == 1 and self.end == date(self.start.year + 1, 1, 1)

    @property
    def slug(self) -> str:
        if self.is_calendar_year:
            return str(self.start.year)
        last = self.months[-1]
        return f"{self.start:%Y-%m}_{last:%Y-%m}"

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes at local midnight (for timestamp columns such as ``sent_at``)."""
        zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Istanbul"))
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end, time.min, tzinfo=zone))


@dataclass(frozen=True)
class Derived:
    """A value computed from the counts (a rate, an average), shown after the count columns.

    ``basis``: the count column it is computed from; the value is hidden wherever that count is hidden (a rate of a
    hidden count would give it away). ``None``: not derived from people (e.g. capacity), always shown.
    """

    label: str
    values: Sequence[float | None]
    total: float | None = None
    basis: int | None = 0
    fmt: str = "{:.0f}"


@dataclass(frozen=True)
class Table:
    """One statistics table: raw counts of people / events by category (suppressed when shown).

    ``row_totals``: a total per row (cross tables); ``col_totals``: a total row (only when the rows add up, i.e.
    each person or event is in exactly one row). ``chart``: ("count" | "derived", column index) for a bar chart of
    that column over the rows (used for months).
    """

    key: str
    title: str
    row_header: str
    row_labels: Sequence[str]
    col_labels: Sequence[str]
    counts: Sequence[Sequence[int]]
    row_totals: bool = False
    col_totals: bool = True
    note: str = ""
    derived: Sequence[Derived] = ()
    chart: tuple[str, int] | None = None
    chart_unit: str = ""
    section: str = ""
    population: str = ""
    totals_add_up: bool = True
    totals: Sequence[int] | None = None
    same_as: Sequence[tuple[tuple[object, object], str, tuple[object, object]]] = ()


# ``population``: the name of the population the table's grand total counts ("applications", "referrals", ...).
# Tables naming the same population print the same total, so a release links them (one figure, many places).
# ``totals_add_up=False``: the total row is its own figure, ``totals`` its counts (e.g. distinct people over a year of
# months: a woman staying from March to May is one woman in the year, not three).
# ``same_as``: figures of this table that another table of the release also prints, as ((row, column), the other
# table's key, (row, column)); ``suppression.TOTAL`` names a total. The release protects each such pair as one
# figure (protected apart, two tables could hide a small count but different figures beside it, and a reader holding
# both would subtract it back).


Provider = Callable[[Sequence[int], Period], list[Table]]


@dataclass(frozen=True)
class GroupedSection:
    """A provider in two steps (see the module docstring): ``gather`` reads once, ``build`` only computes.

    ``gather(centre_ids, period)`` returns anything ``build`` understands (typically rows whose first column is the
    centre id); ``build(gathered, centre_ids, period)`` keeps the rows of ``centre_ids`` and makes the tables,
    labelled in the current language. Both count plain categorical columns only, like any provider.
    """

    gather: Callable[[Sequence[int], Period], Any]
    build: Callable[[Any, Sequence[int], Period], list[Table]]

    def __call__(self, centre_ids: Sequence[int], period: Period) -> list[Table]:
        return self.build(self.gather(centre_ids, period), centre_ids, period)


# centre id -> number of applications in the period: the size of the population a centre's figures describe.
PopulationCounter = Callable[[Period], dict[int, int]]
POPULATION_KEY = "dayanisma.report_population"


def month_label(month: date) -> str:
    """A month as a row label ("November 2026"), in the reader's language."""
    from flask_babel import format_date

    return str(format_date(month, "LLLL y"))


def month_index(period: Period) -> dict[tuple[int, int], int]:
    """(year, month) → row index of that month in the period."""
    return {(m.year, m.month): i for i, m in enumerate(period.months)}


def register_report_section(app: Any, provider: Provider) -> None:  # a Flask app (BlueprintSetupState.app)
    providers = app.extensions.setdefault(SECTIONS_KEY, [])
    if provider not in providers:
        providers.append(provider)


def register_population_counter(app: Any, counter: PopulationCounter) -> None:
    app.extensions[POPULATION_KEY] = counter


def population_counts(period: Period) -> dict[int, int]:
    counter = current_app.extensions.get(POPULATION_KEY)
    return counter(period) if counter is not None else {}


_READS: ContextVar[dict[Any, Any] | None] = ContextVar("dayanisma_report_reads", default=None)


@contextmanager
def one_read_each() -> Iterator[None]:
    """Within this block ``read_once`` reads each key once (one release: the counts cannot change under it, as they
    are read in one transaction). Nothing is kept after the block."""
    token = _READS.set({})
    try:
        yield
    finally:
        _READS.reset(token)


def read_once(key: Any, read: Callable[[], Any]) -> Any:
    """``read()``, or what it returned for ``key`` earlier in the same ``one_read_each`` block. ``key`` names the
    query and everything it depends on (e.g. ``("applications", period)``)."""
    memo = _READS.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def collect_tables(centre_ids: Sequence[int], period: Period) -> list[Table]:
    tables: list[Table] = []
    for provider in current_app.extensions.get(SECTIONS_KEY, []):
        tables.extend(provider(centre_ids, period))
    return tables


def tables_for_units(units: Sequence[Sequence[int]], period: Period,
                     locales: Sequence[str]) -> tuple[dict[str, list[Table]], list[list[Table]]]:
    """The tables of a release: those of ``units[0]`` (every centre) in each of ``locales``, and those of each unit
    (a list of centre ids) in the first locale. A ``GroupedSection`` reads the database once, for ``units[0]``;
    a plain provider is called per unit and language."""
    providers = list(current_app.extensions.get(SECTIONS_KEY, []))
    everyone = list(units[0])
    gathered = {i: p.gather(everyone, period) for i, p in enumerate(providers) if isinstance(p, GroupedSection)}

    def tables(centre_ids: Sequence[int]) -> list[Table]:
        out: list[Table] = []
        for i, provider in enumerate(providers):
            if i in gathered:
                out.extend(provider.build(gathered[i], centre_ids, period))
            else:
                out.extend(provider(centre_ids, period))
        return out

    by_locale: dict[str, list[Table]] = {}
    for locale in locales:
        with force_locale(locale):
            by_locale[locale] = tables(everyone)
    with force_locale(locales[0]):
        per_unit = [tables(unit) for unit in units[1:]]
    return by_locale, per_unit
