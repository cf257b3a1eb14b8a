"""No plaintext secrets at rest (DESIGN.md §3.3) for what the foundation stores: TOTP secrets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa

from tests.factories import login_as


def _raw_dump(app, backend: str, db_url: str) -> bytes:  # type: ignore[no-untyped-def]
    from app.db import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "sqlite":
        return Path(db_url.removeprefix("sqlite:///")).read_bytes()
    url = sa.engine.make_url(db_url)
    cmd = ["pg_dump", "-h", url.query["host"], "-p", str(url.query["port"]), "-U", url.username, url.database]
    import os

    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def test_totp_secret_not_stored_in_plaintext(app, client, make_user, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    login_as(client, user)  # the secret is decrypted and used: it works
    assert user.totp_secret
    dump = _raw_dump(app, backend, db_url)
    assert len(dump) > 1000
    assert user.totp_secret.encode() not in dump
    assert user.email.encode() in dump  # the scan does see plaintext columns
