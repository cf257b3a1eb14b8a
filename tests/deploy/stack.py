"""The production stack of ``deploy/`` on this machine: PostgreSQL (owner and app roles, deploy/postgresql/*), Redis
(deploy/redis/dayanisma.conf), two gunicorn app servers (deploy/gunicorn.conf.py) and nginx (deploy/nginx/
dayanisma.conf) with a self-signed certificate. Only ports, names and paths are substituted; a substitution that no
longer matches the deploy file fails loudly, so the test cannot drift away from what an operator installs.
Everything runs under one temporary directory and is stopped by ``Stack.stop()``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.pgserver import _as_postgres, _pg_bin

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
SERVER_NAME = "localhost"
APP_PASSWORD = "app-role-password-for-the-test-only"  # noqa: S105 (throwaway cluster)
OWNER_PASSWORD = "owner-role-password-for-the-test-only"  # noqa: S105


def tool(name: str) -> str | None:
    """A Debian binary, also from /usr/sbin when that is not on PATH (nginx for a non-root user)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def substitute(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        assert old in text, f"the deploy file no longer contains {old!r}: update tests/deploy/stack.py"
        text = text.replace(old, new)
    return text


def wait_for(check, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def self_signed(base: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = base / "cert.pem", base / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Stack:
    base: Path
    pg_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    app_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    # --- paths and environments --------------------------------------------------------------------------------
    @property
    def pg_sock(self) -> Path:
        return self.base / "pgsock"

    @property
    def pg_data(self) -> Path:
        return self.base / "pgdata"

    def pg_bin(self, name: str) -> str:
        return _pg_bin(name)

    def role_url(self, role: str, password: str) -> str:
        return f"postgresql+psycopg://{role}:{password}@/dayanisma?host={self.pg_sock}&port={self.pg_port}"

    @property
    def app_url(self) -> str:
        return self.role_url("dayanisma_app", APP_PASSWORD)

    @property
    def owner_url(self) -> str:
        return self.role_url("dayanisma_owner", OWNER_PASSWORD)

    def env(self, **extra: str) -> dict[str, str]:
        """The EnvironmentFile of deploy/dayanisma.env.example, filled in for this stack."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DAYANISMA_", "FLASK_"))}
        env.update({
            "DAYANISMA_ENV": "production",
            "SECRET_KEY": "full-stack-test-secret-Zq8hV3kT0pW6yR2mN9bX4cJ7",
            "DATABASE_URL": self.app_url,
            "DAYANISMA_KEY_FILE": str(self.base / "keys.json"),
            "RATELIMIT_STORAGE_URI": f"redis+unix://{self.base / 'redis.sock'}?db=0",
            "DAYANISMA_PROXY_HOPS": "1",
            "DAYANISMA_INSTANCE_DIR": str(self.base / "instance"),
            "DAYANISMA_WORKERS": "2",
            "DAYANISMA_PROXY_IPS": "127.0.0.1",
        })
        env.update(extra)
        return env

    def flask(self, *args: str, owner: bool = False, stdin: str | None = None) -> str:
        env = self.env(DATABASE_URL=self.owner_url) if owner else self.env()
        done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def psql(self, sql_or_file: str, *, user: str = "postgres", password: str | None = None, db: str = "dayanisma",
             is_file: bool = False) -> str:
        env = {**os.environ, "PGHOST": str(self.pg_sock), "PGPORT": str(self.pg_port)}
        if password:
            env["PGPASSWORD"] = password
        args = [self.pg_bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", db,
                "-f" if is_file else "-c", sql_or_file]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql as {user} failed: {done.stderr[-2000:]}")
        return done.stdout

    # --- start ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.base.chmod(0o755)  # the postgres user and nginx's workers reach their parts; each part has its mode
        (self.base / "instance").mkdir(mode=0o700)
        self._postgres()
        self._keys_and_schema()
        self._redis()
        for index in range(2):
            self.start_app(index, wait=False)
        for index in range(2):
            wait_for(lambda i=index: self.direct(i, "GET", "/healthz")[0] == 200, f"app server {index}", timeout=90)
        self._nginx()

    def _postgres(self) -> None:
        self.pg_sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.pg_sock, "postgres")
        subprocess.run(_as_postgres([self.pg_bin("initdb"), "-D", str(self.pg_data), "-A", "reject", "-E", "UTF8",
                                     "--locale=C.UTF-8", "-U", "postgres"]), check=True, capture_output=True)
        # deploy/postgresql/pg_hba.conf first (first match wins); the harness's own superuser by trust (the
        # deployment's "peer" needs the postgres OS user, which the test process is not).
        hba = (DEPLOY / "postgresql" / "pg_hba.conf").read_text()
        hba = substitute(hba, [("local     dayanisma  postgres                           peer",
                                "local     dayanisma  postgres                           trust")])
        hba_path = self.pg_data / "pg_hba.conf"
        hba_path.write_text(hba + "\nlocal all postgres trust\n")
        with (self.pg_data / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude '{DEPLOY / 'postgresql' / 'dayanisma.conf'}'\n")
        # Command-line settings override the included file: this machine's socket and port, no TLS certificate,
        # test-sized memory, no fsync (a throwaway cluster).
        opts = (f"-k {self.pg_sock} -c listen_addresses='' -p {self.pg_port} -c ssl=off -c shared_buffers=64MB "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(_as_postgres([self.pg_bin("pg_ctl"), "-D", str(self.pg_data), "-o", opts, "-w", "-l",
                                     str(self.base / "pg.log"), "start"]), check=True, capture_output=True)
        self.psql(str(DEPLOY / "postgresql" / "roles.sql"), db="postgres", is_file=True)
        self.psql(f"ALTER ROLE dayanisma_owner PASSWORD '{OWNER_PASSWORD}'; "
                  f"ALTER ROLE dayanisma_app PASSWORD '{APP_PASSWORD}'", db="postgres")

    def _keys_and_schema(self) -> None:
        from crypto.keys import generate_key_material, write_key_file

        write_key_file(self.base / "keys.json", generate_key_material(), exclusive=True)
        self.flask("db", "upgrade", owner=True)  # the owner migrates (docs/OPERATIONS.md, upgrade) ...
        self.grant()                              # ... then grants the app role its rows

    def grant(self) -> None:
        self.psql(str(DEPLOY / "postgresql" / "grants.sql"), user="dayanisma_owner", password=OWNER_PASSWORD,
                  is_file=True)

    def _redis(self) -> None:
        sock = self.base / "redis.sock"
        self.procs["redis"] = subprocess.Popen(
            [str(tool("redis-server")), str(DEPLOY / "redis" / "dayanisma.conf"), "--unixsocket", str(sock),
             "--dir", str(self.base), "--daemonize", "no", "--logfile", str(self.base / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(sock.exists, "redis")

    def start_app(self, index: int, *, wait: bool = True) -> None:
        port = self.app_ports[index]
        log = (self.base / f"gunicorn-{index}.log").open("ab")
        self.procs[f"app{index}"] = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT, env=self.env(DAYANISMA_BIND=f"127.0.0.1:{port}"), stdout=log, stderr=log)
        if wait:
            wait_for(lambda: self.direct(index, "GET", "/healthz")[0] == 200, f"app server {index}", timeout=90)

    def _nginx(self) -> None:
        cert, key = self_signed(self.base)
        site = (DEPLOY / "nginx" / "dayanisma.conf").read_text()
        site = substitute(site, [
            ("    server 127.0.0.1:8000 max_fails=1 fail_timeout=5s;\n",
             "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n" for p in self.app_ports)),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen [::]:80;\n", ""),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
            ("listen [::]:443 ssl http2;\n", ""),
            ("server_name dayanisma.example.bel.tr;", f"server_name {SERVER_NAME};"),
            ("/etc/ssl/dayanisma/fullchain.pem", str(cert)),
            ("/etc/ssl/dayanisma/privkey.pem", str(key)),
            ("/srv/dayanisma/app/app/static/", f"{ROOT / 'app' / 'static'}/"),
            # Production listens on 443, so the host alone is the origin; here the port is part of it (CSRF's
            # same-origin check compares the Referer with it).
            ("proxy_set_header Host $host;", "proxy_set_header Host $host:$server_port;"),
        ])
        ngx = self.base / "nginx"
        ngx.mkdir()
        (ngx / "dayanisma.conf").write_text(site)
        user = "root" if os.geteuid() == 0 else ""
        # The parts of Debian's /etc/nginx/nginx.conf that matter, pointed at this directory.
        (ngx / "nginx.conf").write_text(f"""
{f'user {user};' if user else ''}
worker_processes 2;
pid {ngx}/nginx.pid;
error_log {ngx}/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log {ngx}/access.log;
    client_body_temp_path {ngx}/body;
    proxy_temp_path {ngx}/proxy;
    fastcgi_temp_path {ngx}/fastcgi;
    uwsgi_temp_path {ngx}/uwsgi;
    scgi_temp_path {ngx}/scgi;
    include {ngx}/dayanisma.conf;
}}
""")
        subprocess.run([str(tool("nginx")), "-t", "-q", "-c", str(ngx / "nginx.conf"), "-e", str(ngx / "error.log")],
                       check=True, capture_output=True)
        self.procs["nginx"] = subprocess.Popen(
            [str(tool("nginx")), "-c", str(ngx / "nginx.conf"), "-e", str(ngx / "error.log"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.https("GET", "/healthz")[0] == 200, "nginx")

    # --- clients -------------------------------------------------------------------------------------------------
    def tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.base / "cert.pem"))
        return ctx

    def https(self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None,
              source: str | None = None, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPSConnection(SERVER_NAME, self.https_port, context=self.tls_context(),
                                           timeout=timeout, source_address=(source, 0) if source else None)
        return _exchange(conn, method, path, headers, body)

    def direct(self, index: int, method: str, path: str, *, headers: dict[str, str] | None = None,
               body: bytes | None = None, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
        """Straight to one app server, with the headers nginx would add."""
        conn = http.client.HTTPConnection("127.0.0.1", self.app_ports[index], timeout=timeout)
        sent = {"Host": SERVER_NAME, "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1", **(headers or {})}
        return _exchange(conn, method, path, sent, body)

    def workers(self, index: int) -> set[int]:
        pid = self.procs[f"app{index}"].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(c) for c in children}

    def reload_app(self, index: int) -> None:
        self.procs[f"app{index}"].send_signal(signal.SIGHUP)  # what `systemctl reload dayanisma` does

    # --- stop ----------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # quick shutdown: nothing is in flight any more
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.pg_data.exists():
            subprocess.run(_as_postgres([self.pg_bin("pg_ctl"), "-D", str(self.pg_data), "-m", "immediate", "-w",
                                         "stop"]), capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def _exchange(conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str] | None,
              body: bytes | None) -> tuple[int, dict[str, str], bytes]:
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()
