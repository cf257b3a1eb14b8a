"""P7 (DESIGN.md §7, wave 2): partial-name and phone-ending search over a user's visible cases, SQLite.

``.venv/bin/python bench/p7_partial.py 100000`` (builds or reuses the cached data set of bench/dataset.py). Times
``cases.casefile.services.find_cases`` — what ``/cases/search`` runs — for the busiest centre's supervisor (a quarter
of all cases visible) and for a counsellor, with the data-key cache cleared before every search ("cold", the figure
held against the bound) and warm; and the supervisor once more with no budget, to show what the bound saves.
Writes bench-results/p7-<scale>.json.
"""

import json
import logging
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)
from bench import db_bench  # noqa: E402
from bench.dataset import FIRST, LAST, RESULTS  # noqa: E402


def run(scale: int, repeats: int = 15) -> dict:
    import crypto
    from app.db import db
    from app.users.models import User
    from cases.casefile.services import SCAN_BUDGET, find_cases
    from cases.core import policies

    app, ds = db_bench.prepare("sqlite", scale, None, lambda m: print(m, flush=True))
    db_bench.quiesce()
    rng = random.Random(3)
    queries = [rng.choice(LAST)[:4].lower() for _ in range(repeats)] + [rng.choice(FIRST).lower() for _ in range(3)]
    queries += [f"{rng.randrange(10000):04d}" for _ in range(3)]   # phone endings
    out: dict = {"cases": len(ds.cases), "budget": SCAN_BUDGET}
    sup_id = next(u["id"] for u in ds.users if u["role"] == "supervisor")
    cou_id = next(u["id"] for u in ds.users if u["role"] == "counsellor")
    with app.test_request_context():
        ctx = crypto.get_context()
        for label, user_id, budget in (("supervisor", sup_id, SCAN_BUDGET), ("counsellor", cou_id, SCAN_BUDGET),
                                       ("supervisor_unbounded", sup_id, 10**9)):
            user = db.session.get_one(User, user_id)
            visible = db.session.scalar(policies.visible_cases_query(user).with_only_columns(db.func.count())
                                        .order_by(None))
            for mode in ("cold", "warm"):
                times, scanned, hits = [], 0, []
                find_cases(user, queries[0], budget=budget)   # untimed: statement caches
                for q in queries:
                    if mode == "cold":
                        ctx.clear_cache()
                    t0 = time.perf_counter()
                    found = find_cases(user, q, budget=budget)
                    times.append((time.perf_counter() - t0) * 1000)
                    scanned = found.scanned
                    hits.append(len(found.cases))
                    db.session.rollback()
                out[f"{label}_{mode}"] = {**db_bench.summary(times), "visible": visible, "scanned": scanned,
                                          "mean_results": round(statistics.mean(hits), 1)}
                print(label, mode, out[f"{label}_{mode}"], flush=True)
    return out


if __name__ == "__main__":
    scale = int(sys.argv[1])
    result = run(scale)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"p7-{scale}.json").write_text(json.dumps(result, default=str))
