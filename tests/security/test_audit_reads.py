"""Every read of case data is on record, whatever the method (issue 12 §1, DESIGN.md §3.2).

The access decision is committed before the view runs, for every method, so a POST whose form is refused (422, the
page shown again with the case's content) is on record like a GET. An ``after_request`` guard refuses any response
while an audit event of the request is still uncommitted (fail closed).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import access, audit
from app.users.models import Role
from tests import factories
from tests.conftest import make_app
from tests.shelters.helpers import make_shelter, request_for

SECTIONS = {"safe_contacts": "Komşu Hatice", "code_word": "kırmızı şemsiye", "escape_route": "Mutfak kapısı",
            "safe_place": "Ablası", "documents_ready": "Kimlik çantada", "children_safety": "Okul bilgilendirildi",
            "digital_safety": "Konum paylaşımı kapalı", "workplace_school": "Güvenlik görevlisi"}


def _token(client: Any, url: str = "/") -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _rows_since(app: Flask, seq: int) -> list[tuple[str, str, str | None, str | None]]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.object_id,
                                            AuditEvent.case_number)
                                  .where(AuditEvent.seq > seq).order_by(AuditEvent.seq)).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _head(app: Flask) -> int:
    from app.audit import AuditHead
    from app.db import db

    with app.app_context():
        return int(db.session.scalar(sa.select(AuditHead.seq)) or 0)


def test_an_invalid_safety_plan_approval_is_on_record(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    """The reproduction: a supervisor POSTs approve with a bad date → 422 with every section → an audit row."""
    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor, risk_level="high")
    me, boss = app.test_client(), app.test_client()
    login_as(me, counsellor)
    login_as(boss, supervisor)
    url = f"/cases/{case.public_id}/safety-plan"
    assert me.post(url + "/edit", data={**SECTIONS, "csrf_token": _token(me)}).status_code == 302
    assert me.post(url + "/submit", data={"csrf_token": _token(me)}).status_code == 302
    token = _token(boss)
    for suffix, data in (("/approve", {"review_due_on": "notadate"}), ("/return", {"comments": "  "})):
        before = _head(app)
        r = boss.post(url + suffix, data={**data, "csrf_token": token})
        assert r.status_code == 422
        assert "kırmızı şemsiye" in r.get_data(as_text=True)  # the content did go out …
        action = "case.approve"
        assert (action, "success", str(case.public_id), case.number) in _rows_since(app, before), suffix  # … on record


def test_an_invalid_admission_is_on_record_with_the_case_number(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor, coordinator, supervisor = make_user("counsellor"), make_user("coordinator"), make_user("supervisor")
    case = make_case(counsellor, applicant_name="Gizli Nermin", children=(("Çocuk Deniz", "girl", 2018),))
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    request_id = request_for(app, case, shelter, counsellor)
    client = app.test_client()
    login_as(client, coordinator)
    before = _head(app)
    r = client.post(f"/shelters/{shelter.public_id}/requests/{request_id}/admit",
                    data={"starts_on": "notadate", "csrf_token": _token(client)})
    assert r.status_code == 422 and "Gizli" in r.get_data(as_text=True)
    rows = _rows_since(app, before)
    assert ("shelter.operate", "success", str(shelter.public_id), None) in rows
    assert ("shelter.resident-view", "success", str(request_id), case.number) in rows


# --- the sweep: every POST route that takes an object -----------------------------------------------------------


def _fill(rule: Any, values: dict[str, str]) -> str:
    url = rule.rule
    for name in rule.arguments:
        value = values.get(name, str(uuid.uuid4()))
        url = re.sub(rf"<(?:[^>:]+:)?{name}>", value, url)
    return url


def test_every_object_post_with_an_invalid_form_writes_an_audit_row(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """Walk ``app.url_map``: an allowed user POSTs an empty form (a valid CSRF token, nothing else) to every POST
    route whose policy loads an object; the object's access decision must be on record, whatever the answer."""
    counsellor, supervisor, coordinator = make_user("counsellor"), make_user("supervisor"), make_user("coordinator")
    stranger = make_user("counsellor")  # unassigned: the one who may break the glass
    case = make_case(counsellor, risk_level="high", children=(("Çocuk Ece", "girl", 2017),))
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    clients = {}
    for name, user in (("counsellor", counsellor), ("supervisor", supervisor), ("coordinator", coordinator),
                       ("stranger", stranger)):
        clients[name] = app.test_client()
        factories.login_as(clients[name], user)
    tokens = {name: _token(c) for name, c in clients.items()}
    values = {"case_id": str(case.public_id), "shelter_id": str(shelter.public_id)}
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()):
            continue
        policy = access.policy_of(app, rule.endpoint) or ""
        if not policy.startswith(("object:case:", "object:shelter:")):
            continue
        _, kind, action = policy.split(":")[:3]
        if kind == "case":
            who = "stranger" if action == "break-glass" else "supervisor"
            object_id = str(case.public_id)
        else:
            who = "supervisor" if action in ("approve", "manage") else "coordinator"
            object_id = str(shelter.public_id)
        before = _head(app)
        r = clients[who].post(_fill(rule, values), data={"csrf_token": tokens[who]})
        assert r.status_code != 500, (rule.rule, r.status_code)
        rows = _rows_since(app, before)
        assert any(a == f"{kind}.{action}" and o == "success" and oid == object_id for a, o, oid, _ in rows), \
            (rule.rule, r.status_code, rows)
        checked.append(rule.rule)
    assert len(checked) >= 40, checked


