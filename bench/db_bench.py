"""Database benchmarks on the real app (DESIGN.md §7): P2 exact search, P3 the counsellor's case list.

Each runs inside an app built by ``app.create_app("test", ...)`` on a database migrated with ``upgrade heads`` and
filled by :mod:`bench.dataset`. Every timed operation starts with an empty session (as a request does) and is timed
twice: with the data-key cache cleared before each operation (**cold**: every key is read from the database and
unwrapped, as for a case nobody opened in the last minute) and with it warm. The cold figure is the one compared
with the target: search candidates and list pages are spread over many cases, so their keys are rarely cached.
"""

from __future__ import annotations

import gc
import hashlib
import random
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.dataset import RESULTS, ROOT, Dataset, insert, load_or_build


def migrations_fingerprint() -> str:
    names = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]


def make_app(url: str, key_file: Path) -> Any:
    from app import create_app

    return create_app("test", SQLALCHEMY_DATABASE_URI=url, KEY_FILE=str(key_file),
                      ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})


def prepare(backend: str, scale: int, pg: Any, log: Callable[[str], None],
            widen: bool = False) -> tuple[Any, Dataset]:
    """An app on a migrated, filled database of ``scale`` cases (SQLite files are cached between runs); ``widen``:
    blind indexes at the width `keys reindex` chooses for the population (bench.dataset.build)."""
    from flask_migrate import upgrade

    from app.db import db

    ds, key_file = load_or_build(scale, log, widen=widen)
    if backend == "sqlite":
        name = f"{scale}-wide" if widen else f"{scale}"
        path = RESULTS / f"bench-{name}-{migrations_fingerprint()}.sqlite"
        url = f"sqlite:///{path}"
        if path.exists():
            return make_app(url, key_file), ds
        for old in RESULTS.glob(f"bench-{name}-*.sqlite"):
            if widen or not old.name.startswith(f"bench-{scale}-wide-"):
                old.unlink()
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        url_tmp = f"sqlite:///{tmp}"
    else:
        url_tmp = url = pg.create_database(f"bench_{scale}{'_wide' if widen else ''}")
    app = make_app(url_tmp, key_file)
    t0 = time.perf_counter()
    with app.app_context():
        upgrade(revision="heads")
        insert(db.engine, ds)
        db.engine.dispose()
    log(f"  {backend}: loaded {len(ds.cases)} cases / {len(ds.persons)} persons in {time.perf_counter() - t0:.1f} s")
    if backend == "sqlite":
        shutil.move(tmp, path)
        app = make_app(url, key_file)
    return app, ds


def quiesce() -> None:
    """Move the data set's ~10^6 objects out of the garbage collector's way: an app process does not hold them,
    and full collections scanning them would show up as 20-100 ms spikes in the p95 figures."""
    gc.collect()
    gc.freeze()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def summary(ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(ms), 3), "p95_ms": round(pct(ms, 0.95), 3),
            "max_ms": round(max(ms), 3), "n": len(ms)}


def bench_search(app: Any, ds: Dataset, queries: int = 150, seed: int = 1,
                 name_limit: bool = False) -> dict[str, Any]:
    """P2: crypto.search on Person by TCKN, phone and name, for applicants that exist (every result is checked).

    ``name_limit``: the name kind is also measured as the app calls it ("name_app": ``limit`` = the search page's
    ``NAMESAKE_LIMIT`` + 1, so the page can say there are more), with no ``where`` (a user who may see every case:
    the most candidates). A capped result need not hold the probe's applicant; it must hold limit verified rows."""
    import crypto
    from app.db import db
    from cases.casefile.services import NAMESAKE_LIMIT
    from cases.core.models import Person

    rng = random.Random(seed)
    probes = rng.sample(ds.probes, min(queries, len(ds.probes)))
    out: dict[str, Any] = {"persons": len(ds.persons), "cases": len(ds.cases)}
    kinds: list[tuple[str, Any, int, int | None]] = [("tckn", Person.tckn, 0, None), ("phone", Person.phone, 1, None),
                                                     ("name", Person.full_name, 2, None)]
    if name_limit:
        kinds.append(("name_app", Person.full_name, 2, NAMESAKE_LIMIT + 1))
        out["name_app_limit"] = NAMESAKE_LIMIT + 1
    with app.app_context():
        ctx = crypto.get_context()
        for label, attr, pick, limit in kinds:
            for probe in probes[:5]:    # untimed: SQLAlchemy's statement caches, the database's page cache
                crypto.search(db.session(), attr, str(probe[pick]), limit=limit)
                db.session.remove()
            for mode in ("cold", "warm"):
                times, hits = [], []
                if mode == "warm":      # one untimed pass fills the key cache for exactly these queries
                    for probe in probes:
                        crypto.search(db.session(), attr, str(probe[pick]), limit=limit)
                        db.session.remove()
                cpu: list[float] = []
                capped = 0
                for probe in probes:
                    if mode == "cold":
                        ctx.clear_cache()
                    c0, t0 = time.thread_time(), time.perf_counter()
                    found = crypto.search(db.session(), attr, str(probe[pick]), limit=limit)
                    values = [getattr(p, attr.descriptor.name) for p in found]
                    times.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.thread_time() - c0) * 1000)
                    case_id = ds.cases[probe[3]]["id"]
                    if limit is not None and len(found) == limit:
                        capped += 1
                        assert all(attr.descriptor.index.normalise(v) == attr.descriptor.index.normalise(
                            str(probe[pick])) for v in values), f"{label} search returned a non-match"
                    else:
                        assert any(p.case_id == case_id for p in found), f"{label} search missed its applicant"
                    hits.append(len(values))
                    db.session.remove()
                out[f"{label}_{mode}"] = {**summary(times), "mean_results": round(statistics.mean(hits), 1),
                                          "cpu_p95_ms": round(pct(cpu, 0.95), 3),
                                          "cpu_median_ms": round(statistics.median(cpu), 3)}
                if limit is not None:
                    out[f"{label}_{mode}"]["capped"] = capped
        db.engine.dispose()
    return out


