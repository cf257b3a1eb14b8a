"""P9 (DESIGN.md §7): the share of persons singled out by their stored index values in a raw dump of ~10^5 persons
(target ≤ 1 %), the time ``keys reindex`` takes to remove what the dump gives away, and P2 (exact search) before and
after it — on SQLite and PostgreSQL. In ``make bench``; alone: ``BENCH_ONLY=p9 make bench`` (splices its rows and
section into docs/PERFORMANCE.md), or ``.venv/bin/python bench/p9_bench.py [CASES] [--pg]`` (prints the figures).

The database is filled with the bench data set (bench/dataset.py, 66,667 cases ≈ 10^5 persons) with its index
entries **in intake order**: as the app writes them, one intake after another — the worst case for a heap
(PostgreSQL keeps insertion order until something rewrites the table; SQLite's ``WITHOUT ROWID`` table is in key
order whatever the insertion order). The attacker is ``bench.linkage``: columns and physical order, no keys.

- *one row's values* (the layout before issue 14): each person's name / TCKN / phone index values side by side, as
  ``*_bidx`` columns on her row gave them to anyone with a dump; the share of persons whose triple is unique;
- *as written*: the raw dump as the app leaves it, before any re-index;
- *after ``keys reindex``*: the three person scopes rebuilt online (new generation, width from the population,
  batches written in bucket order), timed; then the dump attacked again.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench import db_bench  # noqa: E402
from bench.dataset import RESULTS, insert, load_or_build  # noqa: E402
from bench.linkage import singled_out_share, truth_of  # noqa: E402

SCOPES = ["persons.full_name_ct", "persons.tckn_ct", "persons.phone_ct"]
FIELDS = ("full_name", "tckn", "phone")
TARGET = 0.01
DEFAULT_SCALE = 66_667
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _worst_p2(p2: dict[str, Any]) -> dict[str, Any]:
    kind = max(("tckn", "phone", "name"), key=lambda k: p2[f"{k}_cold"]["p95_ms"])
    return {"kind": kind, "p95_ms": p2[f"{kind}_cold"]["p95_ms"], "median_ms": p2[f"{kind}_cold"]["median_ms"],
            "mean_results": p2[f"{kind}_cold"]["mean_results"]}


def _row_values_share(session: Any, truth: dict[bytes, Any]) -> dict[str, Any]:
    """The layout before issue 14: every person's three index values on her own row."""
    from crypto.models import BlindIndexEntry as E

    by_uid: dict[Any, list[int]] = {}
    for scope in SCOPES:
        for bucket, entry_id in session.execute(sa.select(E.bucket, E.id).where(E.scope == scope)
                                                .order_by(E.bucket, E.id)):
            by_uid.setdefault(truth[bytes(entry_id)], []).append(bucket)
    counts = Counter(tuple(v) for v in by_uid.values())
    singled = sum(1 for v in by_uid.values() if counts[tuple(v)] == 1)
    return {"persons": len(by_uid), "singled_out": singled, "share": singled / len(by_uid) if by_uid else 0.0}


def _bits(session: Any, ctx: Any) -> dict[str, int]:
    """The active generation's width per field (generation 1 has no row: the field's declared width)."""
    from cases.core.models import Person
    from crypto import blind

    session.info.pop(blind._GENS, None)      # noqa: SLF001 (read afresh: a re-index just switched)
    out = {}
    for name in FIELDS:
        default = Person.__dict__[name].index.bits
        gens = blind.generations(session, ctx, f"persons.{name}_ct", default)
        out[name] = next(g.bits for g in gens if g.state == "active")
    return out


