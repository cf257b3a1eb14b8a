"""Production refuses to start with missing or weak secrets, missing keys or debug on."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

import crypto
from app import create_app
from config import ConfigError

STRONG = secrets.token_urlsafe(48)


def _prod(tmp_path: Path, **overrides):  # type: ignore[no-untyped-def]
    keyfile = tmp_path / "keys.json"
    if not keyfile.exists():
        crypto.write_key_file(keyfile, crypto.generate_key_material())
    settings = {"SECRET_KEY": STRONG, "KEY_FILE": str(keyfile), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6399",
                "PROXY_HOPS": "0",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}
    settings.update(overrides)
    return create_app("production", **settings)


@pytest.mark.parametrize("secret", [None, "", "secret", "short-but-not-weak", "x" * 64,
                                    "dev-only-insecure-secret-key-not-for-production"])
def test_production_refuses_weak_or_missing_secret_key(tmp_path: Path, secret) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        _prod(tmp_path, SECRET_KEY=secret)


def test_production_refuses_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keys"):
        _prod(tmp_path, KEY_FILE=str(tmp_path / "absent.json"), KEYS_FROM_ENV=None)


def test_production_starts_with_strong_settings(tmp_path: Path) -> None:
    app = _prod(tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.debug is False


def test_production_refuses_malformed_keys(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{}")
    with pytest.raises(crypto.CryptoError):
        _prod(tmp_path)


def test_production_refuses_debug(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DEBUG"):
        _prod(tmp_path, DEBUG=True)


def test_production_refuses_per_process_rate_limit_storage(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        _prod(tmp_path, RATELIMIT_STORAGE_URI="memory://")


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="DAYANISMA_ENV"):
        create_app("staging")


def test_only_development_and_test_have_default_secrets() -> None:
    from config import Config, ProductionConfig

    assert ProductionConfig.DEMO_ALLOWED is False and ProductionConfig.GENERATE_DEV_KEYS is False
    assert ProductionConfig.SESSION_COOKIE_SECURE is True and Config.SESSION_COOKIE_SECURE is True


def test_unset_environment_refuses_to_start_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset used to mean development: a public SECRET_KEY, generated keys, demo commands, cookies without Secure."""
    monkeypatch.delenv("DAYANISMA_ENV", raising=False)
    with pytest.raises(ConfigError, match="DAYANISMA_ENV is not set"):
        create_app()
    monkeypatch.setenv("DAYANISMA_ENV", "")
    with pytest.raises(ConfigError, match="DAYANISMA_ENV is not set"):
        create_app()


def test_production_refuses_missing_database_url(tmp_path: Path) -> None:
    """README promised it; production used to start on a SQLite file under instance/."""
    import os

    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL is set in this environment")
    keyfile = tmp_path / "keys.json"
    crypto.write_key_file(keyfile, crypto.generate_key_material())
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app("production", SECRET_KEY=STRONG, KEY_FILE=str(keyfile),
                   RATELIMIT_STORAGE_URI="redis://127.0.0.1:6399", PROXY_HOPS=0)


def test_production_refuses_to_start_without_the_proxy_hop_count(tmp_path: Path) -> None:
    """Behind nginx every client used to have the proxy's address (one sign-in limit for all, audit rows naming the
    proxy) unless someone edited the code."""
    with pytest.raises(ConfigError, match="DAYANISMA_PROXY_HOPS"):
        _prod(tmp_path, PROXY_HOPS=None)
    for bad in ("x", "-1", "6", 2.5):
        with pytest.raises(ConfigError, match="DAYANISMA_PROXY_HOPS"):
            _prod(tmp_path, PROXY_HOPS=bad)
    assert _prod(tmp_path, PROXY_HOPS="0").config["PROXY_HOPS"] == 0


def test_proxy_hops_from_the_environment_decide_the_client_address(tmp_path: Path) -> None:
    """The real start-up path reads DAYANISMA_PROXY_HOPS; with 1 hop the address nginx saw is the client's."""
    import os
    import subprocess
    import sys

    keyfile = tmp_path / "keys.json"
    crypto.write_key_file(keyfile, crypto.generate_key_material())
    code = "\n".join([
        "from werkzeug.test import EnvironBuilder",
        "from wsgi import app",
        "seen = {}",
        "def probe(environ, start_response):",
        "    seen['ip'] = environ['REMOTE_ADDR']",
        "    start_response('200 OK', [])",
        "    return [b'']",
        "target = app.wsgi_app",
        "if hasattr(target, 'app'):",  # ProxyFix wraps the Flask app: look at what it hands on
        "    target.app = probe",
        "else:",
        "    target = probe",
        "env = EnvironBuilder('/', environ_base={'REMOTE_ADDR': '10.0.0.1'},",
        "                     headers={'X-Forwarded-For': '198.51.100.7, 203.0.113.9'}).get_environ()",
        "list(target(env, lambda *a: None))",
        "print(seen['ip'])",
    ])
    base = {**os.environ, "DAYANISMA_ENV": "production", "SECRET_KEY": STRONG, "DAYANISMA_KEY_FILE": str(keyfile),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6399",
            "DAYANISMA_INSTANCE_DIR": str(tmp_path)}
    base.pop("DAYANISMA_PROXY_HOPS", None)
    root = Path(__file__).resolve().parents[2]

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", code], env={**base, **extra}, cwd=root, capture_output=True,
                              text=True, timeout=60)

    refused = run()
    assert refused.returncode != 0 and "DAYANISMA_PROXY_HOPS must be set in production" in refused.stderr
    one_hop = run(DAYANISMA_PROXY_HOPS="1")
    assert one_hop.returncode == 0, one_hop.stderr
    assert one_hop.stdout.split()[-1] == "203.0.113.9"  # the address the one trusted proxy saw, not the spoofable one
    no_proxy = run(DAYANISMA_PROXY_HOPS="0")
    assert no_proxy.returncode == 0 and no_proxy.stdout.split()[-1] == "10.0.0.1", no_proxy.stderr


def test_static_urls_carry_a_content_version(tmp_path: Path) -> None:
    import hashlib

    from flask import url_for

    app = _prod(tmp_path)
    with app.test_request_context():
        url = url_for("static", filename="css/app.css")
        missing = url_for("static", filename="no-such-file.css")
    digest = hashlib.sha256((Path(app.static_folder or "") / "css" / "app.css").read_bytes()).hexdigest()[:12]
    assert url == f"/static/css/app.css?v={digest}"
    assert missing == "/static/no-such-file.css"


def test_production_hashes_passwords_at_argon2id_full_cost_only_the_tests_lower_it(tmp_path: Path) -> None:
    """The suite hashes with cheap argon2 parameters (tests/conftest.py FAST_ARGON2, test apps only); production must
    keep argon2-cffi's RFC 9106 profile: argon2id, 3 passes over 64 MiB."""
    from argon2 import PasswordHasher, Type, extract_parameters

    from app.auth import passwords
    from tests.conftest import FAST_ARGON2

    with _prod(tmp_path).app_context():
        params = extract_parameters(passwords.hash_password("correct horse battery staple İğ"))
    defaults = PasswordHasher()
    assert params.type is Type.ID
    assert params.time_cost >= max(3, defaults.time_cost) and params.memory_cost >= max(65536, defaults.memory_cost)
    assert params.parallelism >= 1 and FAST_ARGON2["memory_cost"] < params.memory_cost
