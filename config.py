"""Configuration for the three environments: development, test and production.

``DAYANISMA_ENV`` picks one and has no default: unset, the app refuses to start (``make run`` and ``make test`` set
it), so a server someone forgot to configure never runs with development's public secret key, generated keys, demo
commands and cookies without ``Secure``. Production reads every secret from the environment and refuses to start
when one is missing or weak; no secret has a default value outside development and test.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("DAYANISMA_INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


class Config:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'dayanisma.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}

    # Sessions (DESIGN.md §3.7): server-side records, checked on every request.
    SESSION_COOKIE_NAME = "dayanisma_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_IDLE_TIMEOUT = timedelta(minutes=15)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=8)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # Sensitive actions (break-glass, exports, printouts, credential changes) need a second factor this recent.
    STEP_UP_WINDOW = timedelta(minutes=5)
    # A half-finished sign-in (password accepted, code not yet entered) lapses quickly.
    LOGIN_PENDING_TIMEOUT = timedelta(minutes=5)

    # Hostile bodies (DESIGN.md §3.10): forms are small, so a large body is refused (413) before it is parsed.
    # An upload view raises its own limit (``request_guard.accepts_files``: documents, 21 MiB).
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    MAX_FORM_PARTS = 500

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (server-side) session
    WTF_CSRF_SSL_STRICT = True

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_ENABLED = True
    # Sign-in and MFA limits. Per account *from one address* (so guessing from elsewhere cannot lock her out) and per
    # address (protects the service); across addresses, each wrong password after the first few makes the account
    # wait longer before the next one is even checked (1 s, 2 s, 4 s, … up to the cap): never a lock. README explains.
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "50 per 15 minutes"
    SIGN_IN_FREE_FAILURES = 5
    SIGN_IN_DELAY_CAP = timedelta(seconds=30)
    # Anti-automation per user (app/throttle.py): past the limit a read or search waits (429) until the window turns;
    # past the flag (different case files opened; searches) her supervisors and the auditors are told, once a window.
    # An honest day stays far below: a counsellor opens a few dozen files and searches a few dozen times a day.
    CASE_READ_LIMIT = os.environ.get("DAYANISMA_CASE_READ_LIMIT", "300 per hour;1500 per day")
    CASE_READ_FLAG = os.environ.get("DAYANISMA_CASE_READ_FLAG", "100 per hour")
    CASE_SEARCH_LIMIT = os.environ.get("DAYANISMA_CASE_SEARCH_LIMIT", "120 per hour;500 per day")
    CASE_SEARCH_FLAG = os.environ.get("DAYANISMA_CASE_SEARCH_FLAG", "40 per hour")

    BABEL_DEFAULT_LOCALE = "tr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Istanbul"
    LANGUAGES = ("tr", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    KEY_FILE = os.environ.get("DAYANISMA_KEY_FILE", str(INSTANCE_DIR / "keys.json"))
    # The key JSON itself: None here, so it never sits in a class attribute; DAYANISMA_KEYS is read at start-up and
    # then removed from the environment and from app.config (app/keys.py).
    KEYS_FROM_ENV: str | None = None
    GENERATE_DEV_KEYS = False
    # Where the KEKs live: "file" (the key file's kek ring) or "pkcs11" (a token: DAYANISMA_PKCS11_MODULE, _TOKEN and
    # _PIN; the PIN is read from the environment only, then removed from it). The key file then holds the
    # blind-index ring only.
    KEK_PROVIDER = os.environ.get("DAYANISMA_KEK_PROVIDER", "file")
    # Seconds an unwrapped data key stays cached in a process (a shredded key is gone from every process within it).
    DEK_CACHE_TTL = 60.0

    # Statistics: counts below this are suppressed (GBVIMS practice: 1..k-1 hidden).
    STATS_MIN_CELL = 5
    CASE_BREAK_GLASS_HOURS = 4
    CASE_NOTE_EDIT_MINUTES = 15
    # Retention (KVKK m.4: kept no longer than necessary): a case closed this many days ago is crypto-shredded by
    # `flask --app wsgi retention run`. Default 2557 days (seven years); validated at start-up.
    RETENTION_CLOSED_CASE_DAYS: int | str = os.environ.get("DAYANISMA_RETENTION_CLOSED_CASE_DAYS", "2557")
    # A disabled user account is anonymised this many days after it was disabled (name, e-mail, credentials go; the
    # row stays for what refers to it). Default 730 days (two years); the admin's schedule may change it.
    RETENTION_DISABLED_ACCOUNT_DAYS: int | str = os.environ.get("DAYANISMA_RETENTION_DISABLED_ACCOUNT_DAYS", "730")

    # How many reverse proxies in front of the app set X-Forwarded-For / -Proto (nginx alone: 1; none: 0). Without it,
    # behind a proxy every client has the proxy's address: one shared sign-in limit, audit rows naming the proxy.
    # Production refuses to start unless it is stated (0 is a valid answer). ``PROXY_FIX`` (code only) means 1.
    PROXY_HOPS: int | str | None = os.environ.get("DAYANISMA_PROXY_HOPS")

    DEMO_ALLOWED = False
    TOTP_ISSUER = "Dayanışma"
    TOTP_VALID_WINDOW = 1

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")

    # Audit anchors (app/audit_anchors.py): SEQ:HASH of the chain head leaves the database after this many events or
    # seconds, to an append-only file and/or syslog. Keep both off the database server (README, operations notes).
    AUDIT_ANCHOR_FILE: str | None = os.environ.get("DAYANISMA_AUDIT_ANCHOR_FILE",
                                                   str(INSTANCE_DIR / "audit-anchors.log"))
    AUDIT_ANCHOR_SYSLOG: str | None = os.environ.get("DAYANISMA_AUDIT_ANCHOR_SYSLOG") or None
    AUDIT_ANCHOR_EVERY_EVENTS = int(os.environ.get("DAYANISMA_AUDIT_ANCHOR_EVERY_EVENTS", "100"))
    AUDIT_ANCHOR_EVERY_SECONDS = int(os.environ.get("DAYANISMA_AUDIT_ANCHOR_EVERY_SECONDS", "300"))
    # The audit chain's versioned key ring (app/audit_keys.py); default: audit-keys.json beside KEY_FILE.
    AUDIT_KEY_FILE: str | None = os.environ.get("DAYANISMA_AUDIT_KEY_FILE") or None
    # PostgreSQL: migrations run as the owner role; the app's role may not own or truncate the audit log
    # (app/db_roles.py). Production refuses to start when it does.
    DATABASE_OWNER_URL: str | None = os.environ.get("DATABASE_OWNER_URL") or None
    AUDIT_ROLE_CHECK = False

    @classmethod
    def validate(cls, app_config: dict[str, object]) -> None:
        """Refuse unsafe settings and normalise the numeric ones; environments with stricter rules extend this
        (and call it first)."""
        app_config["RETENTION_CLOSED_CASE_DAYS"] = _retention_days(app_config.get("RETENTION_CLOSED_CASE_DAYS"))
        app_config["RETENTION_DISABLED_ACCOUNT_DAYS"] = _retention_days(
            app_config.get("RETENTION_DISABLED_ACCOUNT_DAYS"), name="RETENTION_DISABLED_ACCOUNT_DAYS",
            low=DISABLED_ACCOUNT_DAYS_MIN, default="730, two years")
        app_config["PROXY_HOPS"] = _proxy_hops(app_config.get("PROXY_HOPS"), legacy=bool(app_config.get("PROXY_FIX")))
        for key in ("CASE_READ_LIMIT", "CASE_READ_FLAG", "CASE_SEARCH_LIMIT", "CASE_SEARCH_FLAG"):
            _rate(key, app_config.get(key))


def _rate(key: str, value: object) -> None:
    """A rate such as "300 per hour;1500 per day" (the rate limiter's notation)."""
    from limits import parse_many

    try:
        parse_many(str(value))
    except ValueError:
        raise ConfigError(f"{key} must be a rate such as '300 per hour;1500 per day'.") from None


PROXY_HOPS_MAX = 5


def _proxy_hops(value: object, *, legacy: bool = False) -> int:
    """A whole number of trusted proxies in [0, PROXY_HOPS_MAX]; unset is 0 (or 1 with the old ``PROXY_FIX``)."""
    if value is None or value == "":
        return 1 if legacy else 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= PROXY_HOPS_MAX:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        if int(value.strip()) <= PROXY_HOPS_MAX:
            return int(value.strip())
    raise ConfigError(f"DAYANISMA_PROXY_HOPS (PROXY_HOPS) must be the number of reverse proxies in front of the app, "
                      f"0 to {PROXY_HOPS_MAX}; got {str(value)[:20]!r}.")


RETENTION_DAYS_MIN, RETENTION_DAYS_MAX = 365, 36500
DISABLED_ACCOUNT_DAYS_MIN = 90


def _retention_days(value: object, *, name: str = "RETENTION_CLOSED_CASE_DAYS", low: int = RETENTION_DAYS_MIN,
                    default: str = "2557, about seven years") -> int:
    """A whole number of days in [low, RETENTION_DAYS_MAX], from an int or the environment's text."""
    days: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        days = int(value.strip())
    if days is None or not low <= days <= RETENTION_DAYS_MAX:
        raise ConfigError(f"DAYANISMA_{name} ({name}) must be a whole number of days from {low} to "
                          f"{RETENTION_DAYS_MAX} (default {default}); got {str(value)[:40]!r}.")
    return days


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-secret-key-not-for-production")
    SESSION_COOKIE_SECURE = False  # http://127.0.0.1 during development
    WTF_CSRF_SSL_STRICT = False
    GENERATE_DEV_KEYS = True
    DEMO_ALLOWED = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-only-insecure-secret-key-0123456789abcdef"  # noqa: S105 (test config only)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_SSL_STRICT = False
    GENERATE_DEV_KEYS = True
    DEMO_ALLOWED = True
    RATELIMIT_STORAGE_URI = "memory://"
    AUDIT_ANCHOR_FILE = None  # the instance folder is shared by every test: conftest gives each app its own file


WEAK_SECRETS = {"secret", "changeme", "change-me", "dev", "development", "password", "test"}


class ProductionConfig(Config):
    ENV_NAME = "production"
    # SECURITY: the __Host- prefix makes the browser refuse the cookie unless it is Secure, for this host only and
    # for the whole path, so a sibling subdomain cannot plant or overwrite it.
    SESSION_COOKIE_NAME = "__Host-dayanisma_session"
    # No SQLite fallback: a server that forgot DATABASE_URL must not quietly keep the files in instance/.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # type: ignore[assignment]
    AUDIT_ANCHOR_SYSLOG = os.environ.get("DAYANISMA_AUDIT_ANCHOR_SYSLOG", "/dev/log") or None
    AUDIT_ROLE_CHECK = True

    @classmethod
    def validate(cls, app_config: dict[str, object]) -> None:
        if app_config.get("PROXY_HOPS") in (None, "") and not app_config.get("PROXY_FIX"):
            raise ConfigError("DAYANISMA_PROXY_HOPS must be set in production: how many reverse proxies in front of "
                              "the app set X-Forwarded-For (nginx alone: 1; none: 0).")
        super().validate(app_config)
        secret = app_config.get("SECRET_KEY")
        if not isinstance(secret, str) or len(secret) < 32 or secret.lower() in WEAK_SECRETS or "insecure" in secret:
            raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters in production.")
        if len(set(secret)) < 10:
            raise ConfigError("SECRET_KEY is too repetitive; generate it with `python -c 'import secrets; "
                              "print(secrets.token_urlsafe(48))'`.")
        if app_config.get("DEBUG"):
            raise ConfigError("DEBUG must be off in production.")
        if not app_config.get("SQLALCHEMY_DATABASE_URI"):
            raise ConfigError("DATABASE_URL must be set in production (e.g. postgresql+psycopg://dayanisma@/dayanisma"
                              "?host=/run/postgresql).")
        has_env_keys = bool(app_config.get("KEYS_FROM_ENV") or os.environ.get("DAYANISMA_KEYS"))
        if not has_env_keys and not Path(str(app_config.get("KEY_FILE"))).is_file():
            raise ConfigError("Encryption keys are missing: set DAYANISMA_KEYS or DAYANISMA_KEY_FILE.")
        # crypto.load_keys() then refuses malformed key material when the app initialises its keys.
        if str(app_config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
            raise ConfigError("RATELIMIT_STORAGE_URI must point at shared storage (Redis) in production.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("DAYANISMA_ENV")
    if not name:
        # SECURITY: no silent default; development would mean a public SECRET_KEY and demo commands on a server.
        raise ConfigError("DAYANISMA_ENV is not set. Set DAYANISMA_ENV=production on a server (with SECRET_KEY, "
                          "DATABASE_URL and the keys), or DAYANISMA_ENV=development to try the app locally "
                          "(`make run` sets it).")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"Unknown DAYANISMA_ENV {name!r}; use one of {', '.join(CONFIGS)}.") from None
