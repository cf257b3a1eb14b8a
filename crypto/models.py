"""The crypto tables, on their own declarative base: wrapped data keys (one per key owner) and the KEK register.

KEK bytes are never here (they live in the key file, or inside a PKCS#11 token): ``crypto_keks`` records only which
KEK ids exist and which one is active, so that every running process learns a rotation from the database without a
restart (DESIGN.md §4). Index epochs are in the key file (``keys status`` reads them from there). The app
includes ``CryptoBase.metadata`` in its Alembic ``target_metadata`` (a list of both
metadatas), so these tables are migrated with the app's. Portable across SQLite and PostgreSQL.

Operations guide: keep this table in its own backup regime (shorter retention than the data): crypto-shredding is
only complete once every backup holding the wrapped key has expired.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Same convention as app/db.py (copied, not imported: crypto must not depend on app).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CryptoBase(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class DataKey(CryptoBase):
    """One data key (DEK) of one owner, stored only wrapped by a KEK; ``wrapped`` is NULL once destroyed."""

    __tablename__ = "crypto_data_keys"
    __table_args__ = (
        # One DEK per owner: a concurrent second creation fails on commit instead of forking the owner's data.
        sa.UniqueConstraint("owner_type", "owner_id", name="uq_crypto_data_keys_owner"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    owner_type: Mapped[str] = mapped_column(sa.String(32))
    owner_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    # Deliberately not indexed: rotation walks the primary key, and an index here would be rewritten for every
    # rewrapped key (it made 10^5-key rotation on SQLite ~2x slower); status/retire counts are full scans, cheap.
    kek_id: Mapped[int] = mapped_column(sa.Integer)
    wrapped: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(_UTCDateTime)
    rewrapped_at: Mapped[datetime | None] = mapped_column(_UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(_UTCDateTime)
    destroyed_reason: Mapped[str | None] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        # SECURITY: never the wrapped bytes.
        state = " destroyed" if self.destroyed_at else ""
        return f"<DataKey {self.id} owner={self.owner_type} kek={self.kek_id}{state}>"


class KekRecord(CryptoBase):
    """One KEK id as the database knows it: which is active (wraps new data keys), which are retired.

    The active id lives here, not in each process: ``keys rotate`` activates a new KEK with one committed row change
    and every process reads it when it next creates a data key. No row at all (a fresh install) means the key
    ring's own active id.
    """

    __tablename__ = "crypto_keks"
    __table_args__ = (
        # SECURITY: at most one active KEK, enforced by the database (two concurrent rotations cannot both win).
        sa.Index("uq_crypto_keks_active", "is_active", unique=True,
                 sqlite_where=sa.text("is_active"), postgresql_where=sa.text("is_active")),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    provider: Mapped[str] = mapped_column(sa.String(16))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(_UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(_UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(_UTCDateTime)

    def __repr__(self) -> str:
        return f"<KekRecord {self.id} {self.provider}{' active' if self.is_active else ''}>"


class BlindIndexEntry(CryptoBase):
    """One indexed value of one row (crypto.blind): nothing in it links it to the row or to the row's other values.

    Keyed, and on SQLite stored (``WITHOUT ROWID``), by (scope, generation, bucket, id): rows sit in bucket order,
    never in insertion order. ``id`` is a keyed tag of the row uid (per scope and generation) so a change or an
    erasure finds the entry to delete without the value; ``pointer`` is the row uid encrypted with a random nonce.
    """

    __tablename__ = "crypto_blind_indexes"
    __table_args__ = (
        sa.Index("uq_crypto_blind_indexes_entry", "scope", "generation", "id", unique=True),
        {"sqlite_with_rowid": False},
    )

    scope: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    generation: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    bucket: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    id: Mapped[bytes] = mapped_column(sa.LargeBinary(16), primary_key=True)
    pointer: Mapped[bytes] = mapped_column(sa.LargeBinary)

    def __repr__(self) -> str:
        return f"<BlindIndexEntry {self.scope} g{self.generation}>"


class IndexGeneration(CryptoBase):
    """How a scope's entries are built (index key epoch, bits) and whether they are searched (active), only
    written (building, during a re-index) or gone (retired). No row for a scope: generation 1 (crypto.blind)."""

    __tablename__ = "crypto_index_generations"
    __table_args__ = (
        # SECURITY: one active generation per scope, enforced by the database.
        sa.Index("uq_crypto_index_generations_active", "scope", unique=True,
                 sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'")),
    )

    scope: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    generation: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    key_epoch: Mapped[int] = mapped_column(sa.Integer)
    bits: Mapped[int] = mapped_column(sa.Integer)
    state: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(_UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(_UTCDateTime)

    def __repr__(self) -> str:
        return f"<IndexGeneration {self.scope} g{self.generation} {self.state}>"


class ShredCounter(CryptoBase):
    """One row: how many erasures have committed. Every process reads it when a transaction begins (while it holds
    cached data keys) and empties its key cache when it moved, so no process decrypts an erased case's values after
    the erasure committed (DESIGN.md §4 crypto-shredding; the cache TTL alone left up to 60 s)."""

    __tablename__ = "crypto_shred_counter"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<ShredCounter {self.generation}>"
