"""P4: authenticated case page (decrypt + audit write) under gunicorn on PostgreSQL, as a share of the requests/s of
a hello-world Flask app served the same way (DESIGN.md §7: ≥ 25%). Also a bounded load run with error count and p95.

Starts everything itself: a throwaway PostgreSQL (tests/pgserver.py), Redis (Debian ``redis-server``, the
Flask-Limiter storage in production), gunicorn with the production configuration, and ``wrk`` (Debian) on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
DURATION = os.environ.get("BENCH_LOAD_DURATION", "15s")
CONNECTIONS = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "8"))
# One user reads one case thousands of times a second: far past any person's hard limit (app/throttle.py), which the
# bench still pays for (its counters are hit on every read) but must not meet.
BENCH_READ_LIMIT = "100000000 per hour"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _need(binary: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if path is None:
        raise RuntimeError(f"{binary} is missing: apt-get install redis-server wrk")
    return path


def _wrk(url: str, cookie: str | None, *, script: str | None = None, duration: str | None = None) -> dict[str, Any]:
    cmd = [_need("wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{duration or DURATION}", "--timeout", "10s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())

    def pct(label: str) -> float:
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return {"rps": rps, "requests": total, "errors": errors, "p50_ms": pct("50"), "p90_ms": pct("90"),
            "p99_ms": pct("99")}


def _gunicorn(app_path: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
           "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning", app_path]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_port(port)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


APP_ROLE = "dayanisma_bench_app"


def _app_role_url(owner_url: str) -> str:
    """A login role that owns nothing, as in production (app/db_roles.py): the migration, run as the owner, grants it
    what the app needs; the production start-up check refuses a superuser or an owner of the audit log."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(owner_url)
    with psycopg.connect(host=str(url.query["host"]), port=int(str(url.query["port"])), user=url.username,
                         dbname=url.database, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{APP_ROLE}"')
        conn.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN')
    return url.set(username=APP_ROLE).render_as_string(hide_password=False)


def _prepare(db_url: str, owner_url: str, key_file: Path, secret: str, redis_url: str,
             cases: int) -> tuple[str, str]:
    """Migrate (as ``owner_url``), create a centre, a counsellor with ``cases`` cases and a live session (as the app's
    role, ``db_url``); return (cookie, case URL).

    Also prepares the other hot pages (``HOT_PAGES``, kept in ``_PAGES`` for ``run``): a supervisor and a shelter
    coordinator with live sessions, and a shelter of 16 beds with five households (mother and child) in it."""
    env_backup = dict(os.environ)
    os.environ.update({"DAYANISMA_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": db_url,
                       "DAYANISMA_PROXY_HOPS": "0",
                       "DAYANISMA_KEY_FILE": str(key_file), "RATELIMIT_STORAGE_URI": redis_url,
               "DAYANISMA_CASE_READ_LIMIT": BENCH_READ_LIMIT})
    try:
        from flask_migrate import upgrade

        from app import create_app
        from app.auth import passwords
        from app.auth.sessions import _hash
        from app.db import db
        from app.users.models import Centre, Role, User, UserSession
        from cases.core.models import PersonKind
        from cases.core.services import add_person, open_case

        app = create_app("production", SECRET_KEY=secret, SQLALCHEMY_DATABASE_URI=db_url, KEY_FILE=str(key_file),
                         DATABASE_OWNER_URL=owner_url, RATELIMIT_STORAGE_URI=redis_url, PROXY_HOPS=0,
                         ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024})
        with app.app_context():
            upgrade(revision="heads")
            centre = Centre(code="LDT", name="Yük testi merkezi")
            db.session.add(centre)
            db.session.flush()
            user = User(email="yuk@example.org", name="Yük Testi", role=Role.COUNSELLOR, centre_id=centre.id,
                        password_hash=passwords.hash_password("load-test-password-İğ"))
            db.session.add(user)
            db.session.flush()
            import datetime as dt

            last = None
            for n in range(cases):
                case = open_case(actor=user, applied_on=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300),
                                 channel="walk-in", violence_types=["physical"])
                case.narrative = "Yük testi anlatısı " * 20
                case.safe_contact = {"call": False, "text": True, "safe_hours": "10:00–14:00"}
                add_person(case, PersonKind.APPLICANT, full_name=f"Ayşe Yılmaz {n}", phone="0532 123 45 67")
                add_person(case, PersonKind.CHILD, full_name=f"Elif {n}", sex="girl", birth_year=2018)
                last = case
            assert last is not None
            shelter_id, coordinator = _prepare_shelter(centre, user, db.session)
            cookies = {}
            staff = {"counsellor": user, "supervisor": _staff(db.session, centre, Role.SUPERVISOR),
                     "coordinator": coordinator}
            for role, who in staff.items():
                token = secrets.token_urlsafe(32)
                db.session.add(UserSession(token_hash=_hash(token), user_id=who.id))
                db.session.flush()
                with app.test_request_context():
                    from flask import session
                    from flask_wtf.csrf import generate_csrf

                    session["sid"] = token
                    csrf = generate_csrf()  # the search is a POST with its CSRF token, as from the case list
                    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
                    cookies[role] = (f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}", csrf)
            db.session.commit()
            cookie = cookies["counsellor"][0]
            url = f"/cases/{last.public_id}"
            _PAGES.clear()
            _PAGES.update({
                "counsellor_dashboard": (cookie, "/", None),
                "case_list": (cookie, "/cases/", None),
                "search": (cookie, "/cases/search",  # posted once, then its results page (_follow_search)
                           urlencode({"q": f"Ayşe Yılmaz {cases // 2}", "csrf_token": cookies["counsellor"][1]})),
                "supervisor_dashboard": (cookies["supervisor"][0], "/", None),
                "bed_board": (cookies["coordinator"][0], f"/shelters/{shelter_id}", None),
            })
            db.session.remove()
            db.engine.dispose()
        return cookie, url
    finally:
        os.environ.clear()
        os.environ.update(env_backup)


