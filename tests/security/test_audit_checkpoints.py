"""Old audit events expire behind a signed checkpoint (issue 17, ``app/audit_expiry.py``).

The expiry deletes the events that occurred before a cut-off except those of cases still held, records the chain head
at the cut in a checkpoint signed with the audit key, and ``verify`` starts from it. What must still be caught: a
forged, edited or removed checkpoint, a kept event deleted or edited, a deletion after the cut; and the database
itself still refuses any DELETE past the newest checkpoint and every UPDATE.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import audit
from app.audit import AuditCheckpoint
from app.db import db, utcnow
from tests.security.test_audit_chain import ACTOR, _anchor_every_event, _cli_verify, _sql, _unlock, _verify

HELD = "BYK-2026-0002"  # a case still held: its events stay however old they are
OLD = 8  # events written "four years ago"


def _record_at(app: Flask, when: datetime, n: int, *, start: int = 0, monkeypatch: Any) -> None:
    monkeypatch.setattr(audit, "utcnow", lambda: when)
    try:
        with app.app_context():
            for i in range(start, start + n):
                audit.record("cases.view", actor=ACTOR, object_type="cases",
                             object_id=f"00000000-0000-4000-8000-{i:012d}",
                             case_number=HELD if i % 3 == 1 else (None if i % 3 == 2 else f"BYK-2025-{i:04d}"))
                db.session.commit()
    finally:
        monkeypatch.undo()


def _keep() -> sa.Select[Any]:
    return sa.select(sa.literal(HELD))


def _expire(app: Flask, before: datetime) -> Any:
    from app.audit_expiry import expire_events

    with app.app_context():
        return expire_events(before=before, keep=_keep(), actor=audit.SYSTEM)


def _seqs(app: Flask) -> list[int]:
    return [s for (s,) in _sql(app, "SELECT seq FROM audit_events ORDER BY seq")]


@pytest.fixture
def expired(app: Flask, monkeypatch: Any) -> dict[str, Any]:
    """OLD events four years ago (a third of them about the held case), 4 recent ones; then an expiry at 3 years."""
    _anchor_every_event(app)
    _record_at(app, utcnow() - timedelta(days=4 * 365), OLD, monkeypatch=monkeypatch)
    _record_at(app, utcnow(), 4, start=OLD, monkeypatch=monkeypatch)
    held = [s for (s,) in _sql(app, "SELECT seq FROM audit_events WHERE case_number = :n ORDER BY seq", n=HELD)
            if s <= OLD]
    result = _expire(app, utcnow() - timedelta(days=3 * 365))
    return {"result": result, "held_old": held}


def test_old_events_go_behind_a_signed_checkpoint_and_the_log_still_verifies(app: Flask,
                                                                             expired: dict[str, Any]) -> None:
    result, held = expired["result"], expired["held_old"]
    assert result.checkpoint_seq == OLD
    assert result.kept == len(held) == 3 and result.deleted == OLD - 3
    seqs = _seqs(app)
    assert [s for s in seqs if s <= OLD] == held                       # only the held case's old events stay
    assert [s for s in seqs if s > OLD] == list(range(OLD + 1, OLD + 6))  # the recent ones and audit.expire
    expire_row = _sql(app, "SELECT action, details FROM audit_events WHERE seq = :s", s=OLD + 5)[0]
    assert expire_row[0] == "audit.expire" and '"deleted": 5' in expire_row[1]
    assert _verify(app) is None
    # The anchors written for the deleted events (every event is anchored here) no longer break the CLI.
    code, output = _cli_verify(app)
    assert code == 0, output
    assert f"cut at seq {OLD} behind a signed checkpoint, 3 kept before it" in output


def test_a_forged_or_edited_checkpoint_is_detected(app: Flask, expired: dict[str, Any]) -> None:
    for column, value in (("kept_count", 2), ("seq", OLD - 1), ("deleted", 9), ("kept_digest", "0" * 64),
                          ("hash", "1" * 64), ("signature", "2" * 64)):
        (original,) = _sql(app, f"SELECT {column} FROM audit_checkpoints")[0]  # noqa: S608
        _sql(app, f"UPDATE audit_checkpoints SET {column} = :v", v=value)  # noqa: S608
        broken = _verify(app)
        assert broken is not None and "checkpoint" in broken.problem, column
        _sql(app, f"UPDATE audit_checkpoints SET {column} = :v", v=original)  # noqa: S608
        assert _verify(app) is None


def test_a_checkpoint_signed_with_another_key_is_detected(app: Flask, expired: dict[str, Any]) -> None:
    """Someone with database access writes a consistent checkpoint of her own: without the audit key it fails."""
    with app.app_context():
        cp = db.session.scalars(sa.select(AuditCheckpoint)).one()
        forged = audit.checkpoint_signature(b"k" * 32, cp.canonical())
        db.session.rollback()
    _sql(app, "UPDATE audit_checkpoints SET signature = :s", s=forged)
    broken = _verify(app)
    assert broken is not None and broken.problem.startswith(f"the checkpoint at seq {OLD} is not signed")


def test_a_missing_checkpoint_is_detected(app: Flask, expired: dict[str, Any]) -> None:
    _sql(app, "DELETE FROM audit_checkpoints")
    broken = _verify(app)
    assert broken is not None and "gap" in broken.problem and broken.seq == expired["held_old"][0]
    code, output = _cli_verify(app)
    assert code == 1 and "BROKEN" in output


def test_a_kept_event_deleted_or_edited_is_detected(app: Flask, expired: dict[str, Any]) -> None:
    _unlock(app)
    victim = expired["held_old"][1]
    _sql(app, "UPDATE audit_events SET ip = '10.0.0.9' WHERE seq = :s", s=victim)
    broken = _verify(app)
    assert broken is not None and broken.seq == victim and "edited" in broken.problem
    _sql(app, "UPDATE audit_events SET ip = NULL WHERE seq = :s", s=victim)
    assert _verify(app) is None
    _sql(app, "DELETE FROM audit_events WHERE seq = :s", s=victim)
    broken = _verify(app)
    assert broken is not None and "2 found" in broken.problem


def test_events_after_the_cut_stay_append_only(app: Flask, expired: dict[str, Any]) -> None:
    """The triggers let an event go only at or before a checkpoint; after it, and any UPDATE, are refused."""
    for statement in (f"DELETE FROM audit_events WHERE seq = {OLD + 1}", "UPDATE audit_events SET reason = 'x'"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _sql(app, statement)
    assert _verify(app) is None


def test_without_a_checkpoint_nothing_can_be_deleted(app: Flask, monkeypatch: Any) -> None:
    _record_at(app, utcnow() - timedelta(days=4 * 365), 3, monkeypatch=monkeypatch)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        _sql(app, "DELETE FROM audit_events WHERE seq = 1")


def test_a_second_expiry_takes_the_events_of_a_case_no_longer_held(app: Flask, expired: dict[str, Any]) -> None:
    from app.audit_expiry import expire_events

    with app.app_context():
        result = expire_events(before=utcnow() - timedelta(days=3 * 365), keep=None, actor=audit.SYSTEM)
    assert (result.checkpoint_seq, result.deleted, result.kept) == (OLD, 3, 0)
    assert min(_seqs(app)) == OLD + 1
    assert _sql(app, "SELECT count(*) FROM audit_checkpoints")[0][0] == 1
    assert _verify(app) is None
    with app.app_context():  # nothing due: no new checkpoint, no event
        assert expire_events(before=utcnow() - timedelta(days=3 * 365), keep=None,
                             actor=audit.SYSTEM).checkpoint_seq is None
    assert _verify(app) is None


@pytest.mark.only_postgresql
def test_the_app_role_can_neither_delete_events_nor_write_checkpoints(app: Flask, db_url: str,
                                                                      expired: dict[str, Any]) -> None:
    from tests.security.test_db_roles import _new_role, _role_url, _run_as

    url = _role_url(db_url, _new_role(app))
    for statement in ("DELETE FROM audit_events WHERE seq = 1",
                      "UPDATE audit_checkpoints SET kept_count = 0",
                      "DELETE FROM audit_checkpoints",
                      "INSERT INTO audit_checkpoints (seq, hash, cutoff, deleted, kept_count, kept_digest, "
                      "created_at, key_version, signature) VALUES (99, 'x', now(), 0, 0, 'x', now(), 1, 'x')"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            _run_as(url, statement)
    assert _verify(app) is None


def test_every_stored_column_of_a_checkpoint_is_signed() -> None:
    """Every stored column of a checkpoint is in its signature (an unsigned column could be edited unnoticed)."""
    signed = set(json.loads(AuditCheckpoint(
        seq=1, hash="h", cutoff=utcnow(), deleted=0, kept_count=0, kept_digest="d", created_at=utcnow()
    ).canonical()))
    stored = {c.name for c in AuditCheckpoint.__table__.columns} - {"id", "key_version", "signature"}
    assert signed == stored


@pytest.mark.only_postgresql
def test_the_run_expires_events_as_the_owner_only(app: Flask, db_url: str, tmp_path: Any, monkeypatch: Any) -> None:
    """The app connected as its own role cannot cut the log (the audit-events class fails, nothing is deleted); with
    DATABASE_OWNER_URL the same run cuts it, and the log verifies."""
    from tests.conftest import make_app
    from tests.security.test_db_roles import _new_role, _role_url

    _record_at(app, utcnow() - timedelta(days=11 * 365), 3, monkeypatch=monkeypatch)
    role_url = _role_url(db_url, _new_role(app))
    as_role = make_app(role_url, tmp_path)
    result = as_role.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 1
    assert "audit-events: FAILED (ProgrammingError)" in result.output and "DATABASE_OWNER_URL" in result.output
    assert _seqs(app)[:3] == [1, 2, 3]
    as_owner = make_app(role_url, tmp_path, DATABASE_OWNER_URL=db_url)
    result = as_owner.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "audit-events: 3 destroyed" in result.output
    assert 1 not in _seqs(app)
    assert _verify(app) is None
    for application in (as_role, as_owner):
        with application.app_context():
            db.engine.dispose()
