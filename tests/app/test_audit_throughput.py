"""P10 (`make bench`): concurrent audit writers on PostgreSQL keep one unbroken chain, and the bench reports it."""

from __future__ import annotations

import pytest

from bench import audit_bench
from bench.run import splice_p10, summary_table
from tests.pgserver import PostgresServer


def _round(writers: int, per_second: float, ok: bool = True) -> dict[str, object]:
    return {"writers": writers, "seconds": 1.0, "writes": int(per_second), "writes_per_second": per_second,
            "per_writer_min": 1, "per_writer_max": int(per_second), "p50_ms": 2.0, "p95_ms": 9.5, "chain_ok": ok,
            "lock_wait_p50_ms": 0.4, "head_held_p50_ms": 8.0, "ceiling_per_second": 125,
            "chain_problem": None if ok else "sequence gap"}


def _p10(ok: bool = True) -> dict[str, object]:
    return {"seconds": 1.0, "ok": ok,
            "durable": [_round(1, 120.0), _round(4, 110.0), _round(16, 100.0, ok)],
            "fsync_off": [_round(1, 300.0), _round(4, 280.0), _round(16, 260.0)]}


def test_concurrent_writer_processes_append_to_one_verified_chain(pg_server: PostgresServer | None) -> None:
    if pg_server is None:
        pytest.skip("PostgreSQL not available (DAYANISMA_SKIP_PG outside CI)")
    url = pg_server.create_database("p10_audit_writers")
    rounds = audit_bench.measure(url, writers=(1, 4), seconds=0.5)
    assert [r["writers"] for r in rounds] == [1, 4]
    for r in rounds:
        assert r["writes"] > 0 and r["writes_per_second"] > 0 and r["per_writer_min"] >= 1, r
        assert r["chain_ok"] and r["chain_problem"] is None, r   # head moved by exactly the writes counted
        assert 0 < r["p50_ms"] <= r["p95_ms"]
        assert r["lock_wait_p50_ms"] >= 0 and r["head_held_p50_ms"] > 0 and r["ceiling_per_second"] > 0


def test_the_report_gives_p10_a_summary_row_and_a_section_and_replaces_them_on_the_next_run() -> None:
    doc = ("# Performance\n\n## Summary\n\n| Benchmark | Target |\n|---|---|\n| P1 x | y |\n| P6 z | w |\n\n"
           "Notes.\n\n## P9 — other\n\n| | SQLite |\n|---|---|\n| P9 before | 100 % |\n")
    once = splice_p10(doc, _p10())
    lines = once.split("\n")
    assert lines[lines.index("| P6 z | w |") + 1].startswith("| P10 audit-chained writes/s")
    assert "120 / 110 / 100 (durable); 300 / 280 / 260 (fsync off)" in once and "ceiling ≈ 125/s" in once
    assert once.count("## P10 ") == 1 and "| durable | 16 | 100 |" in once and "## P9 — other" in once
    twice = splice_p10(once, _p10(ok=False))
    assert twice.count("## P10 ") == 1 and twice.count("| P10 ") == 1
    assert "**FAIL** (chain)" in twice and "BROKEN: sequence gap" in twice
    assert twice.index("## P9 — other") < twice.index("## P10 ")


def test_a_full_bench_run_puts_p10_in_the_summary_table() -> None:
    p1 = {"ratio": 1.2, "field_us": 3.0, "field_p95_us": 3.5, "raw_us": 2.5, "ok": True}
    table = summary_table({"p1": p1, "scales": [1000], "p2": {}, "p3": {}, "p5": {}, "p10": _p10()})
    assert table.split("\n")[-1].startswith("| P10 audit-chained writes/s, PostgreSQL, 1 / 4 / 16 writers |")
    assert "P10" not in summary_table({"p1": p1, "scales": [1000], "p2": {}, "p3": {}, "p5": {}})
