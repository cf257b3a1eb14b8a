"""No double booking under concurrency: many writers released at the same instant (threading.Barrier) try to book the
same bed for overlapping dates; exactly one wins each round and no overlapping bookings exist afterwards.

PostgreSQL: 20 threads × 20 rounds of raw INSERTs (the exclusion constraint alone decides), and 20 threads × 5 rounds
through the booking service (each with its own app context and session). SQLite serialises writers, so there a lighter
run (5 threads × 3 rounds) checks the trigger under the same race.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import sqlalchemy as sa

from tests.shelters.helpers import admit, make_shelter, request_for

BASE = date(2032, 1, 5)


def _setup(app, make_user, make_case):  # type: ignore[no-untyped-def]
    counsellor, coordinator, admin = make_user("counsellor"), make_user("coordinator"), make_user("admin")
    shelter = make_shelter(app, admin, coordinators=(coordinator,), rooms=(1, 1))
    req = request_for(app, make_case(counsellor), shelter, counsellor, children=False)
    admit(app, shelter, req, coordinator, [1], BASE - timedelta(days=1), today=BASE)  # a stay on the other bed
    from app.db import db
    from shelters.core.models import Bed, Stay

    with app.app_context():
        stay_id = db.session.scalar(sa.select(Stay.id))
        bed_id = db.session.scalar(sa.select(Bed.id).where(Bed.public_id == shelter.bed_ids[0]))
    return stay_id, bed_id


def _overlaps(app, bed_id: int) -> int:  # type: ignore[no-untyped-def]
    from app.db import db

    with app.app_context():
        return db.session.scalar(sa.text(
            "SELECT count(*) FROM shelter_bed_assignments a JOIN shelter_bed_assignments b "
            "ON a.bed_id = b.bed_id AND a.id < b.id AND a.start_on < b.end_on AND b.start_on < a.end_on "
            "WHERE a.bed_id = :bed"), {"bed": bed_id}) or 0


def _race_raw(db_url: str, stay_id: int, bed_id: int, threads: int, rounds: int) -> list[int]:
    # One connection per thread (no pool to wait for), so all of them reach the barrier.
    connect_args = {"timeout": 30} if db_url.startswith("sqlite") else {}
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool, connect_args=connect_args)
    winners_per_round = []
    for r in range(rounds):
        start = BASE + timedelta(days=40 * r)
        barrier = threading.Barrier(threads)
        wins: list[int] = []
        errors: list[BaseException] = []

        def worker(i: int, start: date, barrier: threading.Barrier, wins: list[int],
                   errors: list[BaseException]) -> None:
            with engine.connect() as conn:
                barrier.wait(timeout=60)
                try:
                    conn.execute(sa.text(
                        "INSERT INTO shelter_bed_assignments (stay_id, bed_id, start_on, end_on) "
                        "VALUES (:s, :b, :start, :end)"),
                        {"s": stay_id, "b": bed_id, "start": start + timedelta(days=i % 3),
                         "end": start + timedelta(days=10 + i % 5)})
                    conn.commit()
                    wins.append(i)
                except (sa.exc.IntegrityError, sa.exc.OperationalError):
                    conn.rollback()
                except BaseException as exc:  # noqa: BLE001
                    errors.append(exc)

        pool = [threading.Thread(target=worker, args=(i, start, barrier, wins, errors)) for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=60)
        assert not errors, errors
        winners_per_round.append(len(wins))
    engine.dispose()
    return winners_per_round


def test_raw_concurrent_bookings_one_winner_per_round(app, backend, db_url, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    stay_id, bed_id = _setup(app, make_user, make_case)
    threads, rounds = (20, 20) if backend == "postgresql" else (5, 3)
    assert _race_raw(db_url, stay_id, bed_id, threads, rounds) == [1] * rounds
    assert _overlaps(app, bed_id) == 0


def test_service_concurrent_bookings_one_winner_per_round(app, backend, db_url, tmp_path, make_user,  # type: ignore[no-untyped-def]
                                                          make_case) -> None:
    # SQLite has one writer at a time (busy_timeout queues the others): a smaller race, same guarantee.
    from app.db import db
    from shelters.admissions import services as stays
    from shelters.core.errors import BedTaken, BedUnavailable
    from shelters.core.models import Bed, Stay
    from tests.conftest import make_app

    stay_id, bed_id = _setup(app, make_user, make_case)
    threads, rounds = (20, 5) if backend == "postgresql" else (4, 2)
    # a pool big enough for every thread to hold a session at the barrier
    racing = make_app(db_url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads + 2,
                                                                            "max_overflow": 0})
    for r in range(rounds):
        start = BASE + timedelta(days=40 * r)
        barrier = threading.Barrier(threads)
        wins: list[int] = []
        taken: list[int] = []
        errors: list[BaseException] = []

        def worker(i: int, start: date, barrier: threading.Barrier, wins: list[int], taken: list[int],
                   errors: list[BaseException]) -> None:
            with racing.app_context():
                try:
                    stay = db.session.get(Stay, stay_id)
                    bed = db.session.get(Bed, bed_id)
                    barrier.wait(timeout=60)
                    stays.book_bed(stay, bed, start + timedelta(days=i % 4), start + timedelta(days=12))
                    db.session.commit()
                    wins.append(i)
                except (BedTaken, BedUnavailable):
                    db.session.rollback()
                    taken.append(i)
                except BaseException as exc:  # noqa: BLE001
                    db.session.rollback()
                    errors.append(exc)
                finally:
                    db.session.remove()

        pool = [threading.Thread(target=worker, args=(i, start, barrier, wins, taken, errors))
                for i in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=120)
        assert not errors, errors
        assert len(wins) == 1 and len(taken) == threads - 1, (r, wins, taken)
    with racing.app_context():
        db.engine.dispose()
    assert _overlaps(app, bed_id) == 0
