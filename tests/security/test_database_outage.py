"""A database outage gets a page we meant to send (DESIGN.md §3.10): a real PostgreSQL is stopped and started under a
running app; meanwhile every request gets the static, translated 503 with every security header and Retry-After, the
log gets one line per failure, and the app recovers by itself (same session) when the database is back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.security_headers import CSP
from tests.conftest import _migrate, make_app
from tests.factories import login_as
from tests.pgserver import PostgresServer, memory_dir


@pytest.fixture
def outage_server(pg_server):  # type: ignore[no-untyped-def]
    if pg_server is None:
        pytest.skip("PostgreSQL not available")
    server = PostgresServer(directory=memory_dir())  # its own server: stopping it must not disturb the suite
    server.start()
    yield server
    server.stop()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_database_outage_answers_a_static_503_and_recovers(outage_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests import factories
    from tests.app.test_translations import _compile_if_needed

    _compile_if_needed()  # the Turkish page is checked below
    url = outage_server.create_database("outage")
    _migrate(url, tmp_path)
    app = make_app(url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    user = factories.make_user(app, "counsellor", centre=factories.make_centre(app))
    client = app.test_client()
    login_as(client, user)
    assert client.get("/").status_code == 200

    outage_server.pause()
    try:
        # (the migrations' logging setup replaced the root handlers, so listen on the app's and SQLAlchemy's loggers)
        log = _Records()
        for name in (app.logger.name, "sqlalchemy", "werkzeug"):
            logging.getLogger(name).addHandler(log)
        pages = [client.get("/"), client.get("/cases/"), client.get("/no-such-page"),
                 client.get("/", headers={"Accept-Language": "tr"}), app.test_client().get("/login")]
        for r in pages[:4]:
            assert r.status_code == 503
            assert r.headers["Retry-After"].isdigit()
            assert r.headers["Content-Security-Policy"] == CSP
            assert "no-store" in r.headers["Cache-Control"] and r.headers["X-Frame-Options"] == "DENY"
            assert "<title>" in r.get_data(as_text=True)
        assert "briefly unavailable" in pages[0].get_data(as_text=True)
        assert 'lang="tr"' in pages[3].get_data(as_text=True) and "kısa bir süre" in pages[3].get_data(as_text=True)
        assert pages[4].status_code in (200, 503)  # the sign-in form needs no database
        errors = [rec for rec in log.records if rec.levelno >= logging.ERROR]
        assert len(errors) == 4 and all("database unavailable" in rec.getMessage() for rec in errors)
        assert all(rec.exc_info is None for rec in errors)
        assert sum(len(rec.getMessage()) for rec in log.records) < 2000  # not ~60 KB of tracebacks a failure
        assert client.get("/healthz").status_code == 503
    finally:
        outage_server.resume()
        for name in (app.logger.name, "sqlalchemy", "werkzeug"):
            logging.getLogger(name).removeHandler(log)
    # back by itself: the same browser, the same session
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200