# --- the guard --------------------------------------------------------------------------------------------------


@pytest.fixture
def guarded_app(db_url: str, tmp_path: Any) -> Flask:
    application = make_app(db_url, tmp_path)

    @application.get("/forgetful")
    @access.roles(Role.COUNSELLOR)
    def forgetful():  # type: ignore[no-untyped-def]
        # A view that shows something and leaves its audit event uncommitted (the bug class this guard stops).
        audit.record("case.view", object_type="case", object_id="x", case_number="TST-2026-0001")
        return "Gizli içerik"

    @application.get("/careful")
    @access.roles(Role.COUNSELLOR)
    def careful():  # type: ignore[no-untyped-def]
        from app.db import db

        audit.record("case.view", object_type="case", object_id="y", case_number="TST-2026-0002")
        db.session.commit()
        return "ok"

    return application


def test_a_response_with_an_uncommitted_audit_event_is_refused(guarded_app: Flask, caplog) -> None:  # type: ignore[no-untyped-def]
    centre = factories.make_centre(guarded_app)
    user = factories.make_user(guarded_app, "counsellor", centre=centre)
    client = guarded_app.test_client()
    factories.login_as(client, user)
    before = _head(guarded_app)
    with caplog.at_level(logging.ERROR):
        r = client.get("/forgetful")
    assert r.status_code == 500
    assert "Gizli" not in r.get_data(as_text=True)
    assert "no-store" in r.headers["Cache-Control"] and "Content-Security-Policy" in r.headers
    assert "1 audit event(s) of GET forgetful were not committed" in caplog.text
    assert "TST-2026-0001" not in caplog.text  # logged without values
    assert _rows_since(guarded_app, before) == []  # and nothing half-done stays behind
    r = client.get("/careful")
    assert r.status_code == 200
    assert [row[3] for row in _rows_since(guarded_app, before)] == ["TST-2026-0002"]


# --- rows nested in a case ----------------------------------------------------------------------------------------