# The other hot pages (issue 20), each measured right after the case page in the same run: name → (cookie, path,
# form body of a POST or None). Filled by ``_prepare``.
# Targets (docs/PERFORMANCE.md "Hot pages", set in issue 20's fourth pass from what the profiles showed): req/s as a
# multiple of the case page's in the same run — a ratio between two pages of the same app, which the shared
# machine's load distorts far less than one against hello-world. By worker CPU (bench/page_cpu.py) the page may cost
# at most 1/multiple times the case page. A dashboard sums every open case she has (ten panels, each one statement
# over all of them), the case page reads one case: opened far less often, it may cost up to three case pages.
HOT_PAGE_TARGETS = {
    "counsellor_dashboard": ("counsellor's dashboard (200 open cases)", 1 / 3),
    "case_list": ("case list (50 rows of 200)", 1 / 2),
    "search": ("search results page (name, 200 cases)", 1 / 2),
    "supervisor_dashboard": ("supervisor's dashboard", 1 / 3),
    "bed_board": ("bed board (16 beds, 10 residents)", 1 / 2.5),
}
HOT_PAGES = tuple(HOT_PAGE_TARGETS)
_PAGES: dict[str, tuple[str, str, str | None]] = {}


def _staff(session: Any, centre: Any, role: Any) -> Any:
    from app.auth import passwords
    from app.users.models import User

    staff = User(email=f"{role.value}@example.org", name=f"Yük {role.value}", role=role, centre_id=centre.id,
                 password_hash=passwords.hash_password("load-test-password-İğ"))
    session.add(staff)
    session.flush()
    return staff


def _prepare_shelter(centre: Any, counsellor: Any, session: Any) -> tuple[str, Any]:
    """A shelter of 4 rooms × 4 beds with a coordinator, and five of the counsellor's cases admitted (2 beds each)."""
    import sqlalchemy as sa

    from app.dates import local_today
    from app.users.models import Role
    from cases.core.models import Case
    from shelters.admissions import services as stays
    from shelters.setup import services as setup

    admin = _staff(session, centre, Role.ADMIN)
    coordinator = _staff(session, centre, Role.COORDINATOR)
    shelter = setup.create_shelter(actor=admin, name="Papatya Evi", capacity=20, boy_age_limit=12, max_stay_days=183,
                                   address=None)
    beds = [setup.add_bed(room, f"Yatak {i}.{j}", actor=admin)
            for i in range(1, 5) for room in [setup.add_room(shelter, f"Oda {i}", actor=admin)] for j in range(1, 5)]
    setup.assign_coordinator(shelter, coordinator, actor=admin)
    session.flush()
    for n, case in enumerate(session.scalars(sa.select(Case).order_by(Case.id).limit(5))):
        request = stays.request_admission(case, shelter=shelter, child_ids=[p.public_id for p in case.children],
                                          actor=counsellor)
        people = stays.request_people(request)
        stays.admit(request, beds={p.id: beds[2 * n + k] for k, p in enumerate(people)}, starts_on=local_today(),
                    actor=coordinator)
    session.flush()
    return str(shelter.public_id), coordinator


