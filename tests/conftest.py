"""Shared fixtures.

* ``app`` — a fresh application and database per test, parametrised over **SQLite and PostgreSQL** (test ids end in
  ``[sqlite]`` / ``[postgresql]``). Databases are built by the Alembic migrations once per session (a template),
  then copied per test, so every test starts from the migrated schema with no rows.
  No application context stays pushed while a test runs (Flask would otherwise share ``g`` and the session between
  requests); use ``with app.app_context():`` around direct database work.
* ``client`` — the Flask test client of ``app``; ``page(client, url)`` GETs and checks what every page must have.
* Factories in ``tests/factories.py`` (``make_centre``, ``make_user``) return plain snapshots, not ORM objects.
* ``login_as(client, user)`` signs in through the real password + TOTP flow.
* PostgreSQL: a throwaway server started by the suite (``tests/pgserver.py``). Without it the PostgreSQL half is
  skipped — except when ``CI=true``, where a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.pgserver import PostgresServer, memory_dir
from tests.template_code import TEMPLATE_CODE

CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]

FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class EnglishClient(FlaskClient):
    """Test clients ask for English unless a test sends its own Accept-Language (the app defaults to Turkish)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


def pytest_configure(config: pytest.Config) -> None:
    # Every app the tests build compiles its URL builders on first use (tests/lazy_rules.py): app creation costs a
    # fraction of the CPU; the URLs are Werkzeug's own (tests/app/test_lazy_rules.py).
    from tests.lazy_rules import LazyBuilderRule

    config.stash[_EAGER_RULE] = Flask.url_rule_class
    Flask.url_rule_class = LazyBuilderRule


def pytest_unconfigure(config: pytest.Config) -> None:
    if _EAGER_RULE in config.stash:
        Flask.url_rule_class = config.stash[_EAGER_RULE]


_EAGER_RULE = pytest.StashKey[type]()


def _fast_sqlite(app: Flask) -> None:
    """SQLite without fsync and with its rollback journal in memory, like the test PostgreSQL's fsync=off: a commit
    cost ~20 ms of disk flushes and a journal file created and unlinked. Only a crash of the test process itself
    could lose data. Other processes a test starts (flask, gunicorn) open their own connections with the defaults."""
    import sqlalchemy as sa

    from app.db import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA journal_mode=MEMORY")
            cur.close()


def make_app(db_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    from app import create_app

    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "ARGON2_PARAMS": FAST_ARGON2,
        "KEY_FILE": str(tmp_path / "keys.json"),
        "SERVER_NAME": "localhost",
        # Tests read English text unless they ask for Turkish (production defaults to Turkish).
        "BABEL_DEFAULT_LOCALE": "en",
        # Anchors leave the database in every test, as in production (each app its own file).
        "AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchors.log"),
    }
    settings.update(overrides)
    app = create_app("test", **settings)
    app.test_client_class = EnglishClient
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    _fast_sqlite(app)
    return app


