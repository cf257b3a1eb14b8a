"""SQL the statistics need that SQLite and PostgreSQL spell differently: whole local days between a date column and
a UTC timestamp column, at a fixed UTC offset (``days_since``), and when a fixed offset is right (``fixed_offset``);
the calendar month of a date as one short key (``month_of``); and a column SQLite must read in table order
(``scanned``).

A release bands "days from application to the first risk assessment" and "days from application to closure" by the
*local* calendar day of the timestamp (``app.dates``). Doing that in Python meant fetching one row per case (10⁵ rows
for a large year, P6); in SQL the database groups and counts, and only a few dozen rows come back. Neither database
can convert with a named time zone in a way both share (SQLite has no zone data), but a fixed offset is exact when
the zone's offset does not change over the timestamps that can move a band: ``fixed_offset`` checks that with the
zone data, and the callers fall back to counting the rows in Python otherwise. Europe/Istanbul, the default, has
been UTC+3 all year since September 2016 (no daylight saving), so for any year the statistics publish the fixed
offset holds.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def fixed_offset(zone: tzinfo, start: date, end: date) -> int | None:
    """The zone's offset from UTC in minutes if it is the same on every day of ``[start, end]``; ``None`` if it
    changes (daylight saving, a change of law). Noon of each day is looked at, and the day before ``start``, so a
    change at any hour of the range is seen (a zone does not change and change back within a day)."""
    offsets = set()
    day = start - timedelta(days=1)
    while day <= end:
        offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        offsets.add(offset)
        day += timedelta(days=1)
    if len(offsets) != 1:
        return None
    only = offsets.pop()
    return None if only is None else int(only.total_seconds() // 60)


class days_since(FunctionElement[int]):  # noqa: N801 (an SQL function, named like one)
    """``days_since(day, moment, minutes)``: whole days from the date ``day`` to the calendar day of the UTC
    timestamp ``moment`` at UTC + ``minutes`` (negative when ``moment`` falls before ``day``; NULL when it is
    NULL)."""

    type = sa.Integer()
    inherit_cache = True
    name = "days_since"


def _parts(element: days_since) -> tuple[Any, Any, Any]:
    day, moment, minutes = list(element.clauses)
    return day, moment, minutes


@compiles(days_since, "sqlite")
def _days_since_sqlite(element: days_since, compiler: Any, **kw: Any) -> str:
    # UTCDateTime is stored as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, a Date as "YYYY-MM-DD"; both julian days are
    # at midnight, so their difference is a whole number.
    day, moment, minutes = _parts(element)
    modifier = sa.func.printf("%+d minutes", minutes)
    local = sa.func.date(moment, modifier)
    return compiler.process(sa.cast(sa.func.julianday(local) - sa.func.julianday(day), sa.Integer), **kw)


@compiles(days_since, "postgresql")
def _days_since_postgresql(element: days_since, compiler: Any, **kw: Any) -> str:
    # timestamptz AT TIME ZONE 'UTC' is the UTC wall-clock time whatever the session's TimeZone; date - date is an
    # integer number of days.
    day, moment, minutes = _parts(element)
    moment_sql, minutes_sql, day_sql = (compiler.process(e, **kw) for e in (moment, minutes, day))
    return f"(CAST(({moment_sql}) AT TIME ZONE 'UTC' + make_interval(mins => {minutes_sql}) AS DATE) - ({day_sql}))"


def band_of(days: sa.ColumnElement[Any], bounds: tuple[int, ...], *, missing: int | None = None) -> sa.Case[Any]:
    """The index of the band ``days`` falls in, as ``kpis._band`` counts it in Python: ``bounds`` are inclusive upper
    limits, then "more"; ``missing``: the index for NULL (never assessed), else NULL stays in "more"."""
    whens: list[tuple[Any, int]] = []
    if missing is not None:
        whens.append((days.is_(None), missing))
    whens += [(days <= upper, i) for i, upper in enumerate(bounds)]
    return sa.case(*whens, else_=len(bounds))


class within_hours(FunctionElement[bool]):  # noqa: N801 (an SQL function, named like one)
    """``within_hours(earlier, later, hours)``: true when the UTC timestamp ``later`` is at most ``hours`` hours after
    ``earlier`` (exact hours: a daylight-saving change in between does not stretch or shorten them)."""

    type = sa.Boolean()
    inherit_cache = True
    name = "within_hours"


@compiles(within_hours, "sqlite")
def _within_hours_sqlite(element: within_hours, compiler: Any, **kw: Any) -> str:
    # julianday() reads a time to the millisecond: the difference in whole milliseconds is exact (a review less than
    # a millisecond past the limit counts as within it; the Python datetimes it replaces saw microseconds).
    earlier, later, hours = list(element.clauses)
    difference = sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86_400_000)
    return compiler.process(difference <= hours * 3_600_000, **kw)


@compiles(within_hours, "postgresql")
def _within_hours_postgresql(element: within_hours, compiler: Any, **kw: Any) -> str:
    earlier, later, hours = list(element.clauses)
    later_sql, earlier_sql, hours_sql = (compiler.process(e, **kw) for e in (later, earlier, hours))
    return f"(({later_sql}) <= ({earlier_sql}) + make_interval(hours => {hours_sql}))"


class scanned(FunctionElement[Any]):  # noqa: N801 (an SQL function, named like one)
    """``scanned(column)``: the column itself, for a filter or a GROUP BY over a whole year of rows (P6).

    SQLite renders ``+column``: the unary plus keeps its planner from walking an index on that column to filter or
    to group (``ix_cases_centre_id`` for "every centre of a release": one index probe and one random row read per
    case, 2–3× the CPU of reading the table in order, and a year is most of the table's rows for those centres
    anyway). PostgreSQL plans by measured cost: the column as it is."""

    inherit_cache = True
    name = "scanned"

    def __init__(self, column: sa.ColumnElement[Any] | sa.orm.InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(scanned)
def _scanned_default(element: scanned, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return str(compiler.process(column, **kw))


@compiles(scanned, "sqlite")
def _scanned_sqlite(element: scanned, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"


class month_of(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """``month_of(day)``: the calendar month of the date ``day`` as text, ``'YYYY-MM'`` (``parse_month`` reads it).
    One short key to group by, where ``extract('year')`` and ``extract('month')`` were two (SQLite ran ``strftime``
    twice per row for them; its dates are stored as ``'YYYY-MM-DD'`` text, so the month is their first 7
    characters)."""

    type = sa.String()
    inherit_cache = True
    name = "month_of"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return f"substr({compiler.process(day, **kw)}, 1, 7)"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element: month_of, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    return f"to_char({compiler.process(day, **kw)}, 'YYYY-MM')"


def parse_month(key: str) -> tuple[int, int]:
    """(year, month) of a ``month_of`` key."""
    return int(key[:4]), int(key[5:7])
