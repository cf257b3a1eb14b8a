"""The app's database role cannot rewrite the audit log (DESIGN.md §3.8, issue 12 §2; ``app/db_roles.py``).

PostgreSQL, for real: the migrations run as the owner, the app connects as a role that owns nothing and may only
SELECT/INSERT audit events and move the head's two columns. SQLite has no roles: there the triggers stop the app's
own statements but not someone who can write the file (they can drop the triggers); the anchors outside the
database are what detects that (tests/security/test_audit_chain.py). The SQLite halves below pin exactly that.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from app import audit
from app.db import db
from app.db_roles import AppRoleError, audit_role_problems, grant_app_role
from tests import factories
from tests.conftest import make_app


def _role_url(db_url: str, role: str) -> str:
    return make_url(db_url).set(username=role).render_as_string(hide_password=False)


def _new_role(app: Flask, *, grant: bool = True) -> str:
    role = f"dayanisma_app_{uuid.uuid4().hex[:10]}"
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        if grant:
            grant_app_role(conn, role)
    return role


def _run_as(url: str, statement: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def app_role_url(app: Flask, db_url: str, backend: str) -> str:
    assert backend == "postgresql", "roles exist on PostgreSQL only: mark the test only_postgresql"
    with app.app_context():
        audit.record("test.seed", actor=audit.SYSTEM)
        db.session.commit()
    return _role_url(db_url, _new_role(app))


TAMPERING = [
    "UPDATE audit_events SET reason = 'x' WHERE seq = 1",
    "DELETE FROM audit_events WHERE seq = 1",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "DELETE FROM audit_head",
    "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, 'x')",
    "TRUNCATE audit_head",
    "DROP TABLE audit_events",
]


@pytest.mark.only_postgresql
@pytest.mark.parametrize("statement", TAMPERING)
def test_the_app_role_cannot_rewrite_the_audit_log(app_role_url: str, statement: str) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
        _run_as(app_role_url, statement)


@pytest.mark.only_postgresql
def test_the_whole_app_runs_as_the_app_role(app_role_url: str, tmp_path: Path) -> None:
    """The grants are enough for real work: sign in, open a case, read her page; every event is chained."""
    app = make_app(app_role_url, tmp_path, AUDIT_ROLE_CHECK=True)  # and the start-up check accepts the role
    centre = factories.make_centre(app)
    counsellor = factories.make_user(app, "counsellor", centre=centre)
    case = factories.make_case(app, counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    assert client.get(f"/cases/{case.public_id}").status_code == 200
    with app.app_context():
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None
        assert audit_role_problems(db.session.connection()) == []
        db.session.rollback()
        db.engine.dispose()


def test_start_up_refuses_a_role_that_can_rewrite_the_log(app: Flask, db_url: str, backend: str,
                                                          tmp_path: Path) -> None:
    if backend != "postgresql":
        # SQLite: nothing to check (no roles); the app starts and says so in its log.
        make_app(db_url, tmp_path, AUDIT_ROLE_CHECK=True)
        with app.app_context(), db.engine.connect() as conn:
            assert audit_role_problems(conn) == []
        return
    # the suite's superuser owns the tables: the very situation issue 12 reproduced
    with pytest.raises(AppRoleError, match="superuser.*owns audit_events"):
        make_app(db_url, tmp_path, AUDIT_ROLE_CHECK=True)
    role = _new_role(app)
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(f'GRANT TRUNCATE, DELETE ON audit_events TO "{role}"'))
    with pytest.raises(AppRoleError, match="holds DELETE on audit_events; .* holds TRUNCATE on audit_events"):
        make_app(_role_url(db_url, role), tmp_path, AUDIT_ROLE_CHECK=True)


def test_truncate_is_refused_even_for_the_owner(app: Flask, backend: str) -> None:
    """Row triggers do not fire on TRUNCATE; the statement trigger of migration 0012a does. SQLite has no TRUNCATE:
    a DELETE without WHERE (its "truncate optimisation") meets the row trigger instead."""
    with app.app_context():
        audit.record("test.seed", actor=audit.SYSTEM)
        db.session.commit()
    statement = "TRUNCATE audit_events" if backend == "postgresql" else "DELETE FROM audit_events"
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text(statement))


@pytest.mark.only_sqlite  # PostgreSQL: the app role cannot drop triggers (test_the_app_role_cannot_rewrite_…)
def test_sqlite_triggers_do_not_stop_whoever_holds_the_file(app: Flask, backend: str) -> None:
    """Written down, not hidden: on SQLite anyone with the file drops the triggers; only the anchors detect it."""
    with app.app_context():
        audit.record("test.seed", actor=audit.SYSTEM)
        db.session.commit()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(sa.text("DELETE FROM audit_events"))
            conn.execute(sa.text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": audit.GENESIS_HASH})
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None  # "intact, 0"
        db.session.rollback()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "anchored event seq 1" in result.output


def test_migrating_as_the_owner_grants_the_app_role(pg_server: Any, tmp_path: Path) -> None:
    """`flask db upgrade` with DATABASE_OWNER_URL: the owner creates (and owns) every table, then the app role
    (the user of DATABASE_URL) is granted exactly what app/db_roles.py lists — on a brand-new database."""
    if pg_server is None:
        pytest.skip("PostgreSQL not available")
    from flask_migrate import upgrade

    owner_url = pg_server.create_database(f"owner_{uuid.uuid4().hex[:10]}")
    owner_app = make_app(owner_url, tmp_path)
    role = _new_role(owner_app, grant=False)
    app_url = _role_url(owner_url, role)
    app = make_app(app_url, tmp_path, DATABASE_OWNER_URL=owner_url)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()
    for statement in ("TRUNCATE audit_events", "DELETE FROM audit_events", "ALTER TABLE cases ADD COLUMN x int"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
            _run_as(app_url, statement)
    checked = make_app(app_url, tmp_path, AUDIT_ROLE_CHECK=True)  # starts: the role passes the check
    with checked.app_context():
        audit.record("test.first", actor=audit.SYSTEM)
        db.session.commit()
        assert audit.verify_chain(db.session(), checked.extensions["dayanisma.audit_key"]) is None
        db.session.rollback()
        db.engine.dispose()
    with owner_app.app_context():
        db.engine.dispose()
