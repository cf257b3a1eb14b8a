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


# --- behind nginx (deploy/): forwarded headers and versioned static URLs (issue 19) ---------------------------------


@pytest.mark.parametrize("value", ["2", "yes", "-1", "1; x"])
def test_proxy_fix_accepts_only_none_or_one_proxy(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="DAYANISMA_PROXY_FIX"):
        _prod(tmp_path, PROXY_FIX=value)


@pytest.mark.parametrize(("value", "client"), [("0", "127.0.0.1"), ("1", "192.0.2.7"), (1, "192.0.2.7")])
def test_proxy_fix_trusts_one_forwarded_hop(tmp_path: Path, value: object, client: str) -> None:
    """Behind nginx (which overwrites X-Forwarded-For) the app takes the last hop: the address nginx saw."""
    app = _prod(tmp_path, PROXY_FIX=value)
    seen = {}

    from app import access

    @app.get("/whoami-test")
    @access.public
    def whoami():  # type: ignore[no-untyped-def]
        from flask import request

        seen["ip"], seen["scheme"] = request.remote_addr, request.scheme
        return ""

    app.test_client().get("/whoami-test", headers={"X-Forwarded-For": "203.0.113.9, 192.0.2.7",
                                                   "X-Forwarded-Proto": "https"})
    assert seen["ip"] == client
    assert seen["scheme"] == ("https" if client != "127.0.0.1" else "http")


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
