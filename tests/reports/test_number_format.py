"""Numbers in the statistics as people write them (issue 16 §4): 1.234 in Turkish, 1,234 in English, through Babel;
"<5" and "x" untouched; the CSV keeps the stored figure so that a spreadsheet reads a number."""

from __future__ import annotations

from app.reports.render import localised, release_tables


def _content() -> dict:  # type: ignore[type-arg]
    labels = {"title": "Applications", "section": "A", "note": "", "header": ["Channel", "Women", "Share"],
              "rows": ["Phone", "Walk-in"], "total": "Total"}
    return {"order": ["t"], "labels": {"tr": {"t": labels}, "en": {"t": labels}},
            "tables": {"all": {"t": {"rows": [[["12345", "s", 12345], ["62.5%", "s", 62.5]],
                                              [["<5", "p", None], ["x", "x", None]]],
                                     "total": [["1000000", "s", 1000000], ["–", "s", None]],
                                     "chart": None, "chart_unit": "", "count_columns": 1}}}}


def test_shown_figures_are_grouped_in_the_pages_language() -> None:
    tr = release_tables(_content(), "all", "tr")[0]
    en = release_tables(_content(), "all", "en")[0]
    assert [c.text for c in tr.rows[0][1]] == ["12.345", "62,5%"]
    assert [c.text for c in en.rows[0][1]] == ["12,345", "62.5%"]
    assert [c.text for c in tr.rows[1][1]] == ["<5", "x"]  # suppressed cells are not numbers
    assert tr.total_row is not None and [c.text for c in tr.total_row[1]] == ["1.000.000", "–"]
    # What the CSV writes: the figure as stored.
    assert [c.raw for c in tr.rows[0][1]] == ["12345", "62.5%"]


def test_localised_keeps_the_stored_precision() -> None:
    assert localised("12.0", "tr") == "12,0" and localised("7", "tr") == "7" and localised("1234", "en") == "1,234"
