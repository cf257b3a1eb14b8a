"""The Turkish catalogue is complete, keeps every placeholder, and is what the app serves.

* Every message in ``translations/tr`` has a non-empty, non-fuzzy translation (plural forms included).
* Placeholders (``%(name)s``, ``%s``, ``%d``, ``{name}``) and HTML entities are the same in the English source and
  the Turkish translation.
* The login page is Turkish for ``Accept-Language: tr`` and English for ``Accept-Language: en``.

``*.mo`` files are git-ignored and built by ``make``; this module compiles them first when they are missing or older
than their ``.po`` file, so a fresh checkout can run the tests on their own.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
TR_PO = TRANSLATIONS / "tr" / "LC_MESSAGES" / "messages.po"

# %(name)s / %(n)d / %s / %d / {name} / {0} / {} and HTML entities such as &nbsp; or &#8217;
PLACEHOLDER = re.compile(
    r"%\([A-Za-z0-9_]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxX]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifrxX]"
    r"|\{[A-Za-z0-9_]*\}"
    r"|&[A-Za-z]+;|&#\d+;"
)


def _compile_if_needed() -> None:
    stale = []
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    if not stale:
        return
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(TRANSLATIONS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"pybabel compile failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues() -> None:
    _compile_if_needed()


@pytest.fixture(scope="module")
def tr_catalogue() -> Catalog:
    with TR_PO.open("rb") as fh:
        return read_po(fh)


def _messages(catalogue: Catalog) -> list[Message]:
    return [m for m in catalogue if m.id]


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, (tuple, list)):
        return [str(s or "") for s in message.string]
    return [str(message.string or "")]


def _ids(message: Message) -> list[str]:
    return [str(i) for i in message.id] if isinstance(message.id, (tuple, list)) else [str(message.id)]


def _where(message: Message) -> str:
    return ", ".join(f"{f}:{n}" for f, n in message.locations[:2]) or "?"


def test_turkish_catalogue_is_not_empty(tr_catalogue: Catalog) -> None:
    assert len(_messages(tr_catalogue)) > 100
    assert tr_catalogue.locale is not None and str(tr_catalogue.locale) == "tr"


def test_every_turkish_message_is_translated_and_not_fuzzy(tr_catalogue: Catalog) -> None:
    untranslated = [
        f"{_where(m)}: {_ids(m)[0]!r}" for m in _messages(tr_catalogue) if not all(s.strip() for s in _strings(m))
    ]
    fuzzy = [f"{_where(m)}: {_ids(m)[0]!r}" for m in _messages(tr_catalogue) if m.fuzzy]
    assert not untranslated, "Untranslated Turkish messages:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy Turkish messages (check and remove the flag):\n" + "\n".join(fuzzy)


def test_turkish_placeholders_match_the_source(tr_catalogue: Catalog) -> None:
    problems = []
    for m in _messages(tr_catalogue):
        ids = _ids(m)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in _strings(m):
            # Turkish has one plural form; it follows the plural msgid, whose placeholder set is what must survive.
            got = set(PLACEHOLDER.findall(s))
            if got != wanted:
                problems.append(f"{_where(m)}: {ids[0]!r} has {sorted(wanted)}, translation has {sorted(got)}")
    assert not problems, "Placeholder mismatches:\n" + "\n".join(problems)


def test_turkish_has_one_plural_form(tr_catalogue: Catalog) -> None:
    assert tr_catalogue.num_plurals == 1
    for m in _messages(tr_catalogue):
        if m.pluralizable:
            assert len(_strings(m)) == 1, _where(m)


def _translation_of(catalogue: Catalog, msgid: str) -> str:
    message = catalogue.get(msgid)
    assert message is not None and message.string, f"{msgid!r} missing from the Turkish catalogue"
    return str(message.string)


def test_login_page_is_turkish_for_turkish_browsers(client, tr_catalogue: Catalog) -> None:  # type: ignore[no-untyped-def]
    sign_in = _translation_of(tr_catalogue, "Sign in")
    r = client.get("/login", headers={"Accept-Language": "tr"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert escape(sign_in, quote=False) in html
    assert escape(_translation_of(tr_catalogue, "Password"), quote=False) in html
    assert "Sign in" not in html
    assert 'lang="tr"' in html


def test_login_page_is_english_for_english_browsers(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/login", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Sign in" in html
    assert "Password" in html
