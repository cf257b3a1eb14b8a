"""From a stored release to what leaves the server: cells as the release stored them (already suppressed). HTML,
CSV and charts all read ``RenderedTable``, so none of them can show a count the others hide, and none of them
reads live case data.

A shown figure is written as people write numbers in the page's language (Babel: "1.234" in Turkish, "1,234" in
English); the CSV keeps the stored text ("1234"), which every spreadsheet reads as a number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from app.reports.suppression import Mark

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Cell:
    text: str
    mark: Mark = Mark.SHOWN
    value: float | None = None  # the number behind a shown cell (charts); None when hidden or not a number
    raw: str = ""  # the text as the release stored it (the CSV); ``text`` is it with the page's number grouping

    @property
    def hidden(self) -> bool:
        return self.mark is not Mark.SHOWN


@dataclass(frozen=True)
class RenderedTable:
    key: str
    title: str
    section: str
    note: str
    header: list[str]
    rows: list[tuple[str, list[Cell]]]
    total_row: tuple[str, list[Cell]] | None
    chart: tuple[str, int] | None
    chart_unit: str
    count_columns: int

    @property
    def has_hidden(self) -> bool:
        cells = [c for _label, row in self.rows for c in row]
        if self.total_row:
            cells += self.total_row[1]
        return any(c.hidden for c in cells)

    def chart_points(self) -> list[tuple[str, Cell]]:
        """(row label, cell) of the charted column."""
        if self.chart is None:
            return []
        kind, index = self.chart
        column = index if kind == "count" else self.count_columns + index
        return [(label, row[column]) for label, row in self.rows]


_MARKS = {"s": Mark.SHOWN, "p": Mark.PRIMARY, "x": Mark.SECONDARY}


def release_tables(content: dict[str, Any], unit: str, locale: str) -> list[RenderedTable]:
    """The tables of one unit of a stored release, labelled in ``locale`` (or the release's first language)."""
    labels_by_locale = content["labels"]
    labels = labels_by_locale.get(locale) or next(iter(labels_by_locale.values()))
    stored = content["tables"].get(unit, {})
    out = []
    for key in content["order"]:
        if key not in stored:
            continue
        t, lab = stored[key], labels[key]

        def cells(row: list[list[Any]]) -> list[Cell]:
            return [Cell(localised(text, locale) if code == "s" else text, _MARKS[code],
                         float(value) if value is not None else None, raw=text)
                    for text, code, value in row]

        out.append(RenderedTable(
            key=key, title=lab["title"], section=lab["section"], note=lab["note"], header=list(lab["header"]),
            rows=[(label, cells(row)) for label, row in zip(lab["rows"], t["rows"], strict=True)],
            total_row=(lab["total"], cells(t["total"])) if t["total"] is not None else None,
            chart=tuple(t["chart"]) if t["chart"] else None,  # type: ignore[arg-type]
            chart_unit=t["chart_unit"], count_columns=t["count_columns"]))
    return out


def localised(text: str, locale: str) -> str:
    """``text`` with each number in it grouped and pointed the way ``locale`` writes numbers ("12345" → "12.345" in
    Turkish, "12,345" in English; "12.5%" → "12,5%"). "<5", "x" and "–" have no number and stay as they are."""
    def number(match: re.Match[str]) -> str:
        figure = match.group(0)
        decimals = len(figure.partition(".")[2])  # as many as the release stored: "12.0" stays "12,0"
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(float(figure) if decimals else int(figure), format=pattern, locale=locale)
    return _NUMBER.sub(number, text)
