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
                   RATELIMIT_STORAGE_URI="redis://127.0.0.1:6399")
