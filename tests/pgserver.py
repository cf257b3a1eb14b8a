"""A throwaway PostgreSQL 15 server for the test suite.

The suite starts its own cluster in a temporary directory (``initdb`` refuses to run as root, so the
cluster is owned by the ``postgres`` user when we are root) and listens only on a Unix socket.
``DAYANISMA_TEST_PG_URL`` skips all of this and uses an existing server instead.

The suite's servers keep their cluster in memory (``memory_dir()``: /dev/shm when it is a tmpfs with room): the
suite creates and drops a database per PostgreSQL test, and on this machine's disk (ext4 mounted with ``discard``) a
create + drop cost 0.1-1.5 s of wall time and 136-445 ms of server CPU under load, against 0.12-0.13 s and 39-40 ms
in memory. Benchmarks keep the default (the system's temporary directory), so their figures, and the durable
server's fsync, still go to disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def memory_dir(min_free: int = 2 << 30) -> str | None:
    """/dev/shm when it is a tmpfs with at least ``min_free`` bytes free (a container's 64 MB /dev/shm is not), else
    None (the default temporary directory). ``DAYANISMA_TEST_PG_DIR`` names another directory."""
    chosen = os.environ.get("DAYANISMA_TEST_PG_DIR")
    if chosen:
        return chosen
    shm = Path("/dev/shm")
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            tmpfs = any(line.split()[1:3] == [str(shm), "tmpfs"] for line in mounts if len(line.split()) > 2)
        stat = os.statvfs(shm)
    except OSError:
        return None
    if not tmpfs or stat.f_bavail * stat.f_frsize < min_free or not os.access(shm, os.W_OK):
        return None
    return str(shm)


def _pg_bin(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/lib/postgresql/15/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"PostgreSQL binary {name!r} not found; install postgresql-15")


class PostgresServer:
    """Start with ``start()``, get a URL per database with ``create_database()``, ``stop()`` at the end."""

    def __init__(self, durable: bool = False, directory: str | None = None) -> None:
        # durable: fsync and synchronous commit on, as deployed (benchmarks of commit-bound work); else test speed.
        # directory: where the cluster lives (memory_dir() for the tests); None: the system's temporary directory.
        self.durable = durable
        self.base = Path(tempfile.mkdtemp(prefix="dayanisma-pg-", dir=directory))
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.port = 5432
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self._admin: Any = None

    def start(self) -> None:
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.sock, "postgres")
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-E", "UTF8",
                          "--locale=C.UTF-8", "-U", self.user]),
            check=True, capture_output=True,
        )
        speed = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        opts = f"-k {self.sock} -c listen_addresses='' -p {self.port} {speed}-c max_connections=200"
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                          str(self.base / "log"), "start"]),
            check=True, capture_output=True,
        )
        for _ in range(100):
            if (self.sock / f".s.PGSQL.{self.port}").exists():
                return
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not start")

    def pause(self) -> None:
        """Stop the server, keeping its data (an outage under a running app)."""
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                       check=True, capture_output=True)

    def resume(self) -> None:
        opts = (f"-k {self.sock} -c listen_addresses='' -p {self.port} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                                     str(self.base / "log"), "start"]), check=True, capture_output=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@/{dbname}?host={self.sock}&port={self.port}"

    def admin(self, sql: str) -> None:
        """Run ``sql`` (CREATE/DROP DATABASE) on one connection to the ``postgres`` database kept for the server's
        life: the suite creates and drops a database per test, and a connection each time cost two more
        backend start-ups per test. A connection the server closed (pause()) is opened again."""
        import psycopg

        for attempt in (1, 2):
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(host=str(self.sock), port=self.port, user=self.user, dbname="postgres",
                                              autocommit=True)
            try:
                self._admin.execute(sql)
                return
            except psycopg.OperationalError:
                self._admin.close()
                if attempt == 2:
                    raise

    def create_database(self, dbname: str) -> str:
        self.admin(f'DROP DATABASE IF EXISTS "{dbname}"')
        self.admin(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)
