"""P3 and P5 on the PKCS#11 KEK provider (SoftHSM2) beside the file provider (DESIGN.md §7, issue 14 §2).

- **P5**: ``crypto.rotate_keks`` of N data keys to a new KEK while another process plays the app (every 20 ms a new
  case key, wrapped with the active KEK, through its own provider and token session), once with the KEKs in the key
  file and once with the KEKs as non-extractable AES keys in a SoftHSM2 token, where every unwrap and wrap is a
  token operation (``C_Decrypt``/``C_Encrypt``, AES-GCM).
- **P3**: the counsellor's case list with cold data keys (``bench.db_bench.bench_case_list``) on one data set: first
  with its data keys wrapped by the file KEK, then with the same data keys rewrapped by a KEK in the token, the app
  started with ``KEK_PROVIDER=pkcs11``: the 50 cold keys of a page are unwrapped by the token.

The token is a throwaway one (its own directory and configuration, random PIN). ``make bench`` runs this beside the
other figures; ``BENCH_ONLY=pkcs11 make bench`` runs it alone and updates its rows and section in
docs/PERFORMANCE.md. Without SoftHSM2 the figures are reported as not measured, never invented.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

import crypto
from bench import crypto_bench
from crypto import envelope
from crypto.models import DataKey
from crypto.providers import FileKekProvider, Pkcs11KekProvider

MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
           "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
P3_TARGET = 1.3
P5_TARGET_S = 5.0


class Token:
    """A fresh SoftHSM2 token in ``directory`` (its configuration file is exported to this process's children)."""

    def __init__(self, directory: Path, label: str = "dayanisma") -> None:
        util = shutil.which("softhsm2-util")
        module = next((m for m in MODULES if Path(m).exists()), None)
        if util is None or module is None:
            raise RuntimeError("SoftHSM2 is missing (make softhsm)")
        self.module, self.label, self.pin = module, label, secrets.token_hex(8)
        tokens = directory / "tokens"
        tokens.mkdir(parents=True)
        self.conf = directory / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        subprocess.run([util, "--init-token", "--free", "--label", label, "--pin", self.pin, "--so-pin",
                        secrets.token_hex(8)], check=True, capture_output=True)

    def provider(self) -> Pkcs11KekProvider:
        return Pkcs11KekProvider(self.module, self.label, self.pin, create_first=True)

    def spec(self) -> dict[str, str]:
        return {"kind": "pkcs11", "module": self.module, "label": self.label, "pin": self.pin,
                "conf": str(self.conf)}

    def app_env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf), "DAYANISMA_PKCS11_MODULE": self.module,
                "DAYANISMA_PKCS11_TOKEN": self.label, "DAYANISMA_PKCS11_PIN": self.pin}


_TOKEN: Token | None = None


def shared_token() -> Token:
    """This process's token (SoftHSM2 reads its configuration once per process, when the library is first
    initialised: every measurement in one process uses one token), emptied of Dayanışma KEKs."""
    global _TOKEN
    if _TOKEN is None:
        directory = Path(tempfile.mkdtemp(prefix="dayanisma-softhsm-"))
        atexit.register(shutil.rmtree, directory, True)
        _TOKEN = Token(directory)
    provider = _TOKEN.provider()
    with provider._lock:
        for kek_id in list(provider._find()):
            provider.destroy(kek_id)
    return _TOKEN


def _context(spec: dict[str, str]) -> crypto.CryptoContext:
    if spec["kind"] == "file":
        return crypto.CryptoContext(crypto.read_key_file(spec["path"]), provider=FileKekProvider(spec["path"]))
    os.environ["SOFTHSM2_CONF"] = spec["conf"]
    material = crypto.read_key_file(spec["path"])
    material.keyring = None
    return crypto.CryptoContext(material, provider=Pkcs11KekProvider(spec["module"], spec["label"], spec["pin"]))


def _writer(url: str, spec: dict[str, str], stop: Any, out: Any, pause: float) -> None:
    """The app meanwhile, in its own process with its own provider (and token session): a new case key every
    ``pause`` s, wrapped with the active KEK the database names. Reports latencies, errors and KEK ids."""
    engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    ctx = _context(spec)
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


