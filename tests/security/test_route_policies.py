"""Deny by default (DESIGN.md §3.1): every route declares a policy, the table is pinned, anonymous users are turned
away from everything that is not public."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask

from app import access
from tests.conftest import make_app

# The route → policy table. A new route must be added here on purpose, with the policy it should have.
PINNED = {
    "static": "public",
    "auth.login": "public",
    "auth.verify_code": "public",
    "auth.enrol_mfa": "public",
    "auth.logout": "public",
    "auth.set_language": "public",
    "auth.change_password": "signed-in",
    "main.dashboard": "signed-in",
    "main.healthz": "public",
    "audit.list_events": "roles:auditor",
    "audit.export_events": "roles:auditor",
    "audit.verify_log": "roles:auditor",
    "users.list_users": "roles:admin",
    "users.new_user": "roles:admin",
    "users.edit_user": "roles:admin",
    "users.disable_user": "roles:admin",
    "users.enable_user": "roles:admin",
    "users.reset_mfa": "roles:admin",
    "users.reset_password": "roles:admin",
    # cases: core case work (list, intake, case page, notes, lifecycle, break-glass, access report)
    "cases.list_cases": "roles:counsellor,supervisor",
    "cases.search_cases": "roles:counsellor,supervisor",
    "cases.new_case": "roles:counsellor,supervisor",
    "cases.view_case": "object:case:view:counsellor,supervisor",
    "cases.access_report": "object:case:access-report:counsellor,supervisor",
    "cases.add_note": "object:case:edit:counsellor,supervisor",
    "cases.edit_note": "object:case:edit:counsellor,supervisor",
    "cases.correct_note": "object:case:edit:counsellor,supervisor",
    "cases.manage_case": "object:case:manage:counsellor,supervisor",
    "cases.update_team": "object:case:manage:counsellor,supervisor",
    "cases.transfer_case": "object:case:manage:counsellor,supervisor",
    "cases.close_case": "object:case:close:counsellor,supervisor",
    "cases.reopen_case": "object:case:reopen:counsellor,supervisor",
    "cases.break_glass": "roles:counsellor",
    "cases.break_glass_reviews": "roles:supervisor",
    "cases.review_break_glass": "roles:supervisor",
}


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The URL map does not depend on the database."""
    tmp = tmp_path_factory.mktemp("routes")
    return make_app(f"sqlite:///{tmp / 'routes.db'}", tmp)


def test_every_route_declares_a_policy(bare_app: Flask) -> None:
    missing = [endpoint for endpoint, policy in access.route_policies(bare_app).items() if policy is None]
    assert missing == []


def test_route_policy_table_is_pinned(bare_app: Flask) -> None:
    assert access.route_policies(bare_app) == PINNED


def test_undeclared_endpoint_is_refused(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, tmp_path)

    @app.get("/forgotten")
    def forgotten():  # type: ignore[no-untyped-def]
        return "secret"

    response = app.test_client().get("/forgotten")
    assert response.status_code == 404
    assert "secret" not in response.get_data(as_text=True)


def _example_url(rule) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__  # noqa: SLF001
        value = str(uuid.uuid4()) if "UUID" in converter else "x"
        url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url)
    return url


def test_anonymous_requests_get_the_login_page_or_401(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    checked = 0
    for rule in app.url_map.iter_rules():
        if access.policy_of(app, rule.endpoint) == "public":
            continue
        url = _example_url(rule)
        if "GET" in rule.methods:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/login"), url
            assert client.get(response.headers["Location"]).status_code == 200
            checked += 1
        if "POST" in rule.methods:
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 401, url
            checked += 1
    assert checked >= 10
