"""P6 (DESIGN.md §7): the yearly statistics over 10^5 cases in at most 1 s.

``run(scale)`` builds a migrated throwaway database (SQLite by default, or ``url``), inserts ``scale`` synthetic
cases of one year with SQLAlchemy Core — categorical columns only, every encrypted column NULL, spread over four
centres — plus referrals (one per two cases), protective orders (one per ten cases) and shelter stays, then times
issuing that year's release (every registered section for all centres and each published unit, protected
together: ``build_content``; wall and CPU time, SQL statements) and reading the stored release back as tables
(``view_s``).
Returns a dict of timings; ``bench/run.py`` may call it.

    .venv/bin/python bench/stats_bench.py [SCALE] [sqlite|postgresql]   # default 100000 sqlite

``postgresql`` starts a throwaway PostgreSQL 15 (``tests/pgserver.py``, as the other benches do) and stops it after.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

YEAR = 2025
CENTRES = 4
TARGET_SECONDS = 1.0


def _fill(scale: int, seed: int = 6) -> dict[str, int]:
    import sqlalchemy as sa

    from app.db import db
    from app.users.models import Centre, User
    from cases.core.models import Case, Person
    from cases.core.services import AGE_BANDS
    from cases.orders.models import ProtectiveOrder
    from cases.referrals.models import Referral
    from shelters.core.models import AdmissionRequest, Shelter, Stay

    rng = random.Random(seed)
    conn = db.session.connection()
    now = datetime.now(UTC)
    centre_ids, user_ids = [], []
    for c in range(CENTRES):
        centre_ids.append(conn.execute(sa.insert(Centre).values(
            public_id=uuid.uuid4(), code=f"B{c}", name=f"Bench {c}", created_at=now).returning(Centre.id)).scalar_one())
        user_ids.append(conn.execute(sa.insert(User).values(
            public_id=uuid.uuid4(), email=f"bench{c}@example.org", name="Bench", role="counsellor",
            centre_id=centre_ids[-1], password_hash="x", password_changed_at=now, is_active=True, is_demo=False,
            created_at=now).returning(User.id)).scalar_one())

    violence = ("physical", "sexual", "psychological", "economic", "stalking", "digital")
    bands = [b for _lo, _hi, b in AGE_BANDS] + [None]
    rows = []
    for i in range(scale):
        c = i % CENTRES
        rows.append({
            "public_id": uuid.uuid4(), "centre_id": centre_ids[c], "year": YEAR, "serial": i + 1,
            "number": f"B{c}-{YEAR}-{i + 1:06d}", "status": rng.choice(("open", "active", "closed")),
            "primary_counsellor_id": user_ids[c], "created_by_id": user_ids[c], "opened_at": now,
            "applied_on": date(YEAR, 1, 1) + timedelta(days=rng.randrange(365)),
            "channel": rng.choice(("walk-in", "phone", "sonim", "police", "hospital", "ngo", "other")),
            "violence_types": rng.sample(violence, rng.randint(1, 3)), "previous_applications": [],
            "applicant_age_band": rng.choice(bands), "children_count": rng.choice((0, 0, 1, 2, 3, 4)),
            "risk_level": rng.choice((None, "standard", "medium", "high")),
        })
    for start in range(0, scale, 20_000):
        conn.execute(sa.insert(Case), rows[start:start + 20_000])
    case_ids = list(conn.execute(sa.select(Case.id, Case.public_id, Case.centre_id)).all())

    referrals = []
    for case_id, public_id, _centre in case_ids[::2]:
        referrals.append({
            "public_id": uuid.uuid4(), "case_id": case_id, "case_public_id": public_id,
            "institution_type": rng.choice(("police", "prosecutor", "sonim", "hospital", "ngo", "other")),
            "data_classes": ["identity"], "status": rng.choice(("sent", "accepted", "declined", "completed")),
            "outcome": rng.choice((None, "service-provided", "no-service")), "is_override": False,
            "created_by_id": user_ids[0], "created_at": now,
            "sent_at": datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(364 * 24)),
        })
    for start in range(0, len(referrals), 20_000):
        conn.execute(sa.insert(Referral), referrals[start:start + 20_000])
    orders = [{
        "public_id": uuid.uuid4(), "case_id": case_id, "case_public_id": public_id,
        "kind": rng.choice(("protective", "preventive")), "issuer": rng.choice(("governor", "family-court", "police")),
        "measures": [], "issued_at": now, "starts_on": date(YEAR, 1, 1) + timedelta(days=rng.randrange(365)),
        "duration_days": 180, "expires_on": date(YEAR + 1, 6, 30), "created_by_id": user_ids[0], "created_at": now,
    } for case_id, public_id, _centre in case_ids[::10]]
    conn.execute(sa.insert(ProtectiveOrder), orders)

    # Shelters: one per centre, 40 places; stays for one case in 40 (the woman, sometimes a child).
    shelter_ids = {centre_ids[c]: conn.execute(sa.insert(Shelter).values(
        public_id=uuid.uuid4(), centre_id=centre_ids[c], name=f"Ev {c}", capacity=40, boy_age_limit=12,
        max_stay_days=183, is_active=True, created_at=now).returning(Shelter.id)).scalar_one()
        for c in range(CENTRES)}
    stays = 0
    for case_id, public_id, centre_id in case_ids[::40]:
        kinds = ["applicant"] + (["child"] if rng.random() < 0.5 else [])
        person_ids = [conn.execute(sa.insert(Person).values(
            public_id=uuid.uuid4(), case_id=case_id, case_public_id=public_id, kind=kind,
            sex="girl" if kind == "child" else None, interpreter_needed=False, created_at=now)
            .returning(Person.id)).scalar_one() for kind in kinds]
        request_id = conn.execute(sa.insert(AdmissionRequest).values(
            public_id=uuid.uuid4(), shelter_id=shelter_ids[centre_id], case_id=case_id, case_public_id=public_id,
            status="admitted", requested_by_id=user_ids[0], requested_at=now, person_ids=person_ids)
            .returning(AdmissionRequest.id)).scalar_one()
        starts = date(YEAR, 1, 1) + timedelta(days=rng.randrange(330))
        ended = starts + timedelta(days=rng.randint(1, 150)) if rng.random() < 0.8 else None
        conn.execute(sa.insert(Stay), [{
            "public_id": uuid.uuid4(), "shelter_id": shelter_ids[centre_id], "request_id": request_id,
            "case_id": case_id, "person_id": pid, "starts_on": starts, "planned_end_on": starts + timedelta(183),
            "ended_on": ended, "exit_destination": rng.choice(("own-home", "relatives", "unknown")) if ended else None,
            "admitted_by_id": user_ids[0], "created_at": now} for pid in person_ids])
        stays += len(person_ids)
    db.session.commit()
    return {"cases": scale, "referrals": len(referrals), "orders": len(orders), "stays": stays}


def run(scale: int = 100_000, url: str | None = None) -> dict[str, Any]:
    """Time all report sections for one year over ``scale`` synthetic cases. ``url``: an empty database to use
    (default: a temporary SQLite file)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db

    tmp = Path(tempfile.mkdtemp(prefix="stats-bench-"))
    try:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url or f"sqlite:///{tmp / 'stats.db'}",
                         KEY_FILE=str(tmp / "keys.json"), SERVER_NAME="localhost",
                         ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
        with app.app_context():
            upgrade(revision="heads")
            t0 = time.perf_counter()
            counts = _fill(scale)
            fill_s = time.perf_counter() - t0
            backend = db.engine.dialect.name
        import sqlalchemy as sa

        from app.reports.releases import build_content
        from app.reports.render import release_tables

        timings, cpu, views = [], [], []
        tables = 0
        statements: list[str] = []

        def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        for _ in range(3):
            with app.test_request_context("/reports/"):
                db.session.remove()
                statements.clear()
                sa.event.listen(db.engine, "before_cursor_execute", on_execute)
                t0, c0 = time.perf_counter(), time.process_time()
                content = build_content(YEAR, [])  # what issuing a release computes (all units, protected)
                timings.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                sa.event.remove(db.engine, "before_cursor_execute", on_execute)
                t0 = time.perf_counter()
                rendered = release_tables(content, "all", "tr")  # what every later read serves
                views.append(time.perf_counter() - t0)
                tables = len(rendered)
        with app.app_context():
            db.engine.dispose()
        return {"id": "P6", "backend": backend, **counts, "tables": tables, "fill_s": round(fill_s, 2),
                "first_s": round(timings[0], 3), "best_s": round(min(timings), 3), "target_s": TARGET_SECONDS,
                "view_s": round(min(views), 4), "cpu_s": round(min(cpu), 3), "statements": len(statements),
                "ok": min(timings) <= TARGET_SECONDS}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    backend = sys.argv[2] if len(sys.argv) > 2 else "sqlite"
    if backend == "postgresql":
        from tests.pgserver import PostgresServer

        pg = PostgresServer()
        pg.start()
        try:
            print(run(scale, url=pg.create_database("bench_p6")))
        finally:
            pg.stop()
    elif backend == "sqlite":
        print(run(scale))
    else:
        raise SystemExit(f"unknown backend {backend!r}: sqlite or postgresql")
