"""P10 (DESIGN.md §7): audit-chained writes per second on PostgreSQL at 1, 4 and 16 concurrent writers.

Every audited request appends to one hash chain: ``app.audit.record`` takes the ``audit_head`` row's lock, and the
lock is held until the transaction commits. So chained writes serialise, and their rate is bounded by how long a
writer holds the head: one round trip for the head's UPDATE … RETURNING, the event's INSERT, and the COMMIT (with
its WAL flush when ``synchronous_commit`` is on, as deployed). More app servers do not raise it.

Each writer is its own process (as gunicorn's workers are) with its own app and connection, started together; each
appends ``record()`` + ``COMMIT`` in a loop for ``seconds``. After each round the chain must verify and hold exactly
the events written (concurrent writers must neither fork nor skip it).

    .venv/bin/python bench/audit_bench.py [SECONDS]      # both servers, 1/4/16 writers; writes bench-results/p10.json

Measured on two PostgreSQL servers: ``durable`` (fsync and synchronous commit on, as ``deploy/postgresql`` runs
it) and the test suite's ``fsync=off`` server, so the share of the commit flush is visible. ``bench/run.py`` calls
``run()`` and renders ``section()``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WRITERS = (1, 4, 16)


def _app(url: str, key_file: str) -> Any:
    from app import create_app

    return create_app("test", SQLALCHEMY_DATABASE_URI=url, KEY_FILE=key_file,
                      ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})


def _writer(url: str, key_file: str, index: int, seconds: float, barrier: Any, queue: Any) -> None:
    import logging

    logging.disable(logging.WARNING)
    import sqlalchemy as sa

    from app import audit
    from app.db import db

    app = _app(url, key_file)
    with app.app_context():
        # Connect and warm every lazy path (keys, chain key, statements) before the start line; rolled back.
        audit.record("bench.p10", object_type="bench", details={"writer": index})
        db.session.rollback()
        barrier.wait(timeout=300)
        # When the head's UPDATE … RETURNING starts and returns: the wait for its lock, and from then to the end of
        # COMMIT the time this writer holds the head (what every other writer queues behind).
        marks: dict[str, float] = {}

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.startswith("UPDATE audit_head") and "RETURNING" in statement:
                marks["asked"] = time.perf_counter()

        def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.startswith("UPDATE audit_head") and "RETURNING" in statement:
                marks["got"] = time.perf_counter()

        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
        latencies: list[float] = []
        waits: list[float] = []
        held: list[float] = []
        end = time.perf_counter() + seconds
        while (t0 := time.perf_counter()) < end:
            audit.record("bench.p10", object_type="bench", object_id=len(latencies), details={"writer": index})
            db.session.commit()
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            waits.append(marks["got"] - marks["asked"])
            held.append(t1 - marks["got"])
        db.session.remove()
        db.engine.dispose()
    queue.put((index, latencies, waits, held))


def _round(url: str, key_file: str, writers: int, seconds: float) -> dict[str, Any]:
    # fork: the writers inherit the imported app modules (spawn would import them 16 times on 2 cores); each builds
    # its own app, engine and connection after the fork.
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, key_file, i, seconds, barrier, queue), daemon=True)
             for i in range(writers)]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=300)        # every writer has its app and connection
        results = [queue.get(timeout=seconds + 120) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    latencies = sorted(x for r in results for x in r[1])
    waits = [x for r in results for x in r[2]]
    held = [x for r in results for x in r[3]]
    per_writer = [len(r[1]) for r in results]
    total = sum(per_writer)
    held_ms = 1000 * statistics.median(held) if held else None
    return {
        "lock_wait_p50_ms": round(1000 * statistics.median(waits), 2) if waits else None,
        "head_held_p50_ms": round(held_ms, 2) if held_ms else None,
        "ceiling_per_second": round(1000 / held_ms) if held_ms else None,
        "writers": writers, "seconds": seconds, "writes": total,
        "writes_per_second": round(total / seconds, 1),
        "per_writer_min": min(per_writer), "per_writer_max": max(per_writer),
        "p50_ms": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
    }


def measure(url: str, writers: tuple[int, ...] = WRITERS, seconds: float = 5.0) -> list[dict[str, Any]]:
    """Rounds of ``writers`` concurrent processes on the empty database at ``url``; each round's chain verified."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app import audit
    from app.db import db

    tmp = Path(tempfile.mkdtemp(prefix="p10-"))
    key_file = str(tmp / "keys.json")
    app = _app(url, key_file)
    with app.app_context():
        upgrade(revision="heads")
        db.session.remove()
        db.engine.dispose()     # no connection crosses a fork
    rounds = []
    for n in writers:
        with app.app_context():
            before = db.session.scalar(sa.select(audit.AuditHead.seq).where(audit.AuditHead.id == 1)) or 0
            db.session.remove()
        r = _round(url, key_file, n, seconds)
        with app.app_context():
            head = db.session.scalar(sa.select(audit.AuditHead.seq).where(audit.AuditHead.id == 1)) or 0
            broken = audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"])
            r["chain_ok"] = broken is None and head - before == r["writes"]
            r["chain_problem"] = None if broken is None else broken.problem
            db.session.remove()
            db.engine.dispose()
        rounds.append(r)
    return rounds


