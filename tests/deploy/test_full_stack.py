"""The whole production stack of ``deploy/``, for real (issue 19): PostgreSQL with the owner and app roles, Redis,
two gunicorn app servers behind one nginx over TLS (tests/deploy/stack.py). Every loop is bounded; the module takes
about a minute. Nothing is skipped when ``CI=true``: ``make test`` installs nginx and redis-server."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import psycopg
import pyotp
import pytest

from tests.conftest import CI
from tests.deploy.stack import APP_PASSWORD, DEPLOY, SERVER_NAME, Stack, tool

pytestmark = pytest.mark.e2e

PASSWORD = "full-stack-counsellor-parola-2026"  # noqa: S105 (throwaway account)
EMAIL = "gonul.akin@kadikoy.bel.tr"
APPLICANT = "Şerife İçöz"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    missing = [name for name in ("nginx", "redis-server") if tool(name) is None]
    if missing:
        if CI:
            raise RuntimeError(f"{', '.join(missing)} required when CI=true (make test installs them)")
        pytest.skip(f"{', '.join(missing)} not installed (make stack-tools)")
    # Not under pytest's tmp: the postgres user must reach it (pytest's directory is root's alone).
    server = Stack(Path(tempfile.mkdtemp(prefix="dayanisma-stack-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@dataclass
class Account:
    email: str
    totp: pyotp.TOTP


@pytest.fixture(scope="module")
def account(stack: Stack) -> Account:
    """The operator's bootstrap (README, commands): a centre and a counsellor, created with the app's own CLI."""
    stack.flask("centres", "create", "KDM", "Kadıköy Kadın Dayanışma Merkezi")
    out = stack.flask("users", "create", EMAIL, "--role", "counsellor", "--centre", "KDM", "--name", "Gönül Akın",
                      "--password-stdin", stdin=PASSWORD + "\n")
    uri = next(line for line in out.splitlines() if line.startswith("otpauth://"))
    return Account(EMAIL, pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0]))


@dataclass
class Journey:
    cookie: str          # "name=value" of the signed-in session
    case_path: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def journey(stack: Stack, account: Account, browser) -> Iterator[Journey]:  # type: ignore[no-untyped-def]
    """A counsellor in Chromium, through nginx over https: sign in (enrol TOTP), record an intake, read the case."""
    base = f"https://{SERVER_NAME}:{stack.https_port}"
    context = browser.new_context(locale="en-GB", ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.wait_for_url(re.compile(r"/login/setup$"))
    page.get_by_label(re.compile("code", re.I)).first.fill(account.totp.now())
    page.get_by_role("button", name=re.compile("Continue", re.I)).click()
    page.get_by_role("link", name=re.compile("saved my codes", re.I)).click()
    page.wait_for_url(f"{base}/")

    page.get_by_role("link", name="New intake").first.click()
    page.wait_for_url(re.compile(r"/cases/new$"))
    page.get_by_label("How did she come to the centre?").select_option("phone")
    page.get_by_label("Physical", exact=True).check()
    page.get_by_label("What happened, in her words").fill("Eşi onu evden kovdu.")
    page.get_by_label("Full name", exact=True).fill(APPLICANT)
    page.get_by_label("T.C. Kimlik No", exact=True).fill("10000000146")
    page.get_by_label("Phone", exact=True).fill("0532 123 45 67")
    page.get_by_label("Relationship to her", exact=True).select_option("spouse")
    page.get_by_label("Safe hours to contact her").fill("Hafta içi 09:00–12:00")
    page.get_by_label("She was given the KVKK information notice (aydınlatma metni)").check()
    page.get_by_role("button", name="Check and continue").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    response = page.reload()
    assert response is not None and response.status == 200
    assert APPLICANT in page.content()
    cookie = next(c for c in context.cookies() if c["name"] == "__Host-dayanisma_session")
    assert cookie["secure"] and cookie["httpOnly"]
    journey = Journey(f"{cookie['name']}={cookie['value']}", urlparse(page.url).path,
                      {k.lower(): v for k, v in response.all_headers().items()})
    yield journey
    context.close()


def test_chromium_journey_through_nginx_with_the_security_headers(journey: Journey) -> None:
    headers = journey.headers
    assert headers["strict-transport-security"].startswith("max-age=63072000")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"].startswith("no-store")
    assert headers["server"] == "nginx"  # no version


def test_the_same_session_is_served_by_either_app_server(stack: Stack, journey: Journey) -> None:
    for index in (0, 1):
        status, _, body = stack.direct(index, "GET", journey.case_path, headers={"Cookie": journey.cookie})
        assert status == 200, index
        assert APPLICANT in body.decode()


Send = Callable[..., tuple[int, dict[str, str], bytes]]


def _failed_sign_in(send: Send, origin: str, email: str = "target@kadikoy.bel.tr") -> int:
    """A real failed sign-in (CSRF token from the login page it posts back to): ``send(method, path, **kw)``."""
    status, headers, body = send("GET", "/login")
    assert status == 200
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body)
    assert token, "no CSRF token on the login page"
    cookie = headers["set-cookie"].split(";", 1)[0]
    form = urlencode({"csrf_token": token.group(1).decode(), "email": email, "password": "wrong-password-123"})
    status, _, _ = send("POST", "/login", body=form.encode(), headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", "Referer": f"{origin}/login"})
    return status


def test_sign_in_limits_are_shared_by_the_app_servers(stack: Stack) -> None:
    """10 failures per account per 15 minutes, counted in Redis: alternating servers does not double the budget."""
    statuses = [_failed_sign_in(partial(stack.direct, attempt % 2), f"https://{SERVER_NAME}")
                for attempt in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_the_client_ip_behind_nginx_is_the_real_one_and_cannot_be_spoofed(stack: Stack) -> None:
    # The client connects from 127.0.0.7 (all of 127/8 is this machine); nginx reaches gunicorn from 127.0.0.1.
    spoofed = {"X-Forwarded-For": "203.0.113.9, 198.51.100.1", "Forwarded": "for=203.0.113.9",
               "X-Real-IP": "203.0.113.9"}

    def send(method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> Any:
        return stack.https(method, path, headers={**spoofed, **(headers or {})}, body=body, source="127.0.0.7")

    assert _failed_sign_in(send, f"https://{SERVER_NAME}:{stack.https_port}", email="spoof@kadikoy.bel.tr") == 422
    row = stack.psql("SELECT ip FROM audit_events WHERE action = 'auth.login' AND outcome = 'failure' "
                     "ORDER BY seq DESC LIMIT 1").strip()
    assert row == "127.0.0.7"
    assert not stack.psql("SELECT 1 FROM audit_events WHERE ip IN ('203.0.113.9', '198.51.100.1')").strip()


def test_static_files_are_served_by_nginx_with_a_long_cache(stack: Stack) -> None:
    status, _, body = stack.https("GET", "/login")
    match = re.search(rb'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', body)
    assert status == 200 and match, "static URLs carry a content version"
    status, headers, css = stack.https("GET", match.group(1).decode())
    assert status == 200
    assert css == (Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "app.css").read_bytes()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" not in headers  # nginx, not the app, answered


def test_http_redirects_to_https_and_the_server_shows_no_version(stack: Stack) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=5)
    conn.request("GET", "/cases/?q=1", headers={"Host": SERVER_NAME})
    response = conn.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{SERVER_NAME}/cases/?q=1"
    assert response.getheader("Server") == "nginx"
    conn.close()


def test_an_oversized_upload_is_stopped_by_nginx_with_the_apps_413_page(stack: Stack, journey: Journey) -> None:
    status, headers, body = stack.https("POST", "/cases/new", body=b"x" * (26 * 1024 * 1024), timeout=30,
                                        headers={"Cookie": journey.cookie, "Accept-Language": "en",
                                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413
    assert "The upload is too large" in body.decode()
    assert headers["content-security-policy"]  # the app's page, with the app's headers
    # the app's page is only nginx's to show
    assert stack.https("GET", "/errors/too-large")[0] == 404


def _slow_clients(stack: Stack, port: int, count: int, tls: bool) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock: socket.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        if tls:
            sock = stack.tls_context().wrap_socket(sock, server_hostname=SERVER_NAME)
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # and never the rest
        held.append(sock)
    return held


def test_slow_header_clients_do_not_stop_a_normal_request(stack: Stack) -> None:
    held = _slow_clients(stack, stack.https_port, 10, tls=True)
    try:
        started = time.monotonic()
        status, _, _ = stack.https("GET", "/login", timeout=5)
        elapsed = time.monotonic() - started
        assert status == 200 and elapsed < 2, elapsed
    finally:
        for sock in held:
            sock.close()
    # Without nginx the same clients hold every sync worker of an app server: the protection is nginx's.
    held = _slow_clients(stack, stack.app_ports[1], 10, tls=False)
    try:
        with pytest.raises((TimeoutError, OSError)):
            stack.direct(1, "GET", "/login", timeout=2)
    finally:
        for sock in held:
            sock.close()
    stack.direct(1, "GET", "/healthz", timeout=10)  # and it recovers once they leave


def test_a_graceful_reload_fails_no_request(stack: Stack, journey: Journey) -> None:
    failures: list[str] = []
    counts = {"nginx": 0, "direct": 0}
    stop = threading.Event()

    def load(name: str, fetch) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            try:
                status = fetch()
            except (OSError, ssl.SSLError) as exc:
                failures.append(f"{name}: {exc!r}")
                continue
            counts[name] += 1
            if status != 200:
                failures.append(f"{name}: HTTP {status}")

    threads = [
        threading.Thread(target=load, args=("nginx", lambda: stack.https(
            "GET", journey.case_path, headers={"Cookie": journey.cookie}, timeout=30)[0])),
        threading.Thread(target=load, args=("direct", lambda: stack.direct(0, "GET", "/login", timeout=30)[0])),
    ]
    before = stack.workers(0)
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stack.reload_app(0)
        reloaded_at = time.monotonic()
        deadline = reloaded_at + 30
        while time.monotonic() < deadline and (stack.workers(0) & before or len(stack.workers(0)) < 2):
            time.sleep(0.2)
        print(f"reload: new workers in {time.monotonic() - reloaded_at:.1f} s")
        time.sleep(1.0)  # keep the load on the new workers for a moment
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=40)
    assert not (stack.workers(0) & before), "the old workers were replaced"
    assert failures == []
    # a signed-in case page (decrypt + audit write) costs far more than the sign-in page: fewer, but some
    assert counts["direct"] > 10 and counts["nginx"] > 2, counts
    print(f"reload under load: {counts}, failures 0")


TAMPERING = [
    "ALTER TABLE cases ADD COLUMN x integer",
    "DROP TABLE cases",
    "CREATE TABLE stash (x text)",
    "TRUNCATE cases",
    "UPDATE audit_events SET reason = 'x'",
    "DELETE FROM audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "DELETE FROM audit_head",
    "UPDATE alembic_version SET version_num = 'x'",
]


def test_the_app_role_cannot_alter_what_it_does_not_need_to(stack: Stack, journey: Journey) -> None:
    conninfo = f"host={stack.pg_sock} port={stack.pg_port} dbname=dayanisma user=dayanisma_app"
    refused = []
    for statement in TAMPERING:
        with psycopg.connect(conninfo, password=APP_PASSWORD) as conn:
            try:
                conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege:
                refused.append(statement)
    assert refused == TAMPERING
    # and only the app's own addresses may connect as it: the deploy pg_hba.conf refuses TCP from elsewhere
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"{conninfo} password={APP_PASSWORD}", host=str(stack.pg_sock), user="nobody")


def test_backup_drop_restore_then_audit_verify_and_the_case_reads_back(stack: Stack, journey: Journey) -> None:
    backups = stack.base / "backups"
    backups.mkdir()
    shutil.chown(backups, "postgres")
    env = {"PGHOST": str(stack.pg_sock), "PGPORT": str(stack.pg_port), "DAYANISMA_BACKUP_DIR": str(backups),
           "PG_DUMP": stack.pg_bin("pg_dump"), "PG_RESTORE": stack.pg_bin("pg_restore"), "PSQL": stack.pg_bin("psql"),
           "PATH": "/usr/bin:/bin"}
    anchor = stack.flask("audit", "head").strip()
    as_postgres = ["runuser", "-u", "postgres", "--", "env", *[f"{k}={v}" for k, v in env.items()]]
    subprocess.run([*as_postgres, str(DEPLOY / "backup.sh")], check=True, capture_output=True, timeout=60)
    data = sorted((backups / "db").glob("*.dump"))
    keys = sorted((backups / "keys").glob("*.dump"))
    assert len(data) == len(keys) == 1
    assert data[0].stat().st_mode & 0o077 == 0  # nobody but postgres reads a backup

    stack.psql("DROP DATABASE dayanisma WITH (FORCE)", db="postgres")
    assert stack.direct(0, "GET", "/healthz")[0] == 503
    subprocess.run([*as_postgres, str(DEPLOY / "restore.sh"), str(data[0]), str(keys[0])], check=True,
                   capture_output=True, timeout=60)

    # the chain verifies against the anchor taken before the backup (exit 1 would raise)
    assert "Audit log intact" in stack.flask("audit", "verify", "--anchor", anchor)
    for index in (0, 1):
        status, _, body = stack.direct(index, "GET", journey.case_path, headers={"Cookie": journey.cookie})
        assert status == 200 and APPLICANT in body.decode()
    status, _, body = stack.https("GET", journey.case_path, headers={"Cookie": journey.cookie})
    assert status == 200 and APPLICANT in body.decode()
