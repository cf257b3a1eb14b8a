"""Crypto benchmarks (DESIGN.md §7): P1 field encrypt+decrypt vs raw AESGCM, P5 KEK rotation of 10^5 data keys.

Run alone: ``.venv/bin/python bench/crypto_bench.py`` (``make bench`` runs them through ``bench/run.py``).

P1 method. The measured path is what a ``crypto.Encrypted`` attribute uses: ``ctx.encrypt_bound`` (called by the
``before_flush`` hook with the column's precomputed AAD prefix and the row uid) and ``ctx.decrypt_bound`` (called
by the attribute read), with the data key cached, for a 64-byte UTF-8 value (name and address), in ciphertext format
v2 (what every write produces). The owner tuple is built afresh per call, as the flush hook does; the field path
takes a str and gives back a str. The **baseline** does the same essential cryptographic work with nothing else:
``nonce = os.urandom(12)`` (a fresh random nonce per encryption), ``AESGCM(key).encrypt(nonce, data, aad)`` and
``.decrypt(...)`` of the same value, already as bytes, with an AAD of exactly the length the field path uses
(the 79-byte table/column/kind prefix + the 16-byte row uid = 95 bytes). The two run interleaved in short
rounds (2,000 calls each) so that they share the machine's noise; the figure is the median of the per-round ratios.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import crypto  # noqa: E402
from crypto import envelope  # noqa: E402
from crypto.keys import add_kek  # noqa: E402
from crypto.models import DataKey  # noqa: E402

VALUE = "Ayşe Yılmaz, Gül Sokak No 7 Daire 3, Çankaya / Ankara"  # 64 bytes of UTF-8
LONG_VALUE = ("Başvurucu eşinden gördüğü şiddet nedeniyle merkeze başvurdu; çocuklarıyla birlikte güvenli bir yere "
              "ihtiyacı var. ") * 9   # ~1 KiB, a narrative


def _rounds(pairs: dict[str, Any], rounds: int, per_round: int) -> dict[str, list[float]]:
    """Per-call seconds of each function, measured interleaved round by round."""
    out: dict[str, list[float]] = {name: [] for name in pairs}
    clock = time.perf_counter
    for _ in range(rounds):
        for name, fn in pairs.items():
            t0 = clock()
            fn(per_round)
            out[name].append((clock() - t0) / per_round)
    return out


def bench_p1(rounds: int = 60, per_round: int = 2000) -> dict[str, Any]:
    engine = sa.create_engine("sqlite://")
    crypto.CryptoBase.metadata.create_all(engine)
    ctx = crypto.CryptoContext(crypto.generate_key_material())
    case_uid = uuid.uuid4()
    row_uid = uuid.uuid4()
    with Session(engine) as session:
        blob = ctx.encrypt(session, ("case", case_uid), "persons", "full_name_ct", row_uid, VALUE)
        session.commit()
        prefix, uid = envelope.aad_prefix("persons", "full_name_ct", "str"), row_uid.bytes
        assert ctx.decrypt(session, "persons", "full_name_ct", row_uid, blob) == VALUE
        assert blob[0] == envelope.FORMAT_V2
        aad_len = len(prefix) + len(uid)
        enc, dec = ctx.encrypt_bound, ctx.decrypt_bound

        def field_path(value: str) -> Any:
            def run(n: int) -> None:
                for _ in range(n):
                    dec(session, prefix, uid, enc(session, ("case", case_uid), prefix, uid, value))
            return run

        def convenience(n: int) -> None:   # ctx.encrypt / ctx.decrypt with table and column names
            for _ in range(n):
                b = ctx.encrypt(session, ("case", case_uid), "persons", "full_name_ct", row_uid, VALUE)
                ctx.decrypt(session, "persons", "full_name_ct", row_uid, b)

        raw_aead = AESGCM(os.urandom(32))
        aad = os.urandom(aad_len)
        urandom = os.urandom

        def raw_path(value: str) -> Any:
            data = value.encode()

            def run(n: int) -> None:
                for _ in range(n):
                    nonce = urandom(12)
                    raw_aead.decrypt(nonce, raw_aead.encrypt(nonce, data, aad), aad)
            return run

        def raw_str(n: int) -> None:   # the baseline plus str -> bytes -> str (the value is text, after all)
            for _ in range(n):
                nonce = urandom(12)
                raw_aead.decrypt(nonce, raw_aead.encrypt(nonce, VALUE.encode(), aad), aad).decode()

        res = _rounds({"raw": raw_path(VALUE), "field": field_path(VALUE), "raw_str": raw_str,
                       "convenience": convenience, "raw_1k": raw_path(LONG_VALUE),
                       "field_1k": field_path(LONG_VALUE)}, rounds, per_round)

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(res[a], res[b], strict=True))

    def us(name: str) -> float:
        return round(statistics.median(res[name]) * 1e6, 3)

    r = ratio("field", "raw")
    return {"id": "P1", "what": "field encrypt+decrypt (encrypt_bound/decrypt_bound, cached key, 64 B UTF-8)",
            "ratio": round(r, 3), "target_ratio": 1.5, "ok": r <= 1.5, "field_us": us("field"), "raw_us": us("raw"),
            "field_p95_us": round(sorted(res["field"])[int(0.95 * (len(res["field"]) - 1))] * 1e6, 3),
            "aad_bytes": aad_len, "rounds": rounds, "calls_per_round": per_round,
            "ratio_vs_raw_with_str_codec": round(ratio("field", "raw_str"), 3),
            "convenience_ratio": round(ratio("convenience", "raw"), 3),
            "ratio_1k": round(ratio("field_1k", "raw_1k"), 3), "field_1k_us": us("field_1k"),
            "raw_1k_us": us("raw_1k")}


# --- P5 --------------------------------------------------------------------------------------------------------


def fill_data_keys(engine: sa.Engine, ctx: crypto.CryptoContext, n: int) -> None:
    kek_id = ctx.keyring.active_id
    kek = ctx.kek_aead(kek_id)
    now = datetime.now(UTC)
    rows = []
    for _ in range(n):
        dek_id, owner_id = uuid.uuid4(), uuid.uuid4()
        rows.append({"id": dek_id, "owner_type": "case", "owner_id": owner_id, "kek_id": kek_id, "created_at": now,
                     "wrapped": envelope.wrap_dek(kek, kek_id, dek_id, "case", owner_id, os.urandom(32), os.urandom)})
    with engine.begin() as conn:
        for i in range(0, n, 20_000):
            conn.execute(sa.insert(DataKey), rows[i:i + 20_000])


def _writer(url: str, key_json: str, stop: Any, out: Any, pause: float) -> None:
    """The app meanwhile, in its own process (as a gunicorn worker is): every ``pause`` s it opens a session,
    creates a new case key (wrapped with the active KEK) and commits. Reports latencies, errors and KEK ids."""
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    ctx = crypto.CryptoContext(crypto.parse_key_material(key_json))
    latencies: list[float] = []
    errors: list[str] = []
    kek_ids: set[int] = set()
    while not stop.is_set():
        t0 = time.perf_counter()
        try:
            with Session(engine) as s:
                handle = ctx.dek_for_owner(s, ("case", uuid.uuid4()))
                s.commit()
                kek_ids.add(s.get(DataKey, handle.dek_id).kek_id)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - any failed write is the finding
            errors.append(type(exc).__name__)
        latencies.append(time.perf_counter() - t0)
        time.sleep(pause)
    engine.dispose()
    out.put((latencies, errors, sorted(kek_ids)))


def bench_p5(n: int = 100_000, batch_size: int = 5000, url: str | None = None, label: str = "SQLite",
             online: bool = True) -> dict[str, Any]:
    """Rotate ``n`` data keys to a new KEK while another process keeps creating keys; check nothing was missed."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(url or f"sqlite:///{tmp}/rotation.db",
                                  connect_args={"timeout": 30} if url is None else {})
        crypto.CryptoBase.metadata.create_all(engine)
        ctx = crypto.CryptoContext(crypto.generate_key_material())
        fill_data_keys(engine, ctx, n)
        add_kek(ctx.material)
        crypto.activate_kek(ctx.material, 2)
        mp = multiprocessing.get_context("spawn")
        stop, queue = mp.Event(), mp.Queue()
        url = url or str(engine.url)
        writer = mp.Process(target=_writer, args=(url, ctx.material.to_json(), stop, queue, 0.02), daemon=True)
        if online:
            writer.start()
            time.sleep(1.0)     # the writer process is up and writing
        with Session(engine) as session:
            start = time.perf_counter()
            result = crypto.rotate_keks(session, ctx, batch_size=batch_size)
            elapsed = time.perf_counter() - start
        latencies: list[float] = []
        errors: list[str] = []
        kek_ids: list[int] = []
        if online:
            stop.set()
            try:
                latencies, errors, kek_ids = queue.get(timeout=60)
            except Exception:  # noqa: BLE001 - the writer died: that is a failed write, not a crash of the bench
                errors = ["the writer process failed"]
            writer.join(timeout=10)
        with Session(engine) as session:
            left = session.execute(sa.select(sa.func.count()).where(DataKey.kek_id != 2)).scalar_one()
            total = session.execute(sa.select(sa.func.count()).select_from(DataKey)).scalar_one()
        # Every key still unwraps (a sample, with a cold cache) under the new KEK.
        check = crypto.CryptoContext(ctx.material)
        with Session(engine) as session:
            ids = session.scalars(sa.select(DataKey.id).limit(200)).all()
            for dek_id in ids:
                check.dek_by_id(session, dek_id.bytes)
        engine.dispose()
    assert result.rewrapped == n and left == 0, (result, left)
    lat = sorted(latencies) or [0.0]
    return {"id": "P5", "what": f"KEK rotation of {n} data keys, {label}", "seconds": round(elapsed, 3),
            "target_seconds": 5.0, "ok": elapsed <= 5.0 and not errors, "keys_per_second": round(n / elapsed),
            "batch_size": batch_size, "batches": result.batches, "concurrent_writes": len(latencies),
            "failed_writes": len(errors), "write_errors": sorted(set(errors)),
            "write_p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1),
            "write_max_ms": round(lat[-1] * 1000, 1), "keys_total_after": total,
            "new_keys_wrapped_with": kek_ids}


def run() -> list[dict[str, Any]]:
    results = [bench_p1(), bench_p5()]
    for r in results:
        print(r)
    return results


if __name__ == "__main__":
    run()