def test_every_nested_id_under_my_case_that_is_not_in_it_is_an_audited_404(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """Walk ``app.url_map``: under my own case, an id of something not in it (another case's note, goal, action,
    assessment, person, order, referral … — here ids that match nothing in this case) answers 404 and the denial
    is on record with that id, like a case of another centre (``access.deny``)."""
    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor)
    clients = {"counsellor": app.test_client(), "supervisor": app.test_client()}
    factories.login_as(clients["counsellor"], counsellor)
    factories.login_as(clients["supervisor"], supervisor)
    tokens = {name: _token(c) for name, c in clients.items()}
    checked = []
    for rule in app.url_map.iter_rules():
        nested = [a for a in rule.arguments - {"case_id"} if "UUID" in type(rule._converters[a]).__name__]  # noqa: SLF001
        policy = access.policy_of(app, rule.endpoint) or ""
        if not policy.startswith("object:case:") or not nested or policy.startswith("object:case:break-glass"):
            continue
        who = "counsellor" if policy.split(":")[2] in ("view", "edit", "close") else "supervisor"
        stray = {a: str(uuid.uuid4()) for a in nested}
        url = _fill(rule, {"case_id": str(case.public_id), **stray})
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            before = _head(app)
            r = clients[who].open(url, method=method, data={"csrf_token": tokens[who]} if method == "POST" else None)
            assert r.status_code == 404, (method, rule.rule, r.status_code)
            denied = [row for row in _rows_since(app, before) if row[1] == "denied"]
            assert any(row[2] in stray.values() for row in denied), (method, rule.rule, _rows_since(app, before))
            checked.append((method, rule.rule))
    assert len(checked) >= 15, checked


# --- pages that name residents outside a case page ----------------------------------------------------------------


def test_board_waitlist_and_coordinator_dashboard_name_the_cases_they_show(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The bed board, the waiting list and the coordinator's dashboard show first names (and a son's age-limit
    date): each page is one event naming the case numbers shown, as the case list does. So do the counsellor's and
    the supervisor's dashboards, which name applicants next to case numbers (one ``case.list`` event)."""
    import json
    from datetime import timedelta

    from app.dates import local_today
    from tests.shelters.helpers import admit

    counsellor, coordinator, supervisor = make_user("counsellor"), make_user("coordinator"), make_user("supervisor")
    staying = make_case(counsellor, applicant_name="Gizli Nermin")
    waiting = make_case(counsellor, applicant_name="Gizli Sevgül", tckn=None, phone=None)
    unrelated = make_case(counsellor, applicant_name="Gizli Başka", tckn=None, phone=None)
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    started = local_today() - timedelta(days=180)  # planned end in 3 days: an alert on the dashboard
    admit(app, shelter, request_for(app, staying, shelter, counsellor), coordinator, [0], started, today=started)
    request_for(app, waiting, shelter, counsellor)
    client = app.test_client()
    factories.login_as(client, coordinator)
    start = _head(app)

    def shown(url: str, action: str, name: str, reader: Any = None) -> list[str]:
        before = _head(app)
        r = (reader or client).get(url)
        assert r.status_code == 200 and name in r.get_data(as_text=True), url
        from app.audit import AuditEvent
        from app.db import db

        with app.app_context():
            details = db.session.scalars(sa.select(AuditEvent.details).where(
                AuditEvent.seq > before, AuditEvent.action == action)).all()
        assert len(details) == 1, (url, _rows_since(app, before))
        return list(json.loads(details[0] or "{}")["cases"])

    assert shown(f"/shelters/{shelter.public_id}", "shelter.board", "Gizli") == [staying.number]
    assert shown(f"/shelters/{shelter.public_id}/waitlist", "shelter.waitlist", "Gizli") == [waiting.number]
    assert shown("/", "shelter.dashboard", "Gizli") == [staying.number]
    assert unrelated.number not in str(_rows_since(app, start))
    # The counsellor's dashboard names her open cases' applicants (issue 16): one case.list event names them all.
    mine = app.test_client()
    factories.login_as(mine, counsellor)
    assert sorted(shown("/", "case.list", "Gizli", mine)) == sorted([staying.number, waiting.number,
                                                                      unrelated.number])
    # The supervisor's names only the cases of break-glass grants to review: none here, so no name at all.
    theirs = app.test_client()
    factories.login_as(theirs, supervisor)
    assert "Gizli" not in theirs.get("/").get_data(as_text=True)


# --- the auditor's per-case access report -------------------------------------------------------------------------