def _migrate(db_url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = make_app(db_url, tmp_path)
    with app.app_context():
        upgrade(revision="heads")
        from app.db import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer | None]:
    if os.environ.get("DAYANISMA_SKIP_PG") and not CI:
        yield None
        return
    server = PostgresServer(directory=memory_dir())
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001
        if CI:
            raise RuntimeError(f"PostgreSQL is required when CI=true: {exc}") from exc
        yield None
        return
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.db"
    _migrate(f"sqlite:///{path}", base)
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer | None, tmp_path_factory: pytest.TempPathFactory) -> str | None:
    if pg_server is None:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"template_{worker}"
    url = pg_server.create_database(name)
    _migrate(url, tmp_path_factory.mktemp("pg-template"))
    return name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.only_postgresql`` / ``only_sqlite``: a test about one database's behaviour is not generated for
    the other (deselected, not skipped: `make test` with CI=true runs with no skips)."""
    keep, drop = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("db_url")
        wanted = ("postgresql" if item.get_closest_marker("only_postgresql")
                  else "sqlite" if item.get_closest_marker("only_sqlite") else None)
        (drop if wanted is not None and backend is not None and backend != wanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    schedule_long_files_first(items)


# Files of few but long tests (processes, Chromium, the deploy/ stack, whole-site sweeps), longest first, by the
# durations of a full run (6 Dec 2026). `make test` runs with `--dist loadfile --no-loadscope-reorder`: xdist hands
# out files in this order. Its default order (most tests first) started these last, and a 60-second file begun at
# the end kept one worker busy while the other stood idle. A file missing here only runs later; a listed file that
# no longer exists fails tests/test_schedule.py.
LONG_FILES = (
    "tests/e2e/test_accessibility.py",
    "tests/security/test_hostile_requests.py",
    "tests/deploy/test_full_stack.py",
    "tests/app/test_key_rotation_gunicorn.py",
    "tests/app/test_key_rotation_online.py",
    "tests/cases/test_sweeps.py",
    "tests/security/test_sign_in_limits.py",
    "tests/crypto/test_p9_bench.py",
    "tests/e2e/test_phone_width.py",
    "tests/security/test_mass_assignment.py",
    "tests/cases/test_kvkk_report.py",
    "tests/e2e/test_shelter_journey.py",
    "tests/app/test_page_queries.py",
    "tests/crypto/test_crypto_linkage.py",
    "tests/reports/test_kpi_sql.py",
    "tests/cases/test_safety_plan.py",
)


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def schedule_long_files_first(items: list[pytest.Item]) -> None:
    """The files of LONG_FILES first, in its order; then the other browser journeys (tests/e2e: few tests, each
    seconds long); then the rest, the files with most tests first (xdist's own heuristic). Tests keep their order
    within a file."""
    rank = {name: n for n, name in enumerate(LONG_FILES)}
    count: dict[str, int] = {}
    first: dict[str, int] = {}
    for n, item in enumerate(items):
        name = _file_of(item)
        count[name] = count.get(name, 0) + 1
        first.setdefault(name, n)

    def key(pair: tuple[int, pytest.Item]) -> tuple[int, int, int]:
        n, item = pair
        name = _file_of(item)
        if name in rank:
            return (0, rank[name], n)
        if name.startswith("tests/e2e/"):
            return (1, first[name], n)
        return (2, -count[name] * len(items) + first[name], n)

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    template: str | None = request.getfixturevalue("pg_template")
    if server is None or template is None:
        pytest.skip("PostgreSQL not available (set up postgresql-15; required when CI=true)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    yield server.url(name)
    server.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backend(db_url: str) -> str:
    return "postgresql" if db_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_app(db_url, tmp_path)
    yield application
    with application.app_context():
        from app.db import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def centre(app: Flask) -> factories.CentreInfo:
    return factories.make_centre(app)


@pytest.fixture
def make_user(app: Flask, centre: factories.CentreInfo):  # type: ignore[no-untyped-def]
    def _make(role: str = "counsellor", **kwargs: Any) -> factories.UserInfo:
        kwargs.setdefault("centre", centre)
        return factories.make_user(app, role=role, **kwargs)

    return _make


@pytest.fixture
def login_as():  # type: ignore[no-untyped-def]
    return factories.login_as


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    return factories.page


@pytest.fixture
def make_case(app: Flask):  # type: ignore[no-untyped-def]
    def _make(counsellor: factories.UserInfo, **kwargs: Any) -> factories.CaseInfo:
        return factories.make_case(app, counsellor, **kwargs)

    return _make


# --- Chromium (tests/e2e, tests/deploy): one Playwright instance per test process -----------------------------------

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        if CI:
            raise RuntimeError("Chromium and Playwright are required when CI=true (make test installs them)")
        pytest.skip("Chromium not installed (make chromium)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        instance.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """The cyclic garbage collector took a fifth of a test process's CPU (tests/cases/test_people.py: 2,543
    collections, 2.0 s of 10.5 s), mostly rescanning the modules, templates and mappers imported once. After
    collection they move to the permanent generation (gc.freeze) and young collections run every 20,000 allocations
    instead of 700: 0.9 s. Garbage is still collected (a short-lived app is freed at the next full collection);
    reference counting frees the rest at once, as before. The test process only: apps in production keep Python's
    defaults."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
