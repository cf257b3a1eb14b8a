"""P9 (index linkage) and P2 (exact search) before and after ``keys reindex`` at ~10^5 persons, SQLite and
optionally PostgreSQL: ``.venv/bin/python bench/p9_bench.py [SCALE] [--pg]`` (SCALE in cases, default 66,667 ≈ 10^5
persons). Writes bench-results/p9-<scale>.json; ``bench/run.py`` reports it.

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
from pathlib import Path

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
    out: dict[str, object] = {"backend": backend}
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
