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
    "audit.export_events": "roles:auditor",
    "audit.list_events": "roles:auditor",
    "audit.verify_log": "roles:auditor",
    "account_requests.confirm_request": "roles:supervisor",
    "account_requests.list_requests": "roles:supervisor",
    "account_requests.refuse_request": "roles:supervisor",
    "account_requests.supervisor_unlock_sign_in": "roles:supervisor",
    "auth.activate": "public",
    "auth.change_password": "signed-in",
    "auth.confirm_identity": "signed-in",
    "auth.enrol_mfa": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.set_language": "public",
    "auth.verify_code": "public",
    "cases.access_report": "object:case:access-report:auditor,counsellor,supervisor",
    "cases.kvkk_report": "object:case:kvkk-report:counsellor,supervisor",
    "cases.add_child": "object:case:edit:counsellor,supervisor",
    "cases.add_note": "object:case:edit:counsellor,supervisor",
    "cases.add_perpetrator": "object:case:edit:counsellor,supervisor",
    "cases.approve_order": "object:case:edit:counsellor,supervisor",
    "cases.approve_safety_plan": "object:case:approve:counsellor,supervisor",
    "cases.break_glass": "roles:counsellor",
    "cases.break_glass_reviews": "roles:supervisor",
    "cases.close_case": "object:case:close:counsellor,supervisor",
    "cases.decide_closure": "object:case:approve:counsellor,supervisor",
    "cases.confirm_remove_child": "object:case:edit:counsellor,supervisor",
    "cases.correct_note": "object:case:edit:counsellor,supervisor",
    "cases.create_consent": "object:case:edit:counsellor,supervisor",
    "cases.create_order": "object:case:edit:counsellor,supervisor",
    "cases.create_referral": "object:case:edit:counsellor,supervisor",
    "cases.delete_document": "object:case:edit:counsellor,supervisor",
    "cases.download_document": "object:case:view:counsellor,supervisor",
    "cases.edit_note": "object:case:edit:counsellor,supervisor",
    "cases.edit_person": "object:case:edit:counsellor,supervisor",
    "cases.edit_referral": "object:case:edit:counsellor,supervisor",
    "cases.edit_safety_plan": "object:case:edit:counsellor,supervisor",
    "cases.edit_support_action": "object:case:edit:counsellor,supervisor",
    "cases.find_access_report": "roles:auditor,supervisor",
    "cases.extend_order": "object:case:edit:counsellor,supervisor",
    "cases.new_application": "object:case:edit:counsellor,supervisor",
    "cases.application_draft": "object:case:edit:counsellor,supervisor",
    "cases.new_inquiry": "roles:coordinator,counsellor,supervisor",
    "cases.list_cases": "roles:counsellor,supervisor",
    "cases.list_documents": "object:case:view:counsellor,supervisor",
    "cases.link_inquiry": "roles:supervisor",
    "cases.list_inquiries": "roles:supervisor",
    "cases.list_alerts": "roles:counsellor,supervisor",
    "cases.list_tasks": "roles:coordinator,counsellor,supervisor",
    "cases.open_alert": "roles:counsellor,supervisor",
    "cases.print_case_summary": "object:case:view:counsellor,supervisor",
    "cases.print_consent_form": "object:case:view:counsellor,supervisor",
    "cases.print_kvkk_notice": "object:case:view:counsellor,supervisor",
    "cases.print_referral_letter": "object:case:edit:counsellor,supervisor",
    "cases.print_safety_plan": "object:case:view:counsellor,supervisor",
    "cases.read_all_alerts": "roles:counsellor,supervisor",
    "cases.list_orders": "object:case:view:counsellor,supervisor",
    "cases.list_referrals": "object:case:view:counsellor,supervisor",
    "cases.manage_case": "object:case:manage:counsellor,supervisor",
    "cases.manage_risk_checklists": "roles:admin",
    "cases.manage_retention": "roles:admin",
    "cases.dry_run_retention": "roles:admin",
    "cases.list_retention_runs": "roles:admin,auditor",
    "cases.view_destruction_record": "roles:admin,auditor",
    "cases.new_case": "roles:counsellor,supervisor",
    "cases.intake_draft": "roles:counsellor,supervisor",
    "cases.new_incident": "object:case:edit:counsellor,supervisor",
    "cases.give_feedback": "roles:counsellor,supervisor",
    "cases.view_kpis": "roles:supervisor",
    "cases.privacy_notice": "roles:counsellor,supervisor",
    "cases.edit_privacy": "object:case:edit:counsellor,supervisor",
    "cases.revoke_explicit_consent": "object:case:edit:counsellor,supervisor",
    "cases.new_report_decision": "object:case:edit:counsellor,supervisor",
    "cases.decide_report_decision": "object:case:edit:counsellor,supervisor",
    "cases.list_report_decisions": "roles:supervisor",
    "cases.hand_over": "roles:supervisor",
    "cases.record_custody": "object:case:edit:counsellor,supervisor",
    "cases.edit_measures": "object:case:edit:counsellor,supervisor",
    "cases.edit_proceeding": "object:case:edit:counsellor,supervisor",
    "cases.new_proceeding": "object:case:edit:counsellor,supervisor",
    "cases.new_risk_assessment": "object:case:edit:counsellor,supervisor",
    "cases.new_support_action": "object:case:edit:counsellor,supervisor",
    "cases.new_support_goal": "object:case:edit:counsellor,supervisor",
    "cases.new_support_review": "object:case:edit:counsellor,supervisor",
    "cases.preview_referral": "object:case:edit:counsellor,supervisor",
    "cases.record_violation": "object:case:edit:counsellor,supervisor",
    "cases.remove_child": "object:case:edit:counsellor,supervisor",
    "cases.reopen_case": "object:case:reopen:counsellor,supervisor",
    "cases.return_safety_plan": "object:case:approve:counsellor,supervisor",
    "cases.review_break_glass": "roles:supervisor",
    "cases.revoke_consent": "object:case:edit:counsellor,supervisor",
    "cases.risk_history": "object:case:view:counsellor,supervisor",
    "cases.search_cases": "roles:counsellor,supervisor",
    "cases.search_results": "roles:counsellor,supervisor",
    "cases.send_referral": "object:case:edit:counsellor,supervisor",
    "cases.submit_safety_plan": "object:case:edit:counsellor,supervisor",
    "cases.transfer_case": "object:case:manage:counsellor,supervisor",
    "cases.upload_document": "object:case:edit:counsellor,supervisor",
    "cases.update_referral_status": "object:case:edit:counsellor,supervisor",
    "cases.update_support_goal": "object:case:edit:counsellor,supervisor",
    "cases.update_team": "object:case:manage:counsellor,supervisor",
    "cases.view_case": "object:case:view:counsellor,supervisor",
    "cases.view_case_section": "object:case:view:counsellor,supervisor",
    "cases.view_order": "object:case:view:counsellor,supervisor",
    "cases.view_referral": "object:case:view:counsellor,supervisor",
    "cases.view_risk_assessment": "object:case:view:counsellor,supervisor",
    "cases.view_safety_plan": "object:case:view:counsellor,supervisor",
    "cases.view_support_plan": "object:case:view:counsellor,supervisor",
    "main.dashboard": "signed-in",
    "main.healthz": "public",
    "main.too_large": "public",
    "reports.export_statistics": "roles:admin,supervisor",
    "reports.issue_statistics_release": "roles:admin",
    "reports.list_releases": "roles:admin,auditor",
    "reports.print_report": "roles:admin,supervisor",
    "reports.view_statistics": "roles:admin,supervisor",
    "shelters.add_bed": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.add_coordinator": "object:shelter:manage:admin,coordinator,supervisor",
    "shelters.add_outage": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.add_room": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.address": "object:shelter:address:admin,coordinator,supervisor",
    "shelters.admit": "object:shelter:operate:admin,coordinator,supervisor",
    "shelters.approve_extension": "object:shelter:approve:admin,coordinator,supervisor",
    "shelters.decline": "object:shelter:operate:admin,coordinator,supervisor",
    "shelters.discharge": "object:shelter:operate:admin,coordinator,supervisor",
    "shelters.end_outage": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.household": "object:shelter:view:admin,coordinator,supervisor",
    "shelters.list_shelters": "roles:admin,coordinator,supervisor",
    "shelters.move_resident": "object:shelter:operate:admin,coordinator,supervisor",
    "shelters.new_request": "roles:counsellor,supervisor",
    "shelters.new_shelter": "roles:admin,supervisor",
    "shelters.occupancy": "object:shelter:view:admin,coordinator,supervisor",
    "shelters.refuse_extension": "object:shelter:approve:admin,coordinator,supervisor",
    "shelters.remove_coordinator": "object:shelter:manage:admin,coordinator,supervisor",
    "shelters.rename_bed": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.rename_room": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.request_extension": "object:shelter:operate:admin,coordinator,supervisor",
    "shelters.rooms": "object:shelter:configure:admin,coordinator,supervisor",
    "shelters.settings": "object:shelter:manage:admin,coordinator,supervisor",
    "shelters.view_board": "object:shelter:view:admin,coordinator,supervisor",
    "shelters.waitlist": "object:shelter:view:admin,coordinator,supervisor",
    "static": "public",
    "users.disable_user": "roles:admin",
    "users.edit_user": "roles:admin",
    "users.enable_user": "roles:admin",
    "users.list_users": "roles:admin",
    "users.new_user": "roles:admin",
    "users.reset_credentials": "roles:admin",
    "users.unlock_sign_in": "roles:admin",
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