def run(seconds: float = 5.0, log: Any = print) -> dict[str, Any]:
    """Both PostgreSQL servers (durable as deployed, and fsync off), 1/4/16 writers each."""
    import os

    from tests.pgserver import PostgresServer

    out: dict[str, Any] = {"seconds": seconds, "load_before": os.getloadavg()[0]}
    for label, durable in (("durable", True), ("fsync_off", False)):
        pg = PostgresServer(durable=durable)
        pg.start()
        try:
            out[label] = measure(pg.create_database("bench_p10"), seconds=seconds)
        finally:
            pg.stop()
        for r in out[label]:
            log(f"  P10 {label}: {r['writers']:>2} writers {r['writes_per_second']:>8,.0f} writes/s "
                f"(p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, head held {r['head_held_p50_ms']} ms, lock wait "
                f"{r['lock_wait_p50_ms']} ms), chain {'ok' if r['chain_ok'] else 'BROKEN'}")
    out["load_after"] = os.getloadavg()[0]
    out["ok"] = all(r["chain_ok"] and r["writes"] > 0 for k in ("durable", "fsync_off") for r in out[k])
    return out


def summary_row(p10: dict[str, Any]) -> list[str]:
    rates = " / ".join(f"{r['writes_per_second']:,.0f}" for r in p10["durable"])
    fast = " / ".join(f"{r['writes_per_second']:,.0f}" for r in p10["fsync_off"])
    one = p10["durable"][0]
    return ["P10 audit-chained writes/s, PostgreSQL, 1 / 4 / 16 writers", "measured (no target)",
            f"{rates} (durable); {fast} (fsync off)",
            f"head held {one['head_held_p50_ms']} ms per write (1 writer, durable): ceiling "
            f"≈ {one['ceiling_per_second']:,}/s", "pass" if p10["ok"] else "**FAIL** (chain)"]


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 120, break_on_hyphens=False)


def section(p10: dict[str, Any]) -> str:
    load = ""
    if "load_before" in p10:
        load = (f" Load average {p10['load_before']:.1f} before and {p10['load_after']:.1f} after the run (2 cores): "
                "other jobs shared the machine, so absolute rates are low and noisy; the shape is the finding.")
    lines = [
        "## P10 — audit-chained writes per second (the one serialised path)",
        "",
        _wrap(f"`bench/audit_bench.py` (in `make bench`; alone: `BENCH_ONLY=p10 make bench`): 1, 4 and 16 writer "
              f"processes, each its own app and connection, appending `audit.record()` + `COMMIT` for "
              f"{p10['seconds']:g} s per round; after each round `audit verify` must pass and the head must have "
              "moved by exactly the writes counted. *durable* = fsync and synchronous commit on (as "
              "`deploy/postgresql` runs it); *fsync off* = the test server. *Lock wait* = time inside the head's "
              "`UPDATE … RETURNING`; *head held* = from its return to the end of `COMMIT`, during which every other "
              "writer waits; *ceiling* = 1 / head held." + load),
        "",
        "| Server | Writers | Writes/s | Per writer (min–max writes) | p50 / p95 ms per write | Lock wait p50 ms "
        "| Head held p50 ms | Ceiling/s | Chain |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, name in (("durable", "durable"), ("fsync_off", "fsync off")):
        for r in p10[label]:
            lines.append(f"| {name} | {r['writers']} | {r['writes_per_second']:,.0f} | {r['per_writer_min']:,}–"
                         f"{r['per_writer_max']:,} | {r['p50_ms']} / {r['p95_ms']} | {r.get('lock_wait_p50_ms')} | "
                         f"{r.get('head_held_p50_ms')} | {r.get('ceiling_per_second')} | "
                         f"{'verified' if r['chain_ok'] else 'BROKEN: ' + str(r['chain_problem'])} |")
    lines += [
        "",
        _wrap("Every writer holds the `audit_head` row lock from its `UPDATE … RETURNING` until its commit, so the "
              "rate does not grow with writers: added writers queue on the lock (lock wait and p95 grow with them) "
              "while the total stays near the ceiling. In a request the head is taken at the audit event and held "
              "until the request's commit, so whatever the request does after `audit.record()` adds to the time "
              "held. Here the time held grows with writers because writers and PostgreSQL share 2 cores: a writer "
              "that holds the head also waits for a core. How this bounds a deployment, and what the design would "
              "change, is in `docs/OPERATIONS.md`, *Beyond one machine*."),
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import logging

    logging.disable(logging.WARNING)
    from bench.dataset import RESULTS

    seconds = float(argv[0]) if argv else 5.0
    out = run(seconds)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "p10.json").write_text(json.dumps(out, indent=2))
    print()
    print(section(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
