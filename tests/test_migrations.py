"""Migrations: upgrade from empty, match the models, downgrade to nothing and upgrade again (both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import make_app


def _diff(app) -> list:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.model_registry import all_metadata

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, all_metadata())


def test_upgrade_downgrade_upgrade_matches_models(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path)
    with app.app_context():
        from app.db import db

        assert _diff(app) == [], "models and migrations differ: run `flask db migrate`"
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(), f"downgrade left tables behind: {tables}"
        upgrade(revision="heads")
        assert _diff(app) == []
        head = db.session.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
        assert head.seq == 0 and head.hash == "0" * 64
        db.session.remove()
        db.engine.dispose()


def test_audit_events_are_append_only_in_the_database(app, backend: str) -> None:
    from app import audit
    from app.db import db

    with app.app_context():
        audit.record("test.event", actor=audit.SYSTEM)
        db.session.commit()
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        assert db.session.scalar(sa.text("SELECT action FROM audit_events")) == "test.event"
