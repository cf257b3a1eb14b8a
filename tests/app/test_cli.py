"""The operator commands: users create, centres create, demo seed (idempotent), demo code."""

from __future__ import annotations

import re

import pyotp
import sqlalchemy as sa

from tests.factories import csrf_token


def _run(app, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_users_create_prints_provisioning_uri_once(app, client) -> None:  # type: ignore[no-untyped-def]
    assert _run(app, "centres", "create", "ŞIS", "x").exit_code == 2  # codes are ASCII: they go into case numbers
    r = _run(app, "centres", "create", "SIS", "Şişli Kadın Dayanışma Merkezi")
    assert r.exit_code == 0, r.output
    password = "uzun ve güvenli bir parola İĞ"
    r = _run(app, "users", "create", "Gül.Işık@Example.org", "--role", "counsellor", "--centre", "sis",
             "--name", "Gül Işık", "--password-stdin", input=password + "\n")
    assert r.exit_code == 0, r.output
    uri = re.search(r"otpauth://totp/\S+", r.output).group(0)  # type: ignore[union-attr]
    secret = pyotp.parse_uri(uri).secret
    # the account signs in: password, then enrolment confirms the printed secret
    client.post("/login", data={"email": "GÜL.IŞIK@example.ORG".replace("IŞIK", "Işık"), "password": password,
                                "csrf_token": csrf_token(client, "/login")})
    r2 = client.post("/login/setup", data={"code": pyotp.TOTP(secret).now(),
                                           "csrf_token": csrf_token(client, "/login/setup")})
    assert r2.status_code == 200
    assert client.get("/").status_code == 200


def test_users_create_rejects_bad_input(app) -> None:  # type: ignore[no-untyped-def]
    _run(app, "centres", "create", "SIS", "Şişli")
    good = "uzun ve güvenli bir parola İĞ\n"
    assert "No centre" in _run(app, "users", "create", "a@example.org", "--role", "counsellor", "--centre", "NOPE",
                               "--password-stdin", input=good).output
    r = _run(app, "users", "create", "a@example.org", "--role", "counsellor", "--centre", "SIS",
             "--password-stdin", input="password1234\n")
    assert r.exit_code == 2 and "common" in r.output
    r = _run(app, "users", "create", "a@example.org", "--role", "counsellor", "--centre", "SIS",
             "--password-stdin", input="short\n")
    assert r.exit_code == 2
    assert _run(app, "users", "create", "a@example.org", "--role", "king", "--centre", "SIS",
                "--password-stdin", input=good).exit_code == 2
    assert _run(app, "users", "create", "a@example.org", "--role", "counsellor", "--centre", "SIS",
                "--password-stdin", input=good).exit_code == 0
    r = _run(app, "users", "create", "A@example.org", "--role", "counsellor", "--centre", "SIS",
             "--password-stdin", input=good)
    assert r.exit_code == 2 and "exists" in r.output


def test_demo_seed_is_idempotent_and_codes_work(app, client) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    first = _run(app, "demo", "seed")
    assert first.exit_code == 0, first.output
    second = _run(app, "demo", "seed")
    assert second.exit_code == 0
    assert "DEMO" in first.output and first.output == second.output
    assert ".venv/bin/flask --app wsgi demo code" in first.output  # the hint works as typed in the repository
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 5
        # Each demo case's risk level comes from an assessment the case page shows (not "no assessment yet").
        from cases.core.models import Case
        from cases.risk.services import latest_assessment

        demo_cases = list(db.session.scalars(sa.select(Case)))
        assert demo_cases and all(c.risk_level is not None for c in demo_cases)
        assert all((a := latest_assessment(c)) is not None and a.level == c.risk_level for c in demo_cases)
    email = "danisman@demo.dayanisma.test"
    password = re.search(rf"{re.escape(email)}\s+password: (\S+)", first.output).group(1)  # type: ignore[union-attr]
    code = re.match(r"(\d{6})", _run(app, "demo", "code", email).output).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")})
    r = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})
    assert r.status_code == 302
    # the next code printed is a fresh one, not the one just used
    assert not _run(app, "demo", "code", email).output.startswith(code)


def test_demo_code_refuses_non_demo_users(app, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    r = _run(app, "demo", "code", user.email)
    assert r.exit_code == 2 and re.search(r"\d{6}", r.output) is None


def test_make_run_prints_the_url_and_takes_another_port() -> None:
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for args, port in (([], "5000"), (["PORT=5001"], "5001")):
        plan = subprocess.run(["make", "-n", "run", *args], cwd=root, capture_output=True, text=True, check=True).stdout
        assert f"http://127.0.0.1:{port}/" in plan and f"--port {port}" in plan
