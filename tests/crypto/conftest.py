"""Fixtures for the crypto tests: test models on their own Base, an engine per database (SQLite file and a real
PostgreSQL 15), a fresh key context per test. No Flask, no app models: crypto must work with any declarative model.
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

# The repository root must be importable (crypto, tests.pgserver) however pytest was started.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402

import crypto  # noqa: E402
from crypto.models import NAMING_CONVENTION  # noqa: E402
from tests.pgserver import PostgresServer  # noqa: E402


class TestBase(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UidMixin:
    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("public_id", uuid.uuid4())
        super().__init__(**kwargs)


class Case(UidMixin, TestBase):
    __tablename__ = "t_cases"
    __key_owner__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    narrative_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    title = crypto.Encrypted()
    narrative = crypto.Encrypted()


class Person(UidMixin, TestBase):
    """Uses its case's data key (a Person row has no key of its own)."""

    __tablename__ = "t_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    full_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    tckn_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    phone_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    birth_date_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    children_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    needs_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    full_name = crypto.Encrypted(index="name")
    tckn = crypto.Encrypted(index="tckn")
    phone = crypto.Encrypted(index="phone")
    birth_date = crypto.Encrypted("date")
    children = crypto.Encrypted("int")
    needs = crypto.Encrypted("json")

    def __key_owner__(self) -> tuple[str, uuid.UUID]:
        return ("case", self.case_public_id)


class Tiny(UidMixin, TestBase):
    """A 2-bit name index: collisions are certain, so false-positive filtering is exercised."""

    __tablename__ = "t_tiny"
    __key_owner__ = "tiny"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    name = crypto.Encrypted(index="name", bits=2)


MODELS = [Case, Person, Tiny]
_counter = itertools.count()


class DB:
    """One test database: its engine, and how to reach its raw bytes (file path or pg_dump arguments)."""

    def __init__(self, kind: str, engine: sa.Engine, sqlite_path: str | None = None,
                 pg: PostgresServer | None = None, dbname: str | None = None) -> None:
        self.kind, self.engine, self.sqlite_path, self.pg, self.dbname = kind, engine, sqlite_path, pg, dbname


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DB]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "crypto.db"
        db = DB("sqlite", sa.create_engine(f"sqlite:///{path}"), sqlite_path=str(path))
    else:
        # The suite's one PostgreSQL per test process (tests/conftest.py), shared with the app's tests.
        server: PostgresServer | None = request.getfixturevalue("pg_server")
        if server is None:
            pytest.skip("PostgreSQL not available (DAYANISMA_SKIP_PG outside CI)")
        name = f"crypto_{next(_counter)}"
        db = DB("postgresql", sa.create_engine(server.create_database(name)), pg=server, dbname=name)
    TestBase.metadata.create_all(db.engine)
    crypto.CryptoBase.metadata.create_all(db.engine)
    yield db
    db.engine.dispose()


@pytest.fixture
def ctx() -> Iterator[crypto.CryptoContext]:
    context = crypto.CryptoContext(crypto.generate_key_material())
    crypto.configure(context)
    yield context
    crypto.configure(None)


@pytest.fixture
def engine(database: DB) -> Iterator[sa.Engine]:
    yield database.engine
    with database.engine.begin() as conn:
        for table in (*reversed(TestBase.metadata.sorted_tables), *crypto.CryptoBase.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(engine: sa.Engine, ctx: crypto.CryptoContext) -> Iterator[Session]:
    with Session(engine) as s:
        yield s
