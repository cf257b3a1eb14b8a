"""Cross-centre and unassigned 404 sweep over every case URL, built from ``app.url_map`` so colleagues' routes under
``/cases/<uuid:case_id>`` are covered as soon as they exist."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from app import access
from tests import factories

CASE_PREFIX = "/cases/<uuid:case_id>"


def _case_rules(app):  # type: ignore[no-untyped-def]
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(CASE_PREFIX)]


def _url(rule, case_id) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule.replace(CASE_PREFIX, f"/cases/{case_id}", 1)
    for name in rule.arguments - {"case_id"}:
        converter = rule._converters[name].__class__.__name__  # noqa: SLF001
        value = str(uuid.uuid4()) if "UUID" in converter else ("1" if "Integer" in converter else "x")
        url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url)
    return url


def _token(client) -> str:  # type: ignore[no-untyped-def]
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_every_case_url_is_404_for_outsiders(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    primary = make_user("counsellor")
    case = make_case(primary, applicant_name="Gizli Süreyya", risk_level="high")
    other_centre = factories.make_centre(app)
    outsiders = {
        "other-centre counsellor": factories.make_user(app, "counsellor", centre=other_centre),
        "other-centre supervisor": factories.make_user(app, "supervisor", centre=other_centre),
        "unassigned counsellor": make_user("counsellor"),
        "coordinator": make_user("coordinator"),
        "auditor": make_user("auditor"),
        "admin": make_user("admin"),
    }
    rules = _case_rules(app)
    assert len(rules) >= 10, [r.rule for r in rules]
    checked = 0
    for who, user in outsiders.items():
        client = app.test_client()
        factories.login_as(client, user)
        token = _token(client)
        for rule in rules:
            policy = access.policy_of(app, rule.endpoint) or ""
            if who == "unassigned counsellor" and policy.startswith("object:case:break-glass"):
                continue  # the one action an unassigned counsellor of the centre may take
            if who == "auditor" and policy.startswith("object:case:access-report"):
                continue  # her per-case access report (numbers and events, no content): tests/security/test_audit_reads
            url = _url(rule, case.public_id)
            for method in sorted(rule.methods & {"GET", "POST"}):
                if method == "GET":
                    r = client.get(url)
                else:
                    r = client.post(url, data={"csrf_token": token, "text": "x", "reason": "x" * 20})
                body = r.get_data(as_text=True)
                assert r.status_code == 404, f"{who} {method} {rule.rule}: {r.status_code}"
                assert "Gizli Süreyya" not in body and case.number not in body, f"{who} {method} {rule.rule}"
                checked += 1
    assert checked >= 6 * 10
    # the denials are on record, and nothing was changed
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Case
    from cases.notes.models import ContactNote

    with app.app_context():
        denied = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.outcome == "denied", AuditEvent.object_id == str(case.public_id)))
        assert denied >= checked
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactNote)) == 0
        assert db.session.get(Case, case.id).primary_counsellor_id == primary.id


def test_case_page_is_reachable_for_the_primary_counsellor(app, client, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    """The positive control of the sweep: the same URL works for someone allowed."""
    primary = make_user("counsellor")
    case = make_case(primary, applicant_name="Gizli Süreyya")
    factories.login_as(client, primary)
    assert "Gizli Süreyya" in page(client, f"/cases/{case.public_id}").get_data(as_text=True)


def test_case_lists_and_forms_are_404_for_other_roles(app, make_user) -> None:  # type: ignore[no-untyped-def]
    """Every /cases URL outside a case answers 404 to the roles its policy does not name (case work is for
    counsellors and supervisors; a colleague's configuration page may name the admin on purpose)."""
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith("/cases/") and not r.rule.startswith(CASE_PREFIX)]
    mine = {"cases.list_cases", "cases.search_cases", "cases.search_results", "cases.new_case", "cases.break_glass",
            "cases.break_glass_reviews", "cases.review_break_glass"}
    assert mine <= {r.endpoint for r in rules}
    for endpoint in mine:
        assert set(access.policy_of(app, endpoint).removeprefix("roles:").split(",")) <= {"counsellor", "supervisor"}
    for role in ("coordinator", "auditor", "admin"):
        client = app.test_client()
        factories.login_as(client, make_user(role))
        token = _token(client)
        for rule in rules:
            policy = access.policy_of(app, rule.endpoint) or ""
            if role in re.split(r"[:,]", policy):
                continue
            url = _url(rule, uuid.uuid4())
            if "GET" in rule.methods:
                assert client.get(url).status_code == 404, f"{role} GET {rule.rule}"
            if "POST" in rule.methods:
                assert client.post(url, data={"csrf_token": token}).status_code == 404, f"{role} POST {rule.rule}"