def bench_p5(kind: str, n: int, url: str | None = None, label: str = "SQLite",
             batch_size: int = 5000, workers: int | None = None) -> dict[str, Any]:
    """Rotate ``n`` data keys from KEK 1 to a new KEK 2 with the ``kind`` provider ("file" or "pkcs11"), online."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(url or f"sqlite:///{tmp}/rotation.db",
                                  connect_args={"timeout": 30} if url is None else {})
        url = url or str(engine.url)
        crypto.CryptoBase.metadata.create_all(engine)
        key_path = Path(tmp) / "keys.json"
        crypto.write_key_file(key_path, crypto.generate_key_material())
        spec: dict[str, str] = {"kind": "file", "path": str(key_path)}
        if kind == "pkcs11":
            token = shared_token()
            spec = {**token.spec(), "path": str(key_path)}
            material = crypto.read_key_file(key_path)
            material.keyring = None
            ctx = crypto.CryptoContext(material, provider=token.provider())
        else:
            ctx = _context(spec)
        t0 = time.perf_counter()
        crypto_bench.fill_data_keys(engine, ctx, n)
        fill_s = time.perf_counter() - t0
        new_kek = ctx.provider.create()
        ctx.reload_keks()
        with Session(engine) as session:
            crypto.set_active_kek(session, ctx, new_kek)
            session.commit()
        mp = multiprocessing.get_context("spawn")
        stop, queue = mp.Event(), mp.Queue()
        writer = mp.Process(target=_writer, args=(url, spec, stop, queue, 0.02), daemon=True)
        writer.start()
        time.sleep(1.5)     # the writer process is up (token session open) and writing
        with Session(engine) as session:
            cpu0 = _cpu_seconds()
            start = time.perf_counter()
            result = crypto.rotate_keks(session, ctx, batch_size=batch_size, workers=workers)
            elapsed = time.perf_counter() - start
            cpu = _cpu_seconds() - cpu0
        stop.set()
        try:
            latencies, errors, kek_ids = queue.get(timeout=60)
        except Exception:  # noqa: BLE001 - the writer died: that is a failed write, not a crash of the bench
            latencies, errors, kek_ids = [], ["the writer process failed"], []
        writer.join(timeout=10)
        with Session(engine) as session:
            left = session.execute(sa.select(sa.func.count()).where(DataKey.kek_id != new_kek)).scalar_one()
            ids = session.scalars(sa.select(DataKey.id).limit(200)).all()
            ctx.clear_cache()
            for dek_id in ids:          # every sampled key unwraps, cold, under the new KEK
                ctx.dek_by_id(session, dek_id.bytes)
        engine.dispose()
    assert result.rewrapped == n and left == 0, (result, left)
    lat = sorted(latencies) or [0.0]
    return {"provider": kind, "database": label, "keys": n, "workers": workers or "auto", "seconds": round(elapsed, 3),
            "cpu_seconds": round(cpu, 2),
            "fill_seconds": round(fill_s, 2), "keys_per_second": round(n / elapsed),
            "batches": result.batches, "batch_size": batch_size, "concurrent_writes": len(latencies),
            "failed_writes": len(errors), "write_errors": sorted(set(errors)), "new_keys_wrapped_with": kek_ids,
            "write_p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1),
            "ok": elapsed <= P5_TARGET_S and not errors}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the rotation's worker processes are joined when it
    returns; the writer process is not yet). The database server's CPU is not in it. On a shared machine this
    moves far less than the wall-clock time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --- P3 ----------------------------------------------------------------------------------------------------------


def rewrap_into_token(url: str, key_file: Path, token: Token) -> int:
    """Rewrap every data key of the database at ``url`` from the key file's KEK to the token's KEK of the same id
    (the AAD names the KEK id, so the ids must match: the token's first KEK is 1, as the file's is)."""
    material = crypto.read_key_file(key_file)
    provider = token.provider()
    ring = provider.load()
    engine = sa.create_engine(url)
    table = cast(sa.Table, DataKey.__table__)
    n = 0
    with engine.begin() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.owner_type, table.c.owner_id, table.c.kek_id,
                                      table.c.wrapped).where(table.c.wrapped.is_not(None))).all()
        updates = []
        for dek_id, owner_type, owner_id, kek_id, wrapped in rows:
            if kek_id not in ring:
                raise RuntimeError(f"the token has no KEK {kek_id}")
            dek = envelope.unwrap_dek(material.keyring.aead(kek_id), kek_id, dek_id, owner_type,  # type: ignore[union-attr]
                                      owner_id, bytes(wrapped))
            token_kek = cast(Any, ring.aead(kek_id))  # the token's AEAD: the same encrypt/decrypt as AESGCM's
            updates.append({"k": dek_id, "w": envelope.wrap_dek(token_kek, kek_id, dek_id, owner_type, owner_id, dek,
                                                                os.urandom)})
        stmt = table.update().where(table.c.id == sa.bindparam("k")).values(wrapped=sa.bindparam("w"))
        for i in range(0, len(updates), 5000):
            conn.execute(stmt, updates[i:i + 5000])
            n += len(updates[i:i + 5000])
    engine.dispose()
    return n


def p3_with_token(url: str, key_file: Path, ds: Any, scratch: Path, file_result: dict[str, Any],
                  log: Callable[[str], None]) -> dict[str, Any]:
    """P3 again on the database at ``url`` (a copy: it is rewritten) with its data keys moved into a token."""
    from app import create_app
    from bench import db_bench

    token = shared_token()
    t0 = time.perf_counter()
    moved = rewrap_into_token(url, key_file, token)
    log(f"  moved {moved:,} data keys into the token in {time.perf_counter() - t0:.1f} s")
    saved = {k: os.environ.get(k) for k in token.app_env()}
    os.environ.update(token.app_env())
    try:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, KEY_FILE=str(key_file), KEK_PROVIDER="pkcs11",
                         ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
        assert app.extensions["dayanisma.crypto"].provider.name == "pkcs11"
        db_bench.quiesce()
        token_result = db_bench.bench_case_list(app, ds)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {"cases": file_result["cases"], "file": file_result, "pkcs11": token_result,
            "ok": token_result["ratio_cold"] <= P3_TARGET}


def bench_p3(backend: str, scale: int, pg: Any, log: Callable[[str], None]) -> dict[str, Any]:
    """P3 on ``backend`` at ``scale`` cases, file provider then PKCS#11 provider, on one data set."""
    from bench import db_bench
    from bench.dataset import load_or_build

    app, ds = db_bench.prepare(backend, scale, pg, log)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    _, key_file = load_or_build(scale, log)
    db_bench.quiesce()
    file_result = db_bench.bench_case_list(app, ds)
    del app
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":     # the cached file stays under the file KEK: rewrap a copy
            copy = Path(tmp) / "p3.sqlite"
            shutil.copyfile(url.removeprefix("sqlite:///"), copy)
            url = f"sqlite:///{copy}"
        return p3_with_token(url, key_file, ds, Path(tmp), file_result, log)


