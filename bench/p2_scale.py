"""P2 at a chosen scale, SQLite only: ``.venv/bin/python bench/p2_scale.py 666667 [--widen]`` (builds the data set
once, cached in bench-results/; writes bench-results/p2-<scale>[-wide].json, which ``bench/run.py --render`` adds to
the doc). The scale is in cases (1.5 persons per case on average: 666,667 cases are 10^6 persons). ``--widen``: the
blind indexes at the width `keys reindex` chooses for that population (DESIGN.md §7 P2 at 10^6 is meant after it),
instead of the attributes' default widths."""

import json
import logging
import os
import sys
import time

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)
from bench import db_bench  # noqa: E402
from bench.dataset import RESULTS  # noqa: E402

t = time.time()
scale = int(sys.argv[1])
widen = "--widen" in sys.argv[2:]
app, ds = db_bench.prepare("sqlite", scale, None, lambda m: print(m, flush=True), widen=widen)
print("prepared in", round(time.time() - t, 1), "s", flush=True)
db_bench.quiesce()
r = db_bench.bench_search(app, ds)
r["widened"] = widen
r["bits"] = sorted({g["bits"] for g in getattr(ds, "generations", [])})
r["load"] = os.getloadavg()
print(json.dumps(r, default=str), flush=True)
(RESULTS / f"p2-{scale}{'-wide' if widen else ''}.json").write_text(json.dumps(r, default=str))