def bench_case_list(app: Any, ds: Dataset, repeats: int = 60) -> dict[str, Any]:
    """P3: page 1 of the counsellor's case list (visible_cases_query, status "current", newest first, 50 rows,
    with the total count), plus the applicants of the page — with their names decrypted (what the page shows)
    vs the same queries reading the ciphertext column instead (no decryption)."""
    import crypto
    from app.db import db
    from app.users.models import User
    from cases.core import policies
    from cases.core.models import Case, CaseStatus, Person, PersonKind

    def page_of(user: Any) -> list[Any]:
        stmt = policies.visible_cases_query(user).where(Case.status != CaseStatus.CLOSED)
        stmt = stmt.order_by(Case.opened_at.desc(), Case.id.desc())
        page = db.paginate(stmt, page=1, per_page=50, error_out=False, count=True)
        return list(page.items)

    def applicants(cases: list[Any], decrypt: bool) -> dict[int, Any]:
        people = db.session.scalars(sa.select(Person).where(Person.case_id.in_([c.id for c in cases]),
                                                            Person.kind == PersonKind.APPLICANT))
        if decrypt:
            return {p.case_id: p.full_name for p in people}
        return {p.case_id: p.full_name_ct for p in people}

    out: dict[str, Any] = {"cases": len(ds.cases)}
    with app.app_context():
        ctx = crypto.get_context()
        counsellor_id = next(u["id"] for u in ds.users if u["role"] == "counsellor")
        user = db.session.get_one(User, counsellor_id)
        visible = db.session.scalar(policies.visible_cases_query(user).with_only_columns(sa.func.count()))
        out["visible_to_counsellor"] = visible
        db.session.expunge(user)
        db.session.remove()
        results: dict[str, list[float]] = {"plain": [], "cold": [], "warm": []}
        cpu: dict[str, list[float]] = {"plain": [], "cold": [], "warm": []}
        for i in range(repeats + 3):
            for mode in ("plain", "cold", "warm"):   # interleaved: the three share the machine's noise
                if mode == "cold":
                    ctx.clear_cache()
                c0, t0 = time.thread_time(), time.perf_counter()
                cases = page_of(user)
                names = applicants(cases, decrypt=mode != "plain")
                elapsed = (time.perf_counter() - t0) * 1000
                spent = (time.thread_time() - c0) * 1000
                assert len(cases) == 50 and len(names) == 50
                if mode != "plain":
                    assert all(isinstance(n, str) for n in names.values())
                if i >= 3:      # the first rounds warm SQLAlchemy's statement caches
                    results[mode].append(elapsed)
                    cpu[mode].append(spent)
                db.session.remove()
        db.engine.dispose()
    for mode, ms in results.items():
        out[mode] = summary(ms)
    out["ratio_cold"] = round(statistics.median(results["cold"]) / statistics.median(results["plain"]), 3)
    out["ratio_warm"] = round(statistics.median(results["warm"]) / statistics.median(results["plain"]), 3)
    # The same ratio in this thread's CPU time (SQLite, the token library and AES run in it; a PostgreSQL server's
    # work does not): on a shared machine it moves far less than the wall-clock one.
    out["ratio_cold_cpu"] = round(statistics.median(cpu["cold"]) / statistics.median(cpu["plain"]), 3)
    out["cold_cpu_median_ms"] = round(statistics.median(cpu["cold"]), 3)
    out["plain_cpu_median_ms"] = round(statistics.median(cpu["plain"]), 3)
    return out
