"""The audit log is append-only and hash-chained (DESIGN.md §3.2, §3.8): `verify_chain` and `flask audit verify`
detect any edited, deleted, reordered or inserted row, and concurrent writers never fork the chain.

Tampering goes through raw SQL after disabling the append-only triggers the migrations install, as an attacker with
the owner's database access would. Deleting rows *and* winding ``audit_head`` back to match leaves a chain that
verifies on its own; what catches it is the anchors the app writes outside the database (``app/audit_anchors.py``),
which ``flask audit verify`` reads by itself. The tests below show both halves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import audit
from app.audit import AuditEvent, ChainBreak
from app.db import db

ACTOR = audit.Actor("6f1c1b0e-0000-4000-8000-000000000001", "ayşe.yılmaz@example.org", "counsellor", "BYK")
N = 6

# Every stored column a tamperer could change, except the surrogate key.
TAMPERABLE = [c.name for c in AuditEvent.__table__.columns if c.name != "id"]


def _append(app: Flask, n: int, *, start: int = 0) -> None:
    with app.app_context():
        for i in range(start, start + n):
            audit.record(
                "cases.view" if i % 3 else "cases.break-glass",
                actor=ACTOR,
                object_type="cases",
                object_id=f"00000000-0000-4000-8000-{i:012d}",
                case_number=f"BYK-2026-{i:04d}",
                reason="hasta; danışman izinde" if i % 2 else None,
                outcome=audit.Outcome.SUCCESS if i % 4 else audit.Outcome.DENIED,
                details={"fields": ["status"]} if i % 5 == 0 else None,
            )
            db.session.commit()


def _verify(app: Flask, batch: int = 5000) -> ChainBreak | None:
    with app.app_context():
        try:
            return audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"], batch=batch)
        finally:
            db.session.rollback()


def _unlock(app: Flask) -> None:
    """Drop the append-only triggers, as someone with database access could."""
    with app.app_context(), db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for name in ("audit_events_no_update", "audit_events_no_delete", "audit_events_no_change"):
                conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER USER"))


def _sql(app: Flask, statement: str, **params: Any) -> Any:
    with app.app_context(), db.engine.begin() as conn:
        result = conn.execute(sa.text(statement), params)
        return result.all() if result.returns_rows else None


def _ids(app: Flask) -> dict[int, int]:
    return dict(_sql(app, "SELECT seq, id FROM audit_events ORDER BY seq"))


def _anchor_every_event(app: Flask) -> None:
    from app.audit_anchors import EXTENSION

    app.extensions[EXTENSION].every_events = 1


def _wind_back(app: Flask, seq: int) -> None:
    """Set the head to event ``seq`` (0: the empty log), as a tamperer hiding deleted events would."""
    if seq == 0:
        _sql(app, "UPDATE audit_head SET seq = 0, hash = :h WHERE id = 1", h=audit.GENESIS_HASH)
    else:
        _sql(app, "UPDATE audit_head SET seq = :seq, hash = (SELECT hash FROM audit_events WHERE seq = :seq) "
                  "WHERE id = 1", seq=seq)


def _cli_verify(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


@pytest.fixture
def chain(app: Flask) -> Iterator[dict[int, int]]:
    """N events (each anchored in the app's anchor file), triggers dropped; yields seq → id."""
    _anchor_every_event(app)
    _append(app, N)
    assert _verify(app) is None
    _unlock(app)
    yield _ids(app)


def _tampered(column: str, raw: Any) -> Any:
    if column == "seq":
        return 10_000 + raw
    if column == "key_version":
        return raw + 1
    if column == "occurred_at":
        if isinstance(raw, str):  # SQLite stores text: change the last digit (a microsecond)
            return raw[:-1] + ("1" if raw[-1] != "1" else "2")
        return raw + timedelta(microseconds=1)
    if column in ("hash", "prev_hash"):
        return ("1" if raw[0] != "1" else "2") + raw[1:]
    if raw is None:
        return "x"
    return raw[:-1] + ("x" if raw[-1] != "x" else "y") if raw else "x"


def test_the_append_only_triggers_refuse_update_and_delete(app: Flask) -> None:
    _append(app, 2)
    for statement in ("UPDATE audit_events SET reason = 'x' WHERE seq = 1", "DELETE FROM audit_events WHERE seq = 2"):
        with pytest.raises(sa.exc.DatabaseError):
            _sql(app, statement)
    assert _verify(app) is None


def test_chain_verifies_after_many_events(app: Flask) -> None:
    _append(app, 250)
    assert _verify(app) is None
    assert _verify(app, batch=7) is None  # batching does not change the answer
    assert [s for (s,) in _sql(app, "SELECT seq FROM audit_events ORDER BY seq")] == list(range(1, 251))


def test_editing_any_field_of_any_row_is_detected(app: Flask, chain: dict[int, int]) -> None:
    for seq in (1, N // 2, N):
        for column in TAMPERABLE:
            (raw,) = _sql(app, f"SELECT {column} FROM audit_events WHERE seq = :seq", seq=seq)[0]  # noqa: S608
            _sql(app, f"UPDATE audit_events SET {column} = :v WHERE seq = :seq",  # noqa: S608
                 v=_tampered(column, raw), seq=seq)
            broken = _verify(app)
            assert broken is not None, f"edit of {column} at seq {seq} went unnoticed"
            if column == "seq":
                # The row left its place: the walk stops where it is missing.
                assert broken.seq == (seq + 1 if seq < N else seq) or broken.seq == 10_000 + seq
            else:
                assert (broken.seq, broken.event_id) == (seq, chain[seq]), (column, seq, broken)
            restored_seq = 10_000 + seq if column == "seq" else seq
            _sql(app, f"UPDATE audit_events SET {column} = :v WHERE seq = :seq",  # noqa: S608
                 v=raw, seq=restored_seq)
            assert _verify(app) is None, f"restoring {column} at seq {seq} did not restore the chain"


def test_deleting_a_middle_row_is_detected(app: Flask, chain: dict[int, int]) -> None:
    """A middle row cannot be hidden by moving the head: the next event's seq and prev_hash still point at it."""
    _sql(app, "DELETE FROM audit_events WHERE seq = 3")
    _wind_back(app, N)  # the head is left as it was: the gap is in the middle
    broken = _verify(app)
    assert broken is not None
    assert (broken.seq, broken.event_id) == (4, chain[4])
    assert "gap" in broken.problem


def test_deleting_the_first_row_is_detected(app: Flask, chain: dict[int, int]) -> None:
    _sql(app, "DELETE FROM audit_events WHERE seq = 1")
    broken = _verify(app)
    assert broken is not None and broken.seq == 2


def test_deleting_the_last_row_is_detected_by_the_chain_or_by_the_anchors(app: Flask, chain: dict[int, int]) -> None:
    _sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=N)
    broken = _verify(app)
    assert broken is not None and broken.seq == N and "deleted" in broken.problem  # the head still says N
    _wind_back(app, N - 1)
    assert _verify(app) is None  # with the head wound back the chain alone cannot tell …
    code, output = _cli_verify(app)
    assert code == 1  # … the anchor written outside the database can
    assert f"BROKEN at event seq={N} (id=?): the log no longer holds anchored event seq {N}" in output


def test_deleting_every_row_and_resetting_the_head_is_detected(app: Flask, chain: dict[int, int]) -> None:
    """The reproduction: wipe the log, reset the head; the chain says "intact, 0 events" — the anchors do not."""
    _sql(app, "DELETE FROM audit_events")
    broken = _verify(app)
    assert broken is not None and broken.seq == 1
    _wind_back(app, 0)
    assert _verify(app) is None
    code, output = _cli_verify(app)
    assert code == 1
    assert "BROKEN at event seq=1 (id=?): the log no longer holds anchored event seq 1" in output


def test_truncating_reinserting_the_start_and_winding_back_is_detected(app: Flask, chain: dict[int, int]) -> None:
    """Truncate, re-insert rows 1…P unchanged, set the head to P: everything after P is hidden from the chain."""
    keep = 3
    table = AuditEvent.__table__
    with app.app_context(), db.engine.begin() as conn:
        saved = conn.execute(sa.select(table).where(table.c.seq <= keep).order_by(table.c.seq)).all()
        conn.execute(sa.text("DELETE FROM audit_events" if conn.dialect.name == "sqlite"
                             else "TRUNCATE audit_events"))
        conn.execute(sa.insert(AuditEvent.__table__), [dict(r._mapping) for r in saved])
    _wind_back(app, keep)
    assert _verify(app) is None
    code, output = _cli_verify(app)
    assert code == 1
    assert f"BROKEN at event seq={keep + 1} (id=?): the log no longer holds anchored event seq {keep + 1}" in output


def test_anchors_reach_the_file_and_syslog_by_themselves(app: Flask, tmp_path: Any) -> None:
    """No one runs `audit head`: the app writes SEQ:HASH to the anchor file and to a syslog socket on its own."""
    import socket

    from app.audit_anchors import EXTENSION, FileSink, SyslogSink, parse_anchors

    address = str(tmp_path / "log.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(5)
    writer = app.extensions[EXTENSION]
    writer.sinks.append(SyslogSink(address))
    writer.every_events, writer.every_seconds = 3, 3600
    try:
        _append(app, 7)
        heads = dict(_sql(app, "SELECT seq, hash FROM audit_events"))
        file_sink = next(s for s in writer.sinks if isinstance(s, FileSink))
        in_file = [(a.seq, a.hash) for a in file_sink.read()]
        assert in_file == [(s, heads[s]) for s in (1, 4, 7)]  # the first commit, then every 3 events
        datagrams = [listener.recv(512).decode() for _ in range(3)]
        assert [(a.seq, a.hash) for a in parse_anchors(datagrams)] == in_file
        assert all(d.startswith("<86>dayanisma-audit-anchor: audit anchor ") for d in datagrams)
        assert (file_sink.path.stat().st_mode & 0o777) == 0o600
    finally:
        listener.close()


def test_an_unreachable_sink_does_not_stop_the_others(app: Flask, tmp_path: Any, caplog: Any) -> None:
    from app.audit_anchors import EXTENSION, SyslogSink

    writer = app.extensions[EXTENSION]
    writer.sinks.insert(0, SyslogSink(str(tmp_path / "nobody-listens.sock")))
    _append(app, 1)
    assert len(writer.read()) == 1
    assert "could not write the audit anchor to the syslog sink" in caplog.text
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 1 and "NOT written to: syslog" in result.output


def test_a_sink_that_stays_unreachable_is_logged_once_then_its_recovery(app: Flask, tmp_path: Any,
                                                                       caplog: Any) -> None:
    """Production without /dev/log: one error when the sink starts failing, not one per anchor."""
    import logging
    import socket

    from app.audit_anchors import EXTENSION, SyslogSink

    address = str(tmp_path / "log.sock")
    writer = app.extensions[EXTENSION]
    writer.sinks.insert(0, SyslogSink(address))
    writer.every_events, writer.every_seconds = 1, 3600
    with caplog.at_level(logging.WARNING, logger="app.audit_anchors"):
        _append(app, 4)
        failures = [r for r in caplog.records if "could not write the audit anchor" in r.getMessage()]
        assert len(failures) == 1
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(address)
        try:
            _append(app, 1)
            assert listener.recv(512).startswith(b"<86>")
        finally:
            listener.close()
        assert sum("reaches the syslog sink again" in r.getMessage() for r in caplog.records) == 1
        failures = [r for r in caplog.records if "could not write the audit anchor" in r.getMessage()]
        assert len(failures) == 1


def test_cli_anchor_writes_the_head_now(app: Flask) -> None:
    _append(app, 2)
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    (digest,) = _sql(app, "SELECT hash FROM audit_events WHERE seq = 2")[0]
    assert f"2:{digest} written to: file" in result.output


def test_verify_reads_anchors_from_journal_output(app: Flask, chain: dict[int, int], tmp_path: Any) -> None:
    """Anchors kept elsewhere (journalctl output, a copy of the file) are read with --anchors-from."""
    (digest,) = _sql(app, "SELECT hash FROM audit_events WHERE seq = :s", s=N)[0]
    journal = tmp_path / "journal.txt"
    journal.write_text(f"Nov 20 10:00:00 host dayanisma-audit-anchor[1]: audit anchor {N}:{digest}\n")
    from app.audit_anchors import EXTENSION

    app.extensions[EXTENSION].sinks.clear()  # the local file is gone (the server was wiped)
    _sql(app, "DELETE FROM audit_events WHERE seq > 2")
    _wind_back(app, 2)
    assert _cli_verify(app)[0] == 0
    code, output = _cli_verify(app, "--anchors-from", str(journal))
    assert code == 1 and f"anchored event seq {N}" in output


def test_swapping_two_rows_seq_is_detected(app: Flask, chain: dict[int, int]) -> None:
    _sql(app, "UPDATE audit_events SET seq = -1 WHERE seq = 3")
    _sql(app, "UPDATE audit_events SET seq = 3 WHERE seq = 4")
    _sql(app, "UPDATE audit_events SET seq = 4 WHERE seq = -1")
    broken = _verify(app)
    assert broken is not None
    assert (broken.seq, broken.event_id) == (3, chain[4])


def test_swapping_two_rows_content_is_detected(app: Flask, chain: dict[int, int]) -> None:
    """Reorder by moving the ids instead: the rows keep their seq and hashes but change insertion order."""
    _sql(app, "UPDATE audit_events SET id = -1 WHERE seq = 3")
    _sql(app, "UPDATE audit_events SET id = :id WHERE seq = 4", id=chain[3])
    _sql(app, "UPDATE audit_events SET id = :id WHERE seq = 3", id=chain[4])
    broken = _verify(app)
    assert broken is not None
    assert broken.seq == 4 and "order" in broken.problem


def test_a_row_inserted_past_the_head_is_detected(app: Flask, chain: dict[int, int]) -> None:
    (last,) = _sql(app, "SELECT hash FROM audit_events WHERE seq = :seq", seq=N)[0]
    with app.app_context():
        db.session.execute(sa.insert(AuditEvent).values(
            seq=N + 1, occurred_at=audit.utcnow(), action="cases.view", outcome="success",
            prev_hash=last, hash="f" * 64,
        ))
        db.session.commit()
    broken = _verify(app)
    assert broken is not None and broken.seq == N + 1


def test_verify_while_writers_append_reports_no_false_break(app: Flask) -> None:
    """A writer committing between the walk and the head check must not look like deleted tail events."""
    _append(app, 3)
    original = audit._iter_events

    def racing(session: Any, batch: int, **kwargs: Any) -> Iterator[AuditEvent]:
        yield from original(session, batch, **kwargs)
        writer = threading.Thread(target=_append, args=(app, 1), kwargs={"start": 99})
        writer.start()
        writer.join()

    audit._iter_events = racing  # type: ignore[assignment]
    try:
        assert _verify(app) is None
    finally:
        audit._iter_events = original  # type: ignore[assignment]
    assert _verify(app) is None
    assert _sql(app, "SELECT count(*) FROM audit_events")[0][0] == 4


def test_verify_leaves_the_callers_objects_attached(app: Flask, make_user: Any) -> None:
    """Verification in a request must not detach the signed-in user (the next audit write reads her centre)."""
    from app.users.models import User

    info = make_user("auditor")
    _append(app, 3)
    with app.app_context():
        user = db.session.get(User, info.id)
        assert user is not None
        audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"], batch=2)
        assert user in db.session
        audit.record("audit.verify", actor=user)
        db.session.commit()
    assert _verify(app) is None


# --- CLI ------------------------------------------------------------------------------------------------------


def test_cli_verify_reports_an_intact_log(app: Flask) -> None:
    _append(app, 5)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 5 events, 1 anchor(s) found." in result.output  # the first commit's, by itself


def test_cli_verify_exits_1_and_names_the_bad_event(app: Flask, chain: dict[int, int]) -> None:
    _sql(app, "UPDATE audit_events SET case_number = 'BYK-2026-9999' WHERE seq = 2")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"Audit log BROKEN at event seq=2 (id={chain[2]}): hash mismatch" in result.stderr


def test_cli_verify_exits_1_on_a_deleted_tail(app: Flask, chain: dict[int, int]) -> None:
    _sql(app, "DELETE FROM audit_events WHERE seq = :seq", seq=N)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"Audit log BROKEN at event seq={N} (id=?)" in result.stderr


def _head(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["audit", "head"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_cli_head_prints_the_anchor_and_verify_finds_it(app: Flask) -> None:
    _append(app, 3)
    anchor = _head(app)
    seq, _, digest = anchor.partition(":")
    assert seq == "3" and len(digest) == 64
    assert _sql(app, "SELECT hash FROM audit_events WHERE seq = 3") == [(digest,)]
    _append(app, 2, start=3)  # later events do not invalidate an old anchor
    args = ["audit", "verify", "--anchor", anchor, "--anchor", f" {anchor.upper()}"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 5 events, 2 anchor(s) found." in result.output  # 3:… given, 1:… from the file


def test_cli_head_on_an_empty_log_exits_1(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "head"])
    assert result.exit_code == 1
    assert "no anchor yet" in result.stderr


def test_an_anchor_catches_a_deleted_tail_with_the_head_wound_back(app: Flask, chain: dict[int, int]) -> None:
    """The one tampering the chain alone cannot see: delete the newest events and rewind audit_head to match."""
    anchor = _head(app)
    _sql(app, "DELETE FROM audit_events WHERE seq > :seq", seq=N - 2)
    _wind_back(app, N - 2)
    assert _verify(app) is None  # the shortened log chains perfectly
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1  # the first anchor it no longer matches: the file's N-1, before the given N
    assert f"BROKEN at event seq={N - 1} (id=?): the log no longer holds anchored event seq {N - 1}" in result.stderr


def test_an_anchor_catches_a_log_rewritten_from_the_anchored_event(app: Flask, chain: dict[int, int]) -> None:
    anchor = _head(app)
    forged = ("1" if anchor[-1] != "1" else "2")
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", anchor[:-1] + forged])
    assert result.exit_code == 1
    assert f"Audit log BROKEN at event seq={N} (id={chain[N]}): event seq {N} differs from the anchor" in result.stderr


@pytest.mark.parametrize("bad", ["", "12", "abc:" + "0" * 64, "0:" + "0" * 64, "-3:" + "0" * 64, "5:" + "0" * 63,
                                 "5:" + "g" * 64, "5;" + "0" * 64, "٣:" + "0" * 64, "5:" + "0" * 64 + "0",
                                 "9" * 20 + ":" + "0" * 64])
def test_cli_verify_refuses_a_malformed_anchor(app: Flask, bad: str) -> None:
    _append(app, 1)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchor", bad])
    assert result.exit_code == 2
    assert "Invalid value for '--anchor'" in result.output
    assert "Traceback" not in result.output


# --- concurrency ----------------------------------------------------------------------------------------------


def test_concurrent_writers_keep_one_unbroken_chain(app: Flask, backend: str) -> None:
    threads, per_thread = (10, 20) if backend == "postgresql" else (4, 20)
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():  # its own context, so its own session and connection
                barrier.wait()
                for i in range(per_thread):
                    audit.record("cases.view", actor=ACTOR, object_type="cases", object_id=f"{n}-{i}")
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    total = threads * per_thread
    assert [s for (s,) in _sql(app, "SELECT seq FROM audit_events ORDER BY seq")] == list(range(1, total + 1))
    assert _sql(app, "SELECT seq FROM audit_head")[0][0] == total
    assert _verify(app) is None


# --- the chain's own, versioned key --------------------------------------------------------------------------------


def test_the_chain_key_rotates_and_every_version_verifies(app: Flask, tmp_path: Any) -> None:
    """Issue 12 §2: the chain key is its own (not blind-index epoch 1); events name their key version, verify takes
    each event's own version, and retiring the index epoch the first version came from changes nothing."""
    from app import audit_keys
    from tests.conftest import make_app

    _append(app, 3)
    ring_path = tmp_path / "audit-keys.json"
    assert ring_path.exists() and (ring_path.stat().st_mode & 0o777) == 0o600
    result = app.test_cli_runner().invoke(args=["audit", "add-key", "--activate"])
    assert result.exit_code == 0, result.output
    assert "audit key version 2 added (active)" in result.output
    restarted = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)  # a process started after the rotation
    assert restarted.extensions["dayanisma.audit_keys"].active == 2
    _append(restarted, 3, start=3)
    versions = [v for (v,) in _sql(app, "SELECT key_version FROM audit_events ORDER BY seq")]
    assert versions[:3] == [1, 1, 1] and set(versions[4:]) == {2}  # (4: the add-key event, by the old process)
    result = restarted.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    # the ring file keeps version 1 even after its source (blind-index epoch 1) is gone from the key material
    ring = audit_keys.load_ring(ring_path, legacy_key=b"\0" * 32)
    assert sorted(ring.keys) == [1, 2] and ring.keys[1] != b"\0" * 32
    # an event moved to another version, or a version missing from the ring, breaks verification
    _unlock(app)
    _sql(app, "UPDATE audit_events SET key_version = 1 WHERE seq = 5")
    with restarted.app_context():
        broken = audit.verify_chain(db.session(), restarted.extensions["dayanisma.audit_keys"])
        db.session.rollback()
    assert broken is not None and broken.seq == 5
    _sql(app, "UPDATE audit_events SET key_version = 3 WHERE seq = 5")
    with restarted.app_context():
        broken = audit.verify_chain(db.session(), restarted.extensions["dayanisma.audit_keys"])
        db.session.rollback()
    assert broken is not None and broken.seq == 5 and "version 3" in broken.problem
