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


def _row_counts() -> dict[str, int]:
    from app.db import db

    names = sorted(set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"})
    # a bare connection: the app's session hooks expect today's schema; closed, so no lock is left behind for the
    # migration's ALTER TABLE (PostgreSQL)
    with db.engine.connect() as conn:
        return {name: conn.scalar(sa.text(f'SELECT count(*) FROM "{name}"')) or 0 for name in names}  # noqa: S608


@pytest.mark.parametrize("target", ["0017b", "0007"])
def test_downgrade_and_upgrade_keep_the_rows(app, make_user, make_case, target: str) -> None:  # type: ignore[no-untyped-def]
    """Down to ``target`` and back up with a populated database: every table that exists at ``target`` keeps its
    rows both ways, the data still decrypts, and the audit chain (whose events gained a key version) still verifies.
    ``0017b`` undoes the audit hardening (break-glass reasons re-encrypted) and everything after it; ``0007`` every
    revision after the first schema."""
    from flask_migrate import downgrade, upgrade

    from app import audit
    from app.db import db
    from cases.core.models import BreakGlassGrant, Case
    from cases.notes.models import ContactNote
    from tests import factories
    from tests.cases.core_helpers import post

    owner, colleague = make_user("counsellor"), make_user("counsellor")
    case = make_case(owner, applicant_name="Gülşen Öztürk", children=(("Çocuk Ece", "girl", 2017),))
    c = app.test_client()
    factories.login_as(c, owner)
    url = f"/cases/{case.public_id}/notes"
    assert post(c, url, {"kind": "social", "occurred_on": "2026-11-01", "text": "Görüşme GİZLİ-NOT"},
                token_url=f"/cases/{case.public_id}").status_code == 302
    other = app.test_client()
    factories.login_as(other, colleague)
    assert post(other, "/cases/break-glass", {"number": case.number, "category": "colleague-absent",
                                              "reason": "Danışmanı izinde"},
                token_url="/cases/break-glass").status_code == 302
    assert other.get(f"/cases/{case.public_id}").status_code == 200
    with app.app_context():
        full = _row_counts()
        downgrade(revision=target)
        low = _row_counts()
        kept = {name: full[name] for name in low}
        assert low == kept, "the downgrade lost rows"
        assert low["audit_events"] > 5 and low["contact_notes"] >= 1
        upgrade(revision="heads")
        db.session.remove()
        again = _row_counts()
        new_events = [tuple(r) for r in db.session.execute(sa.text(
            "SELECT action, object_type FROM audit_events WHERE seq > :s ORDER BY seq"), {"s": kept["audit_events"]})]
        db.session.rollback()
        assert {name: again[name] for name in low} == {**kept, "audit_events": again["audit_events"]}, \
            "the upgrade lost rows"
        # the only events added: 0012a's re-encryption of the break-glass reason, on record as a change
        assert new_events == [("data.break_glass_grants.update", "break_glass_grants")], new_events
        applicant = db.session.get(Case, case.id).applicant  # type: ignore[union-attr]
        assert applicant is not None and applicant.full_name == "Gülşen Öztürk"
        assert db.session.scalars(sa.select(ContactNote)).one().text == "Görüşme GİZLİ-NOT"
        grant = db.session.scalars(sa.select(BreakGlassGrant)).one()
        assert grant.reason == "Danışmanı izinde"
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_keys"]) is None
        db.session.rollback()
    assert c.get(f"/cases/{case.public_id}").status_code == 200  # the app works on the round-tripped database
