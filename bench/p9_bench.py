"""P9 (index linkage) and P2 (exact search) before and after ``keys reindex`` at ~10^5 persons, SQLite and
optionally PostgreSQL: ``.venv/bin/python bench/p9_bench.py [SCALE] [--pg]`` (SCALE in cases, default 66,667 ≈ 10^5
persons). Writes bench-results/p9-<scale>.json. ``make bench`` (``bench/run.py``) runs :func:`measure` on both
databases and reports the figures (summary rows and a section of docs/PERFORMANCE.md).

Before = the layout before issue 14 (each person row held its own name / TCKN / phone indexes, 10/12/12 bits): the
same persons' index values grouped by person, as those columns gave them to anyone with a dump.
After = the raw dump as stored now, attacked by bench.linkage (columns and physical order).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)

from bench import db_bench  # noqa: E402
from bench.dataset import RESULTS  # noqa: E402
from bench.linkage import singled_out_share, truth_of  # noqa: E402

SCOPES = ["persons.full_name_ct", "persons.tckn_ct", "persons.phone_ct"]


def measure(backend: str, scale: int, pg: object) -> dict[str, object]:
    import crypto
    from app.db import db
    from cases.core.models import Person

    app, ds = db_bench.prepare(backend, scale, pg, lambda m: print(m, flush=True))
    if backend == "sqlite":     # the re-index below rewrites the database: work on a copy of the cached file
        import shutil
        import tempfile

        from bench.dataset import load_or_build

        copy = Path(tempfile.mkdtemp(prefix="dayanisma-p9-")) / "p9.sqlite"
        shutil.copyfile(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), copy)
        app = db_bench.make_app(f"sqlite:///{copy}", load_or_build(scale)[1])
    out: dict[str, object] = {"backend": backend, "persons": len(ds.persons)}
    with app.app_context():
        ctx = crypto.get_context()
        truth = truth_of(db.session, ctx, SCOPES)
        # Before: every person's three values side by side, as the *_bidx columns stored them.
        by_uid: dict[object, list[int]] = {}
        from crypto.models import BlindIndexEntry as E
        for scope in SCOPES:
            for bucket, entry_id in db.session.execute(
                    __import__("sqlalchemy").select(E.bucket, E.id).where(E.scope == scope)):
                by_uid.setdefault(truth[bytes(entry_id)], []).append(bucket)
        counts = Counter(tuple(v) for v in by_uid.values())
        out["before_share"] = sum(1 for v in by_uid.values() if counts[tuple(v)] == 1) / len(by_uid)
        with db.engine.connect() as conn:
            out["after_gen1"] = singled_out_share(conn, "persons", SCOPES, truth)
        db.session.remove()
    db_bench.quiesce()
    out["p2_gen1"] = db_bench.bench_search(app, ds)
    with app.app_context():
        t0 = time.perf_counter()
        out["reindex"] = [crypto.reindex(db.session, Person, n).__dict__ for n in ("full_name", "tckn", "phone")]
        out["reindex_s"] = time.perf_counter() - t0
        truth = truth_of(db.session, crypto.get_context(), SCOPES)
        with db.engine.connect() as conn:
            out["after_reindex"] = singled_out_share(conn, "persons", SCOPES, truth)
        db.session.remove()
    db_bench.quiesce()
    out["p2_reindexed"] = db_bench.bench_search(app, ds)
    return out


def summary_rows(runs: list[dict[str, Any]], status: Callable[[bool | None], str]) -> list[list[str]]:
    rows = []
    for r in runs:
        name = "PostgreSQL" if r["backend"] == "postgresql" else "SQLite"
        gen1, reindexed = r["after_gen1"]["share"], r["after_reindex"]["share"]
        after = max(gen1, reindexed)
        rows.append([f"P9 index linkage from a raw dump, {r['persons']:,} persons, {name}", "≤ 1 % singled out",
                     f"{reindexed:.1%} after `keys reindex`, {gen1:.1%} as loaded",
                     f"before issue 14 (indexes on the person row): {r['before_share']:.1%}", status(after <= 0.01)])
    return rows


def section(runs: list[dict[str, Any]]) -> str:
    def worst(p2: dict[str, Any], key: str) -> str:
        kind = max(("tckn", "phone", "name"), key=lambda k: p2[f"{k}_cold"][key])
        return f"{p2[f'{kind}_cold'][key]:.1f} ms ({kind}, cold keys)"

    names = ["SQLite" if r["backend"] == "sqlite" else "PostgreSQL" for r in runs]
    lines = ["## P9 — index linkage from a raw dump, and P2 before/after `keys reindex` (issue 14 §3)", "",
             "`bench/p9_bench.py`, run by `make bench` on the data set of ≈ 10^5 persons (a copy: the re-index "
             "rewrites it).", "", "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(runs),
             "| persons | " + " | ".join(f"{r['persons']:,}" for r in runs) + " |",
             "| P9 before (index columns on the person row, 10/12/12 bits): singled out by name+TCKN+phone | "
             + " | ".join(f"{r['before_share']:.1%}" for r in runs) + " |",
             "| P9 now, entries as bulk-loaded (bucket order) | "
             + " | ".join(f"{r['after_gen1']['share']:.1%}" for r in runs) + " |",
             "| P9 now, after `keys reindex` | "
             + " | ".join(f"{r['after_reindex']['share']:.1%}" for r in runs) + " |",
             "| `keys reindex` of 3 scopes (decrypt + rebuild, online) | "
             + " | ".join(f"{float(r['reindex_s']):.0f} s" for r in runs) + " |",
             "| P2 p95 worst kind, generation 1 | " + " | ".join(worst(r["p2_gen1"], "p95_ms") for r in runs) + " |",
             "| P2 p95 worst kind, after reindex | "
             + " | ".join(worst(r["p2_reindexed"], "p95_ms") for r in runs) + " |",
             "| P2 median worst kind, after reindex | "
             + " | ".join(worst(r["p2_reindexed"], "median_ms") for r in runs) + " |", "",
             "How P9 is measured (`bench/linkage.py`): the attacker reads the tables as stored (SQLite storage order; "
             "PostgreSQL heap order, as `pg_dump` writes it) and attributes index values to person rows by any shared "
             "column and by position (k-th entry of each scope ↔ k-th person row). A person counts as singled out "
             "when her attributed tuple is right (checked with the keys) and unique. On PostgreSQL, entries written "
             "by the app one intake at a time are in insertion order until `keys reindex` rewrites them: "
             "`tests/crypto/test_crypto_linkage.py` shows > 50 % singled out before and ≤ 1 % after."]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    scale = int(args[0]) if args else 66_667
    results = {"scale": scale, "runs": [measure("sqlite", scale, None)]}
    if "--pg" in sys.argv:
        from tests.pgserver import PostgresServer

        server = PostgresServer()
        server.start()
        try:
            results["runs"].append(measure("postgresql", scale, server))
        finally:
            server.stop()
    (RESULTS / f"p9-{scale}.json").write_text(json.dumps(results, default=str, indent=1))
    print(json.dumps(results, default=str, indent=1))


if __name__ == "__main__":
    main()