# --- make bench --------------------------------------------------------------------------------------------------


def run(pg: Any, log: Callable[[str], None], *, scale: int, p5_keys: int) -> dict[str, Any]:
    out: dict[str, Any] = {"p5": {}, "p3": {}, "scale": scale, "p5_keys": p5_keys}
    backends = ["sqlite"] + (["postgresql"] if pg is not None else [])
    try:
        shared_token()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        return {"error": f"not measured: {exc}"}
    for backend in backends:
        label = "PostgreSQL" if backend == "postgresql" else "SQLite"
        out["p5"][backend] = {}
        for kind in ("file", "pkcs11"):
            runs = []
            for _ in range(3):      # the median run is reported (this machine is shared)
                url = pg.create_database(f"bench_p5_{kind}") if backend == "postgresql" else None
                runs.append(bench_p5(kind, p5_keys, url=url, label=label))
                log(f"  P5 {label} {kind}: {runs[-1]['seconds']} s ({runs[-1]['failed_writes']} of "
                    f"{runs[-1]['concurrent_writes']} app writes failed)")
            r = sorted(runs, key=lambda x: x["seconds"])[1]
            r["runs_seconds"] = [x["seconds"] for x in runs]
            r["failed_writes_all_runs"] = sum(x["failed_writes"] for x in runs)
            r["ok"] = r["seconds"] <= P5_TARGET_S and r["failed_writes_all_runs"] == 0
            out["p5"][backend][kind] = r
        f, p = out["p5"][backend]["file"], out["p5"][backend]["pkcs11"]
        out["p5"][backend]["ratio"] = round(p["seconds"] / f["seconds"], 2)
    for backend in backends:
        r = bench_p3(backend, scale, pg, log)
        out["p3"][backend] = r
        log(f"  P3 {backend} {scale:,} cases: cold ratio file {r['file']['ratio_cold']}×, "
            f"PKCS#11 {r['pkcs11']['ratio_cold']}×")
    out["load"] = os.getloadavg()
    return out


