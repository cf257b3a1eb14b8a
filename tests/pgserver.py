"""A throwaway PostgreSQL 15 server for the test suite.

The suite starts its own cluster in a temporary directory (``initdb`` refuses to run as root, so the
cluster is owned by the ``postgres`` user when we are root) and listens only on a Unix socket.
``DAYANISMA_TEST_PG_URL`` skips all of this and uses an existing server instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_bin(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/lib/postgresql/15/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"PostgreSQL binary {name!r} not found; install postgresql-15")


class PostgresServer:
    """Start with ``start()``, get a URL per database with ``create_database()``, ``stop()`` at the end."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dayanisma-pg-"))
        self.data = self.base / "data"
        self.sock = self.base / "sock"
        self.port = 5432
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

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
        opts = (f"-k {self.sock} -c listen_addresses='' -p {self.port} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
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

    def create_database(self, dbname: str) -> str:
        import psycopg

        with psycopg.connect(host=str(self.sock), port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.base, ignore_errors=True)
