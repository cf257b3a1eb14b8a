"""Where P4's time goes: runs ``load_bench.run()`` and, during the measured case-page run, samples
``pg_stat_activity`` (how many backends wait on a lock, e.g. the ``audit_head`` row, vs. wait for the worker) and
totals the CPU seconds of gunicorn, PostgreSQL and the rest per request (from /proc; Linux only).

    .venv/bin/python -m bench.p4_breakdown        # BENCH_LOAD_DURATION=10s for a shorter run
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from typing import Any

import psycopg

from bench import load_bench
from tests import pgserver

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_by_kind() -> collections.defaultdict[str, float]:
    out: collections.defaultdict[str, float] = collections.defaultdict(float)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "gunicorn" if "gunicorn" in cmd else "postgres" if cmd.startswith("postgres") else "other"
        out[kind] += (int(fields[11]) + int(fields[12])) / TICK
    return out


def main() -> None:
    servers: list[pgserver.PostgresServer] = []
    start = pgserver.PostgresServer.start

    def tracking_start(self: pgserver.PostgresServer) -> None:
        start(self)
        servers.append(self)

    pgserver.PostgresServer.start = tracking_start  # type: ignore[method-assign]
    wrk = load_bench._wrk
    calls = 0

    def sampled_wrk(url: str, cookie: str | None) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if cookie is None or calls != 4:  # hello warm-up, hello, page warm-up, page
            return wrk(url, cookie)
        pg, stop = servers[0], threading.Event()
        states: collections.Counter[tuple[str, str, str]] = collections.Counter()
        samples = 0

        def sample() -> None:
            nonlocal samples
            with psycopg.connect(host=str(pg.sock), port=pg.port, user=pg.user, dbname="load",
                                 autocommit=True) as conn:
                while not stop.is_set():
                    rows = conn.execute(
                        "SELECT state, coalesce(wait_event_type, '-'), coalesce(wait_event, '-') "
                        "FROM pg_stat_activity WHERE datname = 'load' AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend'").fetchall()
                    samples += 1
                    states.update(tuple(r) for r in rows)
                    time.sleep(0.005)

        before, t0 = _cpu_by_kind(), time.time()
        thread = threading.Thread(target=sample)
        thread.start()
        try:
            result = wrk(url, cookie)
        finally:
            stop.set()
            thread.join()
        after, wall = _cpu_by_kind(), time.time() - t0
        print(f"case page: {result['rps']:.1f} req/s over {wall:.1f} s; CPU ms per request:",
              {k: round((after[k] - before[k]) / max(result["requests"], 1) * 1000, 2) for k in after})
        print(f"backends by state (mean of {samples} samples):")
        for state, count in states.most_common(10):
            print(f"  {count / max(samples, 1):.3f}  {state}")
        return result

    load_bench._wrk = sampled_wrk  # type: ignore[assignment]
    print(json.dumps(load_bench.run()))


if __name__ == "__main__":
    main()