def test_the_auditor_reads_a_case_access_report_by_number_without_content(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, auditor = make_user("counsellor"), make_user("auditor")
    case = make_case(counsellor, applicant_name="Gizli Nermin")
    other = factories.make_centre(app)
    theirs = factories.make_case(app, factories.make_user(app, "counsellor", centre=other),
                                 applicant_name="Gizli Başka", tckn=None, phone=None)
    c = app.test_client()
    factories.login_as(c, counsellor)
    assert c.get(f"/cases/{case.public_id}").status_code == 200
    client = app.test_client()
    factories.login_as(client, auditor)
    assert case.number in client.get(f"/audit/?case_number={case.number}").get_data(as_text=True)
    r = client.get(f"/cases/access-report?number={case.number}")
    assert r.status_code == 302
    before = _head(app)
    page = factories.page(client, r.headers["Location"])
    html = page.get_data(as_text=True)
    assert counsellor.email in html and "case.view" in html and case.number in html
    assert "Gizli" not in html and "Back to the audit log" in html
    assert ("case.access-report", "success", str(case.public_id), case.number) in _rows_since(app, before)
    # the case itself stays closed to her; another centre's number is the same audited 404 as none
    assert client.get(f"/cases/{case.public_id}").status_code == 404
    before = _head(app)
    assert client.get(f"/cases/access-report?number={theirs.number}").status_code == 404
    assert client.get("/cases/access-report?number=YOK-2026-0001").status_code == 404
    assert [row[:2] for row in _rows_since(app, before)] == [("case.access-report", "denied")] * 2


# --- key operations -----------------------------------------------------------------------------------------------


def test_key_operations_write_audit_events_success_or_failure(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    before = _head(app)
    assert runner.invoke(args=["keys", "add-index-epoch"]).exit_code == 0
    assert runner.invoke(args=["keys", "add-kek"]).exit_code == 0
    assert runner.invoke(args=["keys", "activate-kek", "2"]).exit_code == 0
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    assert runner.invoke(args=["keys", "retire", "99"]).exit_code != 0  # no such KEK: refused, and on record
    rows = [(a, o) for a, o, _, _ in _rows_since(app, before) if a.startswith("keys.")]
    assert rows == [("keys.add-index-epoch", "success"), ("keys.add-kek", "success"), ("keys.activate-kek", "success"),
                    ("keys.rotate", "success"), ("keys.retire", "failure")]
    with app.app_context():
        from app.audit import AuditEvent
        from app.db import db

        details = db.session.scalar(sa.select(AuditEvent.details).where(AuditEvent.action == "keys.activate-kek"))
        assert details == '{"kek_id": 2}'
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None
        db.session.rollback()


def test_every_object_get_page_writes_its_access_row(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """Walk ``app.url_map``: every GET page of a case or a shelter, opened by an allowed user, puts the object's access
    decision on record before it answers (whatever it answers: a nested id that matches nothing is a 404)."""
    counsellor, supervisor, coordinator = make_user("counsellor"), make_user("supervisor"), make_user("coordinator")
    case = make_case(counsellor, risk_level="high")
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    clients = {}
    for name, user in (("supervisor", supervisor), ("coordinator", coordinator)):
        clients[name] = app.test_client()
        factories.login_as(clients[name], user)
    values = {"case_id": str(case.public_id), "shelter_id": str(shelter.public_id)}
    checked = []
    for rule in app.url_map.iter_rules():
        policy = access.policy_of(app, rule.endpoint) or ""
        if "GET" not in (rule.methods or ()) or not policy.startswith(("object:case:", "object:shelter:")):
            continue
        _, kind, action = policy.split(":")[:3]
        if action == "break-glass":
            continue  # the unassigned counsellor's door: covered in tests/cases/test_break_glass.py
        who = "supervisor" if kind == "case" or action in ("approve", "manage") else "coordinator"
        object_id = values[f"{kind}_id"]
        before = _head(app)
        r = clients[who].get(_fill(rule, values))
        assert r.status_code in (200, 302, 404), (rule.rule, r.status_code)
        assert any(a == f"{kind}.{action}" and o == "success" and oid == object_id
                   for a, o, oid, _ in _rows_since(app, before)), rule.rule
        checked.append(rule.rule)
    assert len(checked) >= 25, checked
