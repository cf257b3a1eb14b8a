"""The rate limiter's storage (Redis) unreachable (issue 12): fail closed, on record, never a hang or a 500.

Counting is what slows an insider scripting through case files (app/throttle.py) and a password guesser; if Redis
goes away, a sign-in, a case read or a search must not go uncounted. Each is answered by a static 503 in the reader's
language with ``Retry-After``, an ``access.store-unavailable`` audit event names who and which endpoint, and the log
gets one line without values. A silent Redis (accepts, never answers) costs at most the 2 s socket timeout.

Note: Flask-Limiter's ``limiter`` is one module-level object shared by every app instance; ``init_app`` points it at
the newest app's storage. These tests therefore build the app with the dead storage *last*, and the next test's app
points it back.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.security_headers import CSP
from tests import factories
from tests.conftest import make_app


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:  # a port nobody listens on: connection refused at once
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers a byte."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _dead_store_client(app, db_url: str, tmp_path: Path, port: int, client):  # type: ignore[no-untyped-def]
    """An app like ``app`` (same database, keys and secret) whose limiter storage is Redis on ``port``; a client of
    it carrying ``client``'s (server-side) session."""
    dead = make_app(db_url, tmp_path, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
                    PROPAGATE_EXCEPTIONS=False)
    other = dead.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name, domain="localhost")
    assert cookie is not None
    other.set_cookie(name, cookie.value, domain="localhost")
    return dead, other


def _events(app) -> list[tuple[str, str | None, str, str | None]]:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_email, AuditEvent.outcome,
                                            AuditEvent.details)
                                  .where(AuditEvent.action == "access.store-unavailable")
                                  .order_by(AuditEvent.seq)).all()
        db.session.rollback()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_redis_unreachable_is_a_clear_audited_503(app, db_url, tmp_path, make_user, make_case,  # type: ignore[no-untyped-def]
                                                   closed_port) -> None:
    from tests.app.test_translations import _compile_if_needed

    _compile_if_needed()  # the Turkish page is checked below
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Nurcan Kaçar")
    client = app.test_client()
    factories.login_as(client, counsellor)
    dead, other = _dead_store_client(app, db_url, tmp_path, closed_port, client)
    log = _Records()
    dead.logger.addHandler(log)
    try:
        started = time.monotonic()
        pages = [other.get(f"/cases/{case.public_id}"),
                 other.get(f"/cases/{case.public_id}", headers={"Accept-Language": "tr"})]
        elapsed = time.monotonic() - started
    finally:
        dead.logger.removeHandler(log)
    for r in pages:
        assert r.status_code == 503
        assert r.headers["Retry-After"].isdigit() and int(r.headers["Retry-After"]) > 0
        assert r.headers["Content-Security-Policy"] == CSP and "no-store" in r.headers["Cache-Control"]
        assert "Nurcan" not in r.get_data(as_text=True)  # the case was not read uncounted
    assert "protect sign-ins and case files" in pages[0].get_data(as_text=True)
    assert 'lang="tr"' in pages[1].get_data(as_text=True)
    assert "oturum açmaları ve vaka dosyalarını korumak" in pages[1].get_data(as_text=True)
    assert elapsed < 4  # refused at once, not hung
    events = _events(app)
    assert len(events) == 2 and all(e[1] == counsellor.email and e[2] == "denied" for e in events)
    assert "cases.view_case" in (events[0][3] or "")
    errors = [rec for rec in log.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 2 and all("rate-limit storage unavailable" in rec.getMessage() for rec in errors)
    assert all(rec.exc_info is None and str(case.public_id) not in rec.getMessage() for rec in errors)

    # a sign-in is counted too: refused, not let through uncounted
    anonymous = dead.test_client()
    token = factories.csrf_token(anonymous, "/login")
    r = anonymous.post("/login", data={"email": counsellor.email, "password": "wrong", "csrf_token": token})
    assert r.status_code == 503 and len(_events(app)) == 3


def test_a_silent_redis_costs_the_socket_timeout_not_a_hung_worker(app, db_url, tmp_path, make_user,  # type: ignore[no-untyped-def]
                                                                   make_case, silent_port) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    dead, other = _dead_store_client(app, db_url, tmp_path, silent_port, client)
    assert dead.config["RATELIMIT_STORAGE_OPTIONS"]["socket_timeout"] == 2
    started = time.monotonic()
    r = other.get(f"/cases/{case.public_id}")
    elapsed = time.monotonic() - started
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
    assert 1.5 <= elapsed < 6, elapsed  # waited for the timeout (2 s per attempt), then gave up
    assert len(_events(app)) == 1
