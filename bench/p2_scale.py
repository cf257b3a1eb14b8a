"""P2 at a chosen scale: ``.venv/bin/python bench/p2_scale.py 666667 [--widen] [--postgresql]`` (builds the data
set once, cached in bench-results/; writes bench-results/p2-<scale>[-wide][-pg].json, which ``bench/run.py --render``
adds to the doc). The scale is in cases (1.5 persons per case on average: 666,667 cases are 10^6 persons).
``--widen``: the blind indexes at the width `keys reindex` chooses for that population (DESIGN.md §7 P2 at 10^6 is
meant after it), instead of the attributes' default widths. ``--postgresql``: a throwaway PostgreSQL 15 server
(tests/pgserver.py, as the other benches), loaded from the cached data set and removed at the end; SQLite otherwise
(the database file is cached beside the data set)."""

import json
import logging
import os
import sys
import time

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)
from bench import db_bench  # noqa: E402
from bench.dataset import RESULTS  # noqa: E402


def main() -> None:
    t = time.time()
    scale = int(sys.argv[1])
    widen = "--widen" in sys.argv[2:]
    backend = "postgresql" if "--postgresql" in sys.argv[2:] else "sqlite"
    pg = None
    if backend == "postgresql":
        from tests.pgserver import PostgresServer

        pg = PostgresServer()
        pg.start()
    try:
        app, ds = db_bench.prepare(backend, scale, pg, lambda m: print(m, flush=True), widen=widen)
        print("prepared in", round(time.time() - t, 1), "s", flush=True)
        db_bench.quiesce()
        r = db_bench.bench_search(app, ds, name_limit=True)
        r["backend"] = backend
        r["widened"] = widen
        r["bits"] = sorted({g["bits"] for g in getattr(ds, "generations", [])})
        r["load"] = os.getloadavg()
        print(json.dumps(r, default=str), flush=True)
        suffix = ("-wide" if widen else "") + ("-pg" if backend == "postgresql" else "")
        (RESULTS / f"p2-{scale}{suffix}.json").write_text(json.dumps(r, default=str))
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
