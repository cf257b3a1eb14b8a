"""The per-request costs P4 (DESIGN.md §7) depends on, pinned so they do not creep back:

* the audit chain head is locked for as few statements as possible (UPDATE … RETURNING, UPDATE hash, INSERT) and
  nothing but the commit follows the lock on an audited read;
* committing an audited read does not expire what the request loaded (the user, her centre and the case are not
  reloaded after the event is on record) — and the event is still committed before the page is built;
* template ``_()`` looks the catalogue up once per request but still follows ``force_locale``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask_babel import force_locale

from app import audit
from app.db import db
from tests import factories


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement and COMMIT the app's engine runs inside the block, in order."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    def on_commit(conn: Any) -> None:
        seen.append("COMMIT")

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine, "commit", on_commit)


def test_record_locks_the_head_with_one_update_returning(app: Flask, backend: str) -> None:
    actor = audit.Actor("6f1c1b0e-0000-4000-8000-000000000001", "a@example.org", "counsellor", "BYK")
    with app.app_context():
        with _statements(app) as seen:
            first = audit.record("cases.view", actor=actor, object_type="cases", object_id="x")
            second = audit.record("cases.view", actor=actor, object_type="cases", object_id="y")
            db.session.commit()
        assert (first.seq + 1, first.hash) == (second.seq, second.prev_hash)
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None
        db.session.rollback()
    head = [s for s in seen if "audit_head" in s or "audit_events" in s]
    # Per event: the locking UPDATE that returns seq and the predecessor's hash, then the UPDATE of the hash and
    # the INSERT of the event: one statement on PostgreSQL (a data-modifying WITH), two on SQLite.
    per_event = 2 if backend == "postgresql" else 3
    assert len(head) == 2 * per_event, head
    assert "RETURNING" in head[0] and "RETURNING" in head[per_event]
    for first in (0, per_event):
        rest = " ".join(head[first + 1:first + per_event])
        assert "UPDATE audit_head SET hash" in rest and "INSERT INTO audit_events" in rest, rest
    if backend == "postgresql":
        assert head[1].startswith("WITH head_update AS") and "INSERT INTO audit_events" in head[1], head[1]
    assert not any(s.startswith("SELECT") for s in head)


def test_audited_case_read_is_committed_first_and_nothing_is_reloaded(  # type: ignore[no-untyped-def]
        app, client, make_user, make_case, page, backend) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    factories.login_as(client, counsellor)
    with _statements(app) as seen:
        html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Gülşen Öztürk" in html
    insert = next(i for i, s in enumerate(seen) if "INSERT INTO audit_events" in s)
    commit = seen.index("COMMIT", insert)
    # SECURITY: the read is on record before any of the case's people (the decrypted data) are loaded.
    assert not any("FROM persons" in s for s in seen[:commit]), seen[:commit]
    assert any("FROM persons" in s for s in seen[commit:])
    # The lock is taken last: between the locking UPDATE and the COMMIT only the chain's own statements run.
    lock = min(i for i, s in enumerate(seen[:insert]) if s.startswith("UPDATE audit_head") and "RETURNING" in s)
    assert all("audit_" in s for s in seen[lock:commit]), seen[lock:commit]
    # Not expired by the commit: the user, her centre and the case are not selected again by primary key.
    after = seen[commit + 1:]
    for table in ("users", "centres", "cases"):
        assert not any(s.startswith("SELECT") and f"FROM {table} WHERE {table}.id =" in s for s in after), \
            (table, after)


def test_template_gettext_is_per_request_and_follows_force_locale(app: Flask) -> None:
    template = "{{ _('Cases') }}|{{ _('Sign out') }}"
    with app.test_request_context("/", headers={"Accept-Language": "tr"}):
        turkish = render_template_string(template)
        with force_locale("en"):
            english = render_template_string(template)
        again = render_template_string(template)
    assert turkish == "Dosyalar|Çıkış yap"
    assert english == "Cases|Sign out"
    assert again == turkish


def test_the_case_list_does_not_reload_each_listed_case_after_its_audit_commit(app: Flask, make_user: Any,
                                                                               make_case: Any) -> None:
    counsellor = make_user("counsellor")
    numbers = [make_case(counsellor, applicant_name=f"Ayşe Işık {i}", tckn=None, phone=None).number for i in range(4)]
    client = app.test_client()
    factories.login_as(client, counsellor)
    with _statements(app) as seen:
        html = client.get("/cases/").get_data(as_text=True)
    assert all(number in html for number in numbers) and "Ayşe Işık 3" in html
    assert "COMMIT" in seen
    after = seen[len(seen) - seen[::-1].index("COMMIT"):]  # after the listing's (last) commit
    # One case row per listed case after the commit would mean the page reloads them one by one.
    per_case = [s for s in after if s.startswith("SELECT cases.") and "WHERE cases.id =" in s]
    assert per_case == [], per_case
