"""The tests' URL rules build their builders on first use (tests/lazy_rules.py); every URL must come out exactly as
Werkzeug's eager rules build it in production."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Flask
from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import IntegerConverter, UUIDConverter

from tests.conftest import make_app
from tests.lazy_rules import LazyBuilderRule

_UNKNOWN = {"next": "/cases/?q=Ayşe Işık", "page": "2"}


def _values(rule: Rule) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        values[name] = (uuid.UUID("6f1c2a52-1d2e-4c55-9a0b-3f1e2d4c5b6a") if isinstance(converter, UUIDConverter)
                        else 7 if isinstance(converter, IntegerConverter) else "ç ş/ğ")
    return values


def test_every_rule_builds_the_url_werkzeug_builds(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'lazy.db'}", tmp_path)
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100 and all(isinstance(rule, LazyBuilderRule) for rule in rules)
    eager = Map([Rule(rule.rule, **rule.get_empty_kwargs()) for rule in rules], converters=app.url_map.converters)
    eager_rules = {(rule.rule, rule.endpoint): rule for rule in eager.iter_rules()}
    assert all(type(rule) is Rule for rule in eager_rules.values())
    for rule in rules:
        twin = eager_rules[(rule.rule, rule.endpoint)]
        values = _values(rule)
        for append_unknown in (False, True):
            assert rule.build(values, append_unknown) == twin.build(values, append_unknown), rule.rule
        built = rule.build({**values, **_UNKNOWN}, True)
        assert built == twin.build({**values, **_UNKNOWN}, True), rule.rule
        assert built is not None and "page=2" in built[1]


def test_a_builder_is_compiled_once_on_first_use(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.add_url_rule("/cases/<uuid:case_id>", "view_case", lambda case_id: "")
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == "view_case"]
    lazy = rule._build_unknown  # url_for appends unknown arguments as a query string
    case_id = uuid.UUID("6f1c2a52-1d2e-4c55-9a0b-3f1e2d4c5b6a")
    with app.test_request_context():
        from flask import url_for

        assert url_for("view_case", case_id=case_id) == f"/cases/{case_id}"
        compiled = rule._build_unknown
        assert compiled is not lazy
        assert url_for("view_case", case_id=case_id) == f"/cases/{case_id}"
        assert rule._build_unknown is compiled
