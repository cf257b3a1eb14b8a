"""Counts in messages are grouped as the page's language writes numbers (issue 16 §4): "1.234" in Turkish, "1,234"
in English (``app.numbers``). A ``%(n)d`` placeholder prints "1234" in every language, so no message of the catalogues
takes a count that way; only the listed non-counts (years, revisions, ordinals, a month) keep ``%d``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from tests import factories
from tests.cases.core_helpers import post

ROOT = Path(__file__).resolve().parents[2]
NOT_COUNTS = {
    "revision %(n)d", "The statistics for %(year)d were published (revision %(n)d).",
    "Release %(n)d, published %(when)s.", "Child %(n)d", "Enter a year between %(low)d and %(high)d.",
    "There is no month %(month)d: write the day first, then the month, e.g. 15.03.1990.",
}
GROUPED = {"tr": "1.234", "en": "1,234"}


@pytest.mark.parametrize("language", ["tr", "en"])
def test_no_message_takes_a_count_as_d(language: str) -> None:
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    offending = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(re.search(r"%\(\w+\)d", s or "") for s in (*ids, *strings)) and ids[0] not in NOT_COUNTS:
            offending.append(ids[0])
    assert not offending, "counts formatted with %d (pass number(n) and use %(n)s):\n" + "\n".join(offending)


class _Panel:
    """A dashboard panel's data: the counts under test, an empty list for anything else."""

    def __init__(self, **counts: int) -> None:
        self.__dict__.update(counts)

    def __getattr__(self, name: str) -> Any:
        return []


@pytest.mark.parametrize("language", ["tr", "en"])
def test_dashboard_counts_are_grouped(app, language: str) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template

    with app.test_request_context(headers={"Accept-Language": language}):
        tasks = render_template("cases/panels/tasks.html", panel=_Panel(total=1234, overdue=1234, unread=1234))
        supervisor = render_template("cases/panels/supervisor.html", panel=_Panel(unassigned=1234))
    assert tasks.count(GROUPED[language]) == 3 and "1234" not in tasks
    assert GROUPED[language] in supervisor and "1234" not in supervisor  # an ngettext message


@pytest.mark.parametrize("language", ["tr", "en"])
def test_search_result_count_is_grouped_and_still_chooses_the_plural(app, language: str) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template_string

    line = (Path(ROOT / "templates/cases/list.html").read_text(encoding="utf-8").split("\n"))
    message = next(text for text in line if "cases match your search" in text)
    with app.test_request_context(headers={"Accept-Language": language}):
        many = render_template_string(message, rows=range(1234))
        one = render_template_string(message, rows=range(1))
    assert GROUPED[language] in many and "1234" not in many
    if language == "en":
        assert "1,234 cases match your search." in many and "1 case matches your search." in one


def test_a_lazy_message_is_grouped_in_the_language_of_the_request(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The note's length limit: a message made at import time, formatted when shown."""
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    factories.login_as(client, counsellor)
    for language, expected in (("tr", "en fazla 20.000 karakter"), ("en", "at most 20,000 characters")):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        r = post(client, f"/cases/{case.public_id}/notes",
                 {"kind": "legal", "occurred_on": "2026-11-03", "text": "ş" * 20_001},
                 token_url=f"/cases/{case.public_id}")
        assert r.status_code == 422 and expected in r.get_data(as_text=True), language