def measure(backend: str, scale: int, pg: Any, log: Callable[[str], None] = print,
            queries: int = 150) -> dict[str, Any]:
    from flask_migrate import upgrade

    import crypto
    from app.db import db
    from cases.core.models import Person

    ds, key_file = load_or_build(scale, log)
    if backend == "sqlite":
        path = RESULTS / "p9-work.sqlite"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = pg.create_database("bench_p9")
    app = db_bench.make_app(url, key_file)
    out: dict[str, Any] = {"backend": backend, "cases": len(ds.cases)}
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision="heads")
        insert(db.engine, ds, entry_order="intake")
        log(f"  {backend}: loaded {len(ds.cases):,} cases / {len(ds.persons):,} persons, index entries in intake "
            f"order, in {time.perf_counter() - t0:.0f} s")
        ctx = crypto.get_context()
        truth = truth_of(db.session, ctx, SCOPES)
        out["bits_before"] = _bits(db.session, ctx)
        out["row_values"] = _row_values_share(db.session, truth)
        with db.engine.connect() as conn:
            out["as_written"] = singled_out_share(conn, "persons", SCOPES, truth)
        out["persons"] = out["as_written"]["persons"]
        db.session.remove()
    db_bench.quiesce()
    out["p2_before"] = _worst_p2(db_bench.bench_search(app, ds, queries))
    with app.app_context():
        out["reindex"] = []
        t0 = time.perf_counter()
        for name in FIELDS:
            t1 = time.perf_counter()
            result = crypto.reindex(db.session(), Person, name)
            out["reindex"].append({**result.__dict__, "seconds": round(time.perf_counter() - t1, 1)})
        out["reindex_s"] = round(time.perf_counter() - t0, 1)
        ctx = crypto.get_context()
        truth = truth_of(db.session, ctx, SCOPES)
        out["bits_after"] = _bits(db.session, ctx)
        with db.engine.connect() as conn:
            out["after_reindex"] = singled_out_share(conn, "persons", SCOPES, truth)
        db.session.remove()
        db.engine.dispose()
    db_bench.quiesce()
    out["p2_after"] = _worst_p2(db_bench.bench_search(app, ds, queries))
    out["ok"] = out["after_reindex"]["share"] <= TARGET
    log(f"  {backend}: singled out {out['row_values']['share']:.1%} (one row's values), "
        f"{out['as_written']['share']:.1%} (as written), {out['after_reindex']['share']:.2%} after keys reindex "
        f"({out['reindex_s']} s); P2 p95 {out['p2_before']['p95_ms']} → {out['p2_after']['p95_ms']} ms")
    if backend == "sqlite":
        path.unlink(missing_ok=True)
    return out


def run(pg: Any, scale: int = DEFAULT_SCALE, log: Callable[[str], None] = print,
        queries: int = 150) -> dict[str, Any]:
    """P9 on SQLite, and on PostgreSQL when ``pg`` (a tests.pgserver.PostgresServer) is given. ``queries``: searches
    per field and pass in the P2 latency figures before and after the re-index (the test suite takes fewer)."""
    load_before = os.getloadavg()[0]
    runs = [measure("sqlite", scale, None, log, queries)]
    if pg is not None:
        runs.append(measure("postgresql", scale, pg, log, queries))
    return {"scale": scale, "runs": runs, "ok": all(r["ok"] for r in runs), "load_before": load_before,
            "load_after": os.getloadavg()[0]}


def _pct(share: float) -> str:
    return f"{share:.1%}" if share >= 0.001 or share == 0 else f"{share:.3%}"


def summary_rows(p9: dict[str, Any]) -> list[list[str]]:
    rows = []
    for r in p9["runs"]:
        rows.append([f"P9 persons singled out from a raw dump, {r['persons']:,} persons, {NAMES[r['backend']]}",
                     "≤ 1 %", f"{_pct(r['after_reindex']['share'])} after `keys reindex` "
                     f"({_pct(r['as_written']['share'])} as written)",
                     f"`keys reindex` of 3 scopes {r['reindex_s']:.0f} s; P2 p95 {r['p2_before']['p95_ms']:.1f} → "
                     f"{r['p2_after']['p95_ms']:.1f} ms", "pass" if r["ok"] else "**FAIL**"])
    return rows


