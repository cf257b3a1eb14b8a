"""Two PostgreSQL roles: the owner that runs migrations, and the app role that cannot rewrite the audit log.

DESIGN.md §3.8: someone holding the app's database credentials must not be able to update, delete or truncate audit
rows, nor drop or disable the triggers that refuse it. In PostgreSQL only a table's owner (or a superuser) may
``ALTER``/``DROP`` it or its triggers, so the app role owns nothing and holds, on the audit log:

* ``audit_events``: ``SELECT`` and ``INSERT`` only (no ``UPDATE``/``DELETE``/``TRUNCATE``);
* ``audit_head``: ``SELECT`` and ``UPDATE (seq, hash)`` only (the one row it moves forward; it cannot delete or add
  one). Winding the head back without deleting rows shows as "event beyond the chain head" in ``audit verify``.
* ``audit_checkpoints``: ``SELECT`` only. Expiring old events (a checkpoint, then the deletion the triggers allow
  behind it) runs as the owner (``DATABASE_OWNER_URL``, ``app/audit_expiry.py``).

Every other table: ``SELECT, INSERT, UPDATE, DELETE`` (no ``TRUNCATE``, no DDL). These are plain functions so the
deployment (issue 19) can call them too:

* ``grant_app_role(connection, role)`` — run as the owner; idempotent. ``migrations/env.py`` runs it after every
  ``flask db upgrade`` when ``DATABASE_OWNER_URL`` is set (the role is the user of ``DATABASE_URL``), so new tables
  are granted as they appear.
* ``audit_role_problems(connection)`` — what is wrong with the *connected* role; the production start-up check
  (``check_app_role``) refuses to start unless the list is empty.

SQLite has no roles: whoever can write the database file can do anything to it, triggers included. There the
anchors that leave the database (``app/audit_anchors.py``) are the only defence, and the check reports nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

# Tables whose rows the app must never change or remove once written.
APPEND_ONLY = "audit_events"
HEAD = "audit_head"
CHECKPOINTS = "audit_checkpoints"


class AppRoleError(RuntimeError):
    """The app's database role could rewrite the audit log: refuse to run."""


def _quote(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def grant_app_role(connection: sa.Connection, role: str, schema: str = "public") -> None:
    """Give ``role`` what the app needs and nothing more (run as the owner, in the migration's transaction)."""
    if connection.dialect.name != "postgresql":
        return
    r, s = _quote(connection, role), _quote(connection, schema)
    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE CREATE ON SCHEMA {s} FROM {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        # SECURITY: the audit log is append-only for the app; the head moves forward only through its two columns.
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {APPEND_ONLY} FROM {r}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {HEAD} FROM {r}",
        f"GRANT UPDATE (seq, hash) ON {HEAD} TO {r}",
        # Expired events are cut behind a checkpoint by the owner only (the expiry needs DATABASE_OWNER_URL).
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {CHECKPOINTS} FROM {r}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ):
        connection.execute(sa.text(statement))


def audit_role_problems(connection: sa.Connection) -> list[str]:
    """Why the connected role could rewrite the audit log (empty: it cannot, or there is nothing to protect yet)."""
    if connection.dialect.name != "postgresql":
        return []
    if connection.scalar(sa.text("SELECT to_regclass(:t) IS NULL"), {"t": APPEND_ONLY}):
        return []  # not migrated yet: `flask db upgrade` (as the owner) must be able to run
    problems = []
    row = connection.execute(sa.text(
        "SELECT r.rolsuper, pg_has_role(current_user, c.relowner, 'MEMBER') AS owns "
        "FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = CAST(:t AS regclass)"
    ), {"t": APPEND_ONLY}).one()
    if row.rolsuper:
        problems.append("the app's database role is a superuser")
    if row.owns:
        problems.append(f"the app's database role owns {APPEND_ONLY} (or is a member of its owner)")
    for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
        if connection.scalar(sa.text("SELECT has_table_privilege(current_user, CAST(:t AS regclass), :p)"),
                             {"t": APPEND_ONLY, "p": privilege}):
            problems.append(f"the app's database role holds {privilege} on {APPEND_ONLY}")
    if connection.scalar(sa.text("SELECT has_table_privilege(current_user, CAST(:t AS regclass), 'DELETE')"),
                         {"t": HEAD}):
        problems.append(f"the app's database role holds DELETE on {HEAD}")
    if connection.scalar(sa.text("SELECT has_table_privilege(current_user, to_regclass(:t), 'INSERT')"),
                         {"t": CHECKPOINTS}):
        problems.append(f"the app's database role holds INSERT on {CHECKPOINTS}")
    return problems


def check_app_role(app: Flask) -> None:
    """Start-up check (``AUDIT_ROLE_CHECK``, on in production): refuse to run as a role that can rewrite the log."""
    from app.db import db

    with app.app_context(), db.engine.connect() as connection:
        problems = audit_role_problems(connection)
        if connection.dialect.name != "postgresql":
            app.logger.warning("SQLite has no database roles: the audit log is protected by its anchors only")
    if problems:
        raise AppRoleError("Refusing to start: " + "; ".join(problems) + ". Run migrations as the owner role "
                           "(DATABASE_OWNER_URL) and connect the app as its own role (README, operations).")
