"""The tests' apps share compiled templates (tests/template_code.py): a template compiled by one app is not compiled
again by the next, renders exactly as a fresh compilation does, and is compiled afresh when its source or the
environment's compilation settings differ."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment

from tests.conftest import make_app
from tests.template_code import TEMPLATE_CODE, SharedTemplateCode

PAGE = "{% trans %}Case file{% endtrans %} {{ name }} {{ _('Close') }}"


def _env(cache: SharedTemplateCode, source: str = PAGE, **options: Any) -> Environment:
    env = Environment(loader=DictLoader({"page.html": source}), bytecode_cache=cache,
                      extensions=["jinja2.ext.i18n"], **options)
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env


def _compilations(env: Environment, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    compile_ = env.compile

    def counting(source: Any, name: Any = None, *args: Any) -> Any:
        seen.append(name)
        return compile_(source, name, *args)

    monkeypatch.setattr(env, "compile", counting)
    return seen


def test_a_template_compiled_once_is_loaded_by_the_next_app_and_renders_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import render_template

    cache = SharedTemplateCode()
    first = make_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    second = make_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path)
    fresh = make_app(f"sqlite:///{tmp_path / 'c.db'}", tmp_path)
    assert first.jinja_env.bytecode_cache is TEMPLATE_CODE  # what every test's app uses (here: a cache of its own)
    first.jinja_env.bytecode_cache = second.jinja_env.bytecode_cache = cache
    fresh.jinja_env.bytecode_cache = None
    compiled = {app: _compilations(app.jinja_env, monkeypatch) for app in (first, second, fresh)}
    names = ["errors/404.html", "errors/403.html"]
    pages = {}
    for app in (first, second, fresh):
        with app.test_request_context("/", headers={"Accept-Language": "tr"}):
            pages[app] = [re.sub(r'name="csrf_token" value="[^"]+"', "", render_template(name)) for name in names]
    assert set(names) | {"base.html"} <= set(compiled[first])
    assert compiled[second] == []                      # every template (and what it extends) came from the cache
    assert set(compiled[fresh]) == set(compiled[first])
    assert pages[second] == pages[fresh] == pages[first]
    assert "Sayfa bulunamadı" in pages[second][0]      # Turkish through the new app's own gettext


def test_a_changed_source_is_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = SharedTemplateCode()
    assert _env(cache).get_template("page.html").render(name="Ayşe") == "Case file Ayşe Close"
    edited = _env(cache, source="{{ name }} {% trans %}Risk{% endtrans %}")
    seen = _compilations(edited, monkeypatch)
    assert edited.get_template("page.html").render(name="Ayşe") == "Ayşe Risk"
    assert seen == ["page.html"]


@pytest.mark.parametrize("options", [{"autoescape": True}, {"finalize": lambda value: value or "-"}])
def test_other_compilation_settings_never_receive_the_cached_code(
        options: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    cache = SharedTemplateCode()
    _env(cache, source="{{ name }}").get_template("page.html").render(name="<b>")
    other = _env(cache, source="{{ name }}", **options)
    seen = _compilations(other, monkeypatch)
    rendered = other.get_template("page.html").render(name="<b>" if "autoescape" in options else None)
    assert seen == ["page.html"]
    assert rendered == ("&lt;b&gt;" if "autoescape" in options else "-")
    again = _env(cache, source="{{ name }}", **options)
    seen_again = _compilations(again, monkeypatch)
    again.get_template("page.html")
    assert seen_again == []                            # the same settings share the code