def section(p9: dict[str, Any]) -> str:
    import textwrap

    def wrap(text: str) -> str:
        return textwrap.fill(text, 120, break_on_hyphens=False)

    runs = p9["runs"]
    head = "| | " + " | ".join(NAMES[r["backend"]] for r in runs) + " |"
    table = [head, "|---|" + "---|" * len(runs)]

    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> None:
        table.append(f"| {label} | " + " | ".join(cell(r) for r in runs) + " |")

    def bits(b: dict[str, int]) -> str:
        return "/".join(str(b[f]) for f in FIELDS)

    row("persons (cases)", lambda r: f"{r['persons']:,} ({r['cases']:,})")
    row("singled out by one row's values side by side (the layout before issue 14), name/TCKN/phone bits",
        lambda r: f"{_pct(r['row_values']['share'])} ({bits(r['bits_before'])})")
    row("singled out from the dump as the app writes it (entries in intake order)",
        lambda r: f"{_pct(r['as_written']['share'])} ({r['as_written']['singled_out']:,})")
    row("singled out after `keys reindex` — **P9, target ≤ 1 %**",
        lambda r: f"**{_pct(r['after_reindex']['share'])}** ({r['after_reindex']['singled_out']:,}), "
                  f"{'pass' if r['ok'] else 'FAIL'}")
    row("index width after the re-index, name/TCKN/phone bits", lambda r: bits(r["bits_after"]))
    row("`keys reindex` of the 3 person scopes (decrypt + rebuild, online), per scope",
        lambda r: f"{r['reindex_s']:.0f} s (" + " / ".join(f"{x['seconds']:.0f}" for x in r["reindex"]) + " s)")
    row("P2 exact search, worst kind p95 / median, cold keys, before the re-index",
        lambda r: f"{r['p2_before']['p95_ms']:.1f} / {r['p2_before']['median_ms']:.1f} ms ({r['p2_before']['kind']})")
    row("P2 the same after the re-index",
        lambda r: f"{r['p2_after']['p95_ms']:.1f} / {r['p2_after']['median_ms']:.1f} ms ({r['p2_after']['kind']})")
    load = (f"Load average {p9['load_before']:.1f} before and {p9['load_after']:.1f} after (2 cores, shared): the "
            "times carry that noise; the shares are exact counts.")
    return "\n".join([
        "## P9 — persons singled out from a raw dump, and `keys reindex` (issue 14 §3)",
        "",
        wrap("`bench/p9_bench.py` (in `make bench`; alone: `BENCH_ONLY=p9 make bench`): the bench data set of "
             f"{p9['scale']:,} cases loaded with its index entries in intake order, as the app writes them; the "
             "attacker (`bench/linkage.py`, DESIGN.md §3 (a): a dump, no keys) reads the tables as stored (SQLite "
             "storage order; PostgreSQL heap order, as `pg_dump` writes it) and attributes index values to person "
             "rows by any shared column (`*_bidx`) and by position (the k-th entry of each scope ↔ the k-th person "
             "row). A person is singled out when her attributed tuple is right (checked with the keys, which the "
             "attacker does not have) and unique. " + load),
        "",
        *table,
        "",
        wrap("Reading: SQLite's `WITHOUT ROWID` entries sit in (scope, generation, bucket, id) order whatever the "
             "insertion order, so its dump gives nothing away even as written; a PostgreSQL heap keeps insertion "
             "order, and `keys reindex` (after a bulk load, and nightly: README, *Keys*) is what brings it under "
             "the target. The re-index also widens the index to the population (fewer candidates per search)."),
    ])


def main() -> None:
    logging.disable(logging.WARNING)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    scale = int(args[0]) if args else DEFAULT_SCALE
    pg = None
    if "--pg" in sys.argv:
        from tests.pgserver import PostgresServer

        pg = PostgresServer()
        pg.start()
    try:
        results = run(pg, scale)
    finally:
        if pg is not None:
            pg.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"p9-{scale}.json").write_text(json.dumps(results, default=str, indent=1))
    print(section(results))


if __name__ == "__main__":
    main()
