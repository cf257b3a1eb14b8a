"""The order `make test` hands files to its two workers (tests/conftest.py, ``schedule_long_files_first``): the
long files first, so that neither worker ends the run alone on one of them. Pure (no app, no database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import LONG_FILES, schedule_long_files_first

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Item:
    nodeid: str


def test_every_long_file_exists() -> None:
    missing = [name for name in LONG_FILES if not (ROOT / name).is_file()]
    assert not missing, f"LONG_FILES names files that are gone: {missing}"
    assert len(set(LONG_FILES)) == len(LONG_FILES)


def test_long_files_first_then_browser_journeys_then_the_most_tests_first_each_file_in_its_own_order() -> None:
    many = [_Item(f"tests/app/test_many.py::test_{n}") for n in range(3)]
    few = [_Item("tests/app/test_few.py::test_0")]
    journey = [_Item("tests/e2e/test_some_journey.py::test_0[sqlite]"),
               _Item("tests/e2e/test_some_journey.py::test_0[postgresql]")]
    longest = [_Item(f"{LONG_FILES[0]}::test_{n}") for n in range(2)]
    second = [_Item(f"{LONG_FILES[1]}::test_0")]
    items = [*few, *second, *many, *journey, *longest]
    schedule_long_files_first(items)  # type: ignore[arg-type]
    assert items == [*longest, *second, *journey, *many, *few]


def test_make_test_keeps_this_order() -> None:
    """xdist's default (--loadscope-reorder) would sort the files by their number of tests again."""
    makefile = (ROOT / "Makefile").read_text()
    command = re.search(r"^test:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert command is not None
    assert "--dist loadfile" in command.group(1) and "--no-loadscope-reorder" in command.group(1)
