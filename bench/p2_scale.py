"""P2 at a chosen scale, SQLite only: ``.venv/bin/python bench/p2_scale.py 1000000`` (builds the data set once,
cached in bench-results/; writes bench-results/p2-<scale>.json, which ``bench/run.py --render`` adds to the doc)."""

import json
import logging
import sys
import time

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)
from bench import db_bench  # noqa: E402
from bench.dataset import RESULTS  # noqa: E402

t = time.time()
scale = int(sys.argv[1])
app, ds = db_bench.prepare("sqlite", scale, None, lambda m: print(m, flush=True))
print("prepared in", round(time.time() - t, 1), "s", flush=True)
db_bench.quiesce()
r = db_bench.bench_search(app, ds)
print(json.dumps(r, default=str), flush=True)
(RESULTS / f"p2-{scale}.json").write_text(json.dumps(r, default=str))