def _curl(port: int, cookie: str, path: str, body: str | None = None) -> tuple[str, str]:
    """(status, Location) of one request, redirects not followed."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", f"Cookie: {cookie}"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", body]
    status, _, location = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                                         check=True).stdout.partition(" ")
    return status, location.strip()


def _probe(port: int, cookie: str, path: str) -> None:
    status, location = _curl(port, cookie, path)
    if status != "200":
        raise RuntimeError(f"{path} answered {status} {location}, not 200; the load run would measure a redirect or "
                           "an error")


def _follow_search(port: int) -> None:
    """The search is a POST answered with a 303 to its results page (post/redirect/get): post it once, and measure
    the page it leads to (what she waits for), as ``search``."""
    cookie, path, body = _PAGES["search"]
    if body is None:
        return  # already followed
    status, location = _curl(port, cookie, path, body)
    parsed = urlsplit(location)
    if status != "303" or parsed.path != path:
        raise RuntimeError(f"the search answered {status} {location}, not 303 to its results page")
    _PAGES["search"] = (cookie, f"{parsed.path}?{parsed.query}", None)


def _wrk_page(port: int, name: str) -> dict[str, Any]:
    cookie, path, body = _PAGES[name]
    script = None
    if body is not None:
        fd, script = tempfile.mkstemp(suffix=".lua")
        with os.fdopen(fd, "w") as f:
            f.write(f'wrk.method = "POST"\nwrk.body = "{body}"\n'
                    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
    try:
        return _wrk(f"http://127.0.0.1:{port}{path}", cookie, script=script)
    finally:
        if script:
            os.unlink(script)


def run(cases: int = 200) -> dict[str, Any]:
    import crypto
    from tests.pgserver import PostgresServer

    tmp = Path(tempfile.mkdtemp(prefix="dayanisma-load-"))
    pg = PostgresServer()
    pg.start()
    redis_port = _free_port()
    redis = subprocess.Popen([_need("redis-server"), "--port", str(redis_port), "--save", "", "--appendonly", "no",
                              "--dir", str(tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _wait_port(redis_port)
        owner_url = pg.create_database("load")
        db_url = _app_role_url(owner_url)  # the app and gunicorn connect as a role that owns nothing
        key_file = tmp / "keys.json"
        crypto.write_key_file(key_file, crypto.generate_key_material())
        secret = secrets.token_urlsafe(48)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        cookie, case_url = _prepare(db_url, owner_url, key_file, secret, redis_url, cases)
        env = {**os.environ, "DAYANISMA_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": db_url,
               "DAYANISMA_PROXY_HOPS": "0",
               "DAYANISMA_KEY_FILE": str(key_file), "RATELIMIT_STORAGE_URI": redis_url,
               "DAYANISMA_CASE_READ_LIMIT": BENCH_READ_LIMIT}

        hello_port = _free_port()
        procs.append(_gunicorn("bench.hello_app:app", hello_port, env))
        _wrk(f"http://127.0.0.1:{hello_port}/", None)  # warm-up
        hello = _wrk(f"http://127.0.0.1:{hello_port}/", None)
        _stop(procs.pop())

        app_port = _free_port()
        procs.append(_gunicorn("wsgi:app", app_port, env))
        _probe(app_port, cookie, case_url)
        _follow_search(app_port)
        for name in HOT_PAGES:
            _probe(app_port, _PAGES[name][0], _PAGES[name][1])
        _wrk(f"http://127.0.0.1:{app_port}{case_url}", cookie)  # warm-up (DEK cache, connections)
        page = _wrk(f"http://127.0.0.1:{app_port}{case_url}", cookie)
        _probe(app_port, cookie, case_url)
        pages = {}
        for name in HOT_PAGES:
            pages[name] = _wrk_page(app_port, name)
            pages[name]["ratio"] = pages[name]["rps"] / hello["rps"]
            # wrk counts a redirect as a success: a page that sent her to sign in, or an expired search sent back to
            # the list, would be measured as fast. Each page still answers 200 after its run.
            _probe(app_port, _PAGES[name][0], _PAGES[name][1])
        _stop(procs.pop())
        return {"workers": WORKERS, "connections": CONNECTIONS, "duration": DURATION, "hello": hello, "case_page": page,
                "ratio": page["rps"] / hello["rps"], "pages": pages}
    finally:
        for proc in procs:
            _stop(proc)
        redis.terminate()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    result = run()
    h, p = result["hello"], result["case_page"]
    print(f"hello-world: {h['rps']:.0f} req/s p50 {h['p50_ms']:.1f} ms p99 {h['p99_ms']:.1f} ms errors {h['errors']}")
    print(f"case page:   {p['rps']:.0f} req/s p50 {p['p50_ms']:.1f} ms p90 {p['p90_ms']:.1f} ms "
          f"p99 {p['p99_ms']:.1f} ms errors {p['errors']} of {p['requests']}")
    print(f"P4 ratio: {result['ratio']:.1%} (target ≥ 25%)")
    for name, r in result["pages"].items():
        target = HOT_PAGE_TARGETS[name][1]
        multiple = r["rps"] / p["rps"] if p["rps"] else 0.0
        print(f"{name:21} {r['rps']:.0f} req/s ({r['ratio']:.1%} of hello-world) p50 {r['p50_ms']:.1f} ms "
              f"p99 {r['p99_ms']:.1f} ms errors {r['errors']} of {r['requests']}; {multiple:.2f}× the case page's "
              f"req/s (target ≥ {target:.2f}×: {'met' if multiple >= target and not r['errors'] else 'NOT met'})")
