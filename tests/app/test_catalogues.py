"""The Turkish and English catalogues hold exactly the msgids the code and templates use.

The strings are extracted with Babel, as ``make messages`` does (babel.cfg, ``_l`` as a keyword), into a temporary
file and compared with each catalogue: a msgid the code uses and a catalogue lacks (or, in Turkish, leaves
untranslated or fuzzy) would show English to a Turkish user; a msgid no code uses is dead weight that hides the live
one when wording changes (the neutral-wording and sign-in changes left ~60 behind). Both lists are printed in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("tr", "en")
Key = tuple[Any, Any]


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def _keys(catalogue: Catalog) -> set[Key]:
    return {(m.id, m.context) for m in catalogue if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[Key]:
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    # The Makefile's `messages` target, in-process; hidden and private directories (.venv, .git, __pycache__) and
    # the bench's data are not sources.
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(pot),
                                "--ignore-dirs", ".* _* *.egg bench-results node_modules", str(ROOT)])
    keys = _keys(_read(pot))
    assert len(keys) > 1500, "extraction found too little: babel.cfg or the source layout changed"
    return keys


def _show(keys: set[Key]) -> str:
    return "\n".join(f"  {k[0]!r}" + (f" (context {k[1]!r})" if k[1] else "") for k in sorted(keys, key=str))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_the_code_uses_is_in_the_catalogue(extracted: set[Key], language: str) -> None:
    catalogue = _read(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")
    missing = extracted - _keys(catalogue)
    assert not missing, f"{len(missing)} msgids missing from {language}/messages.po:\n{_show(missing)}"
    if language == "tr":
        untranslated = {(m.id, m.context) for m in catalogue
                        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))}
        assert not untranslated, f"{len(untranslated)} msgids without Turkish (or fuzzy):\n{_show(untranslated)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalogue_holds_a_msgid_the_code_no_longer_uses(extracted: set[Key], language: str) -> None:
    unused = _keys(_read(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po")) - extracted
    assert not unused, (f"{len(unused)} msgids in {language}/messages.po that no code or template uses (delete "
                        f"them from both catalogues):\n{_show(unused)}")


def test_the_check_sees_a_missing_and_an_unused_msgid(extracted: set[Key], tmp_path: Path) -> None:
    """The comparison itself: a catalogue with one live msgid removed and one dead msgid added fails both ways."""
    catalogue = _read(ROOT / "translations" / "tr" / "LC_MESSAGES" / "messages.po")
    live = sorted(_keys(catalogue), key=str)[0]
    catalogue.delete(live[0], context=live[1])
    catalogue.add("A sentence no template says.", "Hiçbir şablonun söylemediği bir cümle.")
    assert extracted - _keys(catalogue) == {live}
    assert _keys(catalogue) - extracted == {("A sentence no template says.", None)}
