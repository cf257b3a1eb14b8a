"""KEK rotation while the app serves (DESIGN.md §4, §7 P5 "online, no failed request"): two app processes serve
case pages and note posts while `flask keys rotate` runs, is killed half-way and run again; no request fails, and
every case reads after the data-key cache TTL has passed, with no process restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def _kek_counts(db_url: str) -> dict[int, int]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT kek_id, count(*) FROM crypto_data_keys "
                                             "WHERE wrapped IS NOT NULL GROUP BY kek_id")).all())  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _flask(db_url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DAYANISMA_ENV": "development", "DATABASE_URL": db_url,
           "DAYANISMA_KEY_FILE": str(tmp_path / "keys.json")}
    return subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "keys", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_rotation_online_killed_and_resumed_zero_failed_requests(app: Any, db_url: str, tmp_path: Path,
                                                                 make_user: Any, make_case: Any,
                                                                 login_as: Any) -> None:
    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, applicant_name=f"Ayşe Deneme {i}", tckn=None, phone=None) for i in range(18)]
    client = app.test_client()
    login_as(client, counsellor)
    cookie = client.get_cookie("dayanisma_session", domain="localhost")
    assert cookie is not None
    assert set(_kek_counts(db_url)) == {1}      # the cases' keys and the users' (TOTP secrets)

    stop, workers = tmp_path / "stop", []
    for n in range(2):
        workers.append(subprocess.Popen(
            [sys.executable, str(ROOT / "tests/app/rotation_worker.py"), db_url, str(tmp_path), cookie.key,
             cookie.value, str(stop), str(tmp_path / f"worker{n}.json"), *(str(c.public_id) for c in cases)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        time.sleep(2.0)                 # the workers are serving (and have cached their data keys)
        rotation = _flask(db_url, tmp_path, "rotate", "--batch-size", "3", "--pause", "0.4")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = _kek_counts(db_url)
            if counts.get(2, 0) >= 6 and counts.get(1, 0):
                break
            time.sleep(0.05)
        rotation.send_signal(signal.SIGKILL)                 # killed half-way
        rotation.wait(timeout=30)
        half = _kek_counts(db_url)
        assert half.get(1) and half.get(2), half
        time.sleep(1.5)                 # workers keep serving with keys under both KEKs
        resumed = _flask(db_url, tmp_path, "rotate", "--batch-size", "3")
        out, _ = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, out
        assert "resuming rotation to KEK 2" in out and "KEK 2 is active" in out, out
        assert set(_kek_counts(db_url)) == {2}
        time.sleep(1.5)                 # past the workers' 1 s data-key cache TTL, still serving
    finally:
        stop.touch()
        for w in workers:
            w.wait(timeout=120)
    results = [json.loads((tmp_path / f"worker{n}.json").read_text()) for n in range(2)]
    for result, worker in zip(results, workers, strict=True):
        assert worker.returncode == 0, worker.stdout.read() if worker.stdout else ""
        assert result["failed"] == 0, result
        assert result["requests"] > 50 and result["notes"] > 3, result
        assert result["final_reads"] == len(cases), result
    retire = _flask(db_url, tmp_path, "retire", "1")
    out, _ = retire.communicate(timeout=60)
    assert retire.returncode == 0, out
