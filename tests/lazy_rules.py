"""URL rules that compile their URL builders on first use, for the tests' many short-lived apps (issue 20).

Werkzeug compiles two Python functions per rule (with and without unknown arguments appended) when the rule is added:
for ~140 rules that is most of ``create_app``'s CPU, paid again by every test that builds an app, while a test builds
few URLs. ``LazyBuilderRule`` compiles a builder the first time it is called, with Werkzeug's own code, so a URL
comes out exactly as production builds it (``tests/app/test_lazy_rules.py`` compares every rule of the app).
Production keeps Werkzeug's eager rule: one app per worker, built once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        attribute = "_build_unknown" if append_unknown else "_build"

        def build_on_first_use(rule: Rule, **values: Any) -> tuple[str, str]:
            builder = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)  # later calls go straight to Werkzeug's compiled builder
            return builder(**values)  # type: ignore[no-any-return]

        return build_on_first_use
