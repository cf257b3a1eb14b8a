"""KEK rotation under a real gunicorn (DESIGN.md §4, §7 P5 "online, no failed request"; issue 14 §1): two gunicorn
workers serve case pages, the case list and note posts over HTTP while `flask keys rotate` runs; the rotation is
SIGKILLed half-way, with data keys under both KEKs, and run again; no request fails, both workers served, no worker
was restarted, and after the data-key cache TTL every case page reads (each key unwrapped again, under the new KEK).
Then `keys retire 1` is accepted."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "dayanisma_session"


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One signed-in user over plain HTTP: keeps the session cookie the server sends back (the CSRF token lives in
    it), counts every answer other than 200/302 and every connection error as a failure."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.requests = self.failed = self.notes = 0
        self.failures: list[str] = []

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": f"{COOKIE}={self.cookie}", "Accept-Language": "en", "Host": "localhost"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie(header)
                if COOKIE in jar and jar[COOKIE].value:
                    self.cookie = jar[COOKIE].value
            return response.status, text
        finally:
            conn.close()

    def check(self, method: str, path: str, body: str | None = None) -> str:
        self.requests += 1
        try:
            status, text = self.request(method, path, body)
        except OSError as exc:
            status, text = 0, type(exc).__name__
        if status not in (200, 302):
            self.failed += 1
            self.failures.append(f"{method} {path}: {status}")
        return text

    def serve(self, case_ids: list[str], stop: threading.Event) -> None:
        i = 0
        while not stop.is_set():
            case_id = case_ids[i % len(case_ids)]
            i += 1
            page = self.check("GET", f"/cases/{case_id}")
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
            if i % 3 == 0 and token:
                body = (f"kind=phone&occurred_on=2026-11-03&text=g%C3%B6r%C3%BC%C5%9Fme+{i}"
                        f"&csrf_token={token.group(1)}")
                self.requests += 1
                try:
                    status, _ = self.request("POST", f"/cases/{case_id}/notes", body)
                except OSError as exc:
                    status = 0
                    self.failures.append(type(exc).__name__)
                if status == 302:
                    self.notes += 1
                else:
                    self.failed += 1
                    self.failures.append(f"POST note: {status}")
            self.check("GET", "/cases/")
            time.sleep(0.02)


def _gunicorn(db_url: str, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "ROTATION_DB_URL": db_url, "ROTATION_TMP": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--access-logfile", str(tmp_path / "access.log"), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s",
         "--error-logfile", str(tmp_path / "gunicorn.log"), "tests.app.rotation_wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"gunicorn did not start: {(tmp_path / 'gunicorn.log').read_text()[-2000:]}")


def _workers(master: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def test_rotation_under_gunicorn_killed_and_resumed_zero_failed_requests(
        app: Any, db_url: str, tmp_path: Path, make_user: Any, make_case: Any, login_as: Any) -> None:
    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, applicant_name=f"Ayşe Gunicorn {i}", tckn=None, phone=None) for i in range(18)]
    client = app.test_client()
    login_as(client, counsellor)
    cookie = client.get_cookie(COOKIE, domain="localhost")
    assert cookie is not None
    assert set(_kek_counts(db_url)) == {1}
    case_ids = [str(c.public_id) for c in cases]

    port = _free_port()
    server = _gunicorn(db_url, tmp_path, port)
    browsers = [Browser(port, cookie.value) for _ in range(3)]
    stop = threading.Event()
    threads = [threading.Thread(target=b.serve, args=(case_ids[n::3], stop)) for n, b in enumerate(browsers)]
    try:
        time.sleep(1.0)
        workers = _workers(server.pid)
        assert len(workers) == 2, workers
        for t in threads:
            t.start()
        time.sleep(2.0)                 # the workers are serving (and have cached their data keys)
        rotation = _flask(db_url, tmp_path, "rotate", "--batch-size", "3", "--pause", "0.4")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            counts = _kek_counts(db_url)
            if counts.get(2, 0) >= 6 and counts.get(1, 0):
                break
            time.sleep(0.05)
        rotation.send_signal(signal.SIGKILL)                 # killed half-way
        rotation.wait(timeout=30)
        half = _kek_counts(db_url)
        assert half.get(1) and half.get(2), half
        time.sleep(1.5)                 # the workers keep serving with data keys under both KEKs
        resumed = _flask(db_url, tmp_path, "rotate", "--batch-size", "3")
        out, _ = resumed.communicate(timeout=180)
        assert resumed.returncode == 0, out
        assert "resuming rotation to KEK 2" in out and "KEK 2 is active" in out, out
        assert set(_kek_counts(db_url)) == {2}
        time.sleep(1.5)                 # past the workers' 1 s data-key cache TTL, still serving
        stop.set()
        for t in threads:
            t.join(timeout=120)
        # Every case, read after the TTL: its key unwrapped again, under KEK 2, by whichever worker answers.
        final = Browser(port, browsers[0].cookie)
        for n, case_id in enumerate(case_ids):
            for _ in range(2):          # twice: both workers are likely to answer one of them
                page = final.check("GET", f"/cases/{case_id}")
                assert f"Ayşe Gunicorn {n}" in page, (case_id, final.failures[-3:])
        assert _workers(server.pid) == workers             # no worker restarted (no crash, no timeout kill)
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    total = sum(b.requests for b in browsers)
    failures = [f for b in browsers for f in b.failures]
    assert sum(b.failed for b in browsers) == 0 and final.failed == 0, failures[:20] + final.failures[:5]
    assert total > 60 and sum(b.notes for b in browsers) > 3, (total, [b.notes for b in browsers])
    print(f"gunicorn rotation: {total} requests, {sum(b.notes for b in browsers)} notes, 0 failed; "
          f"KEK counts at the kill {half}")
    served = [line.split() for line in (tmp_path / "access.log").read_text().splitlines()]
    assert {int(pid.strip("<>")) for pid, *_ in served} == workers     # both workers answered requests (%(p)s = <pid>)
    assert all(status in ("200", "302") for _, status, *_ in served), [s for s in served if s[1] not in ("200", "302")]
    retire = _flask(db_url, tmp_path, "retire", "1")
    out, _ = retire.communicate(timeout=60)
    assert retire.returncode == 0, out