def summary_rows(out: dict[str, Any], status: Callable[[bool | None], str]) -> list[list[str]]:
    if "error" in out:
        return [["P3/P5 on the PKCS#11 provider (SoftHSM2)", "P3 ≤ 1.3×, P5 ≤ 5 s", "—", out["error"],
                 status(None)]]
    rows = []
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        r = out["p3"].get(backend)
        if r:
            f, p = r["file"], r["pkcs11"]
            rows.append([f"P3 case list, 50 rows, {r['cases']:,} cases, {name}, PKCS#11 KEK", "≤ 1.3× without "
                         "decryption", f"{p['ratio_cold']:.3f}× cold keys (file KEK {f['ratio_cold']:.3f}×)",
                         f"cold {p['cold']['median_ms']:.1f} ms vs file {f['cold']['median_ms']:.1f} ms (plain "
                         f"{p['plain']['median_ms']:.1f} ms)", status(r["ok"])])
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        r = out["p5"].get(backend)
        if r:
            p, f = r["pkcs11"], r["file"]
            rows.append([f"P5 KEK rotation, {p['keys']:,} keys, {name}, PKCS#11 KEK", "≤ 5 s, online, no failed "
                         "request", f"{p['seconds']:.2f} s ({r['ratio']:.1f}× the file KEK's {f['seconds']:.2f} s)",
                         f"{p['keys_per_second']:,} keys/s; {p['failed_writes_all_runs']} of "
                         f"{p['concurrent_writes']} app writes failed", status(p["ok"])])
    return rows


def section(out: dict[str, Any]) -> str:
    if "error" in out:
        return f"## P3 and P5 on the PKCS#11 provider\n\n{out['error']}.\n"
    lines = ["## P3 and P5 on the PKCS#11 provider", "",
             "`bench/pkcs11_bench.py`: the same measurements with the KEKs as non-extractable AES keys in a SoftHSM2 "
             "token (every unwrap and wrap of a data key is a `C_Decrypt`/`C_Encrypt` in the token, AES-GCM, one "
             "session per process) beside the KEKs in the key file. P5: three runs per provider and database, the "
             "median shown, another process creating keys meanwhile through its own token session. P3: one data set, "
             "first with its data keys under the file KEK, then rewrapped by the token's KEK and read by an app "
             f"started with `KEK_PROVIDER=pkcs11`. Load average at the end: {out['load'][0]:.1f} (2 cores, shared with "
             "other work: the seconds are wall-clock and move with the load; the CPU columns much less). P5 CPU: the "
             "rotating process and its worker processes, not the database server. P3 CPU ratio: the same rounds' "
             "medians in the benchmark thread's CPU time (SQLite, the token library and AES run in it; on "
             "PostgreSQL the server's share is not in it, so there the CPU ratio overstates decryption's share).",
             "",
             "| Database | Provider | P5 keys | P5 seconds (runs) | P5 CPU s | Keys/s | App writes / failed | "
             "P3 cases | P3 cold ratio | P3 cold ratio, CPU | P3 cold median |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for backend in out["p5"]:
        for kind in ("file", "pkcs11"):
            p = out["p5"][backend][kind]
            p3 = out["p3"].get(backend, {}).get(kind, {})
            runs = ", ".join(f"{x:.2f}" for x in p["runs_seconds"])
            lines.append(f"| {backend} | {kind} | {p['keys']:,} | {p['seconds']:.2f} ({runs}) | "
                         f"{p.get('cpu_seconds', '—')} | "
                         f"{p['keys_per_second']:,} | {p['concurrent_writes']} / {p['failed_writes_all_runs']} | "
                         f"{out['p3'].get(backend, {}).get('cases', 0):,} | {p3.get('ratio_cold', '—')}× | "
                         f"{p3.get('ratio_cold_cpu', '—')}× | {p3.get('cold', {}).get('median_ms', '—')} ms |")
    lines += ["", _P5_NOTE]
    return "\n".join(lines) + "\n"


_P5_NOTE = """Where the PKCS#11 rotation's time goes: two token operations per data key (unwrap with the old KEK,
wrap with the new one). Each operation uses a session-object copy of the KEK (`C_CopyObject`, `CKA_TOKEN` false,
as sensitive and non-extractable as the KEK): SoftHSM2 re-reads a token object's file at every operation (a
generation check, then open/lock/read of the object file: 19 system calls), a session object is in memory; ≈ 15 µs
instead of ≈ 22 µs per operation through python-pkcs11 here. Of what is left, perf shows about 40 % in Python and
python-pkcs11's per-call objects, 25 % in SoftHSM2 and OpenSSL. So 10^5 keys need ≈ 3 s of token CPU, before any
database work. A token library cannot be shared by threads here (SoftHSM2 through
python-pkcs11, initialised without OS locking, corrupted its heap with two sessions in two threads of one process),
so `rotate_keks` hands each batch to worker processes (one per CPU, each with its own token session; from 5,000
keys), pipelined (the workers rewrap batch i while the parent writes batch i-1 and reads batch i+1), and the
token's per-operation path does no imports or lookups. On this 2-core machine shared with other
work the workers gain only what the cores have free (at most half the token time on two idle cores): serial
in one session, the same rotation (SQLite, 10^5 keys) took 13–14 s at load ~6 in earlier runs here. A real HSM is
faster per operation than SoftHSM2 and serves several sessions in parallel."""
