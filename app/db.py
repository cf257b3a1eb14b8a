"""The declarative base every model shares, and the SQLAlchemy extension object.

Keeps one naming convention for constraints (so Alembic migrations are stable across SQLite and PostgreSQL)
and a ``__repr__`` that never shows column values (DESIGN.md §3.5: nothing sensitive in ``repr()``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Datetimes are declared with ``mapped_column(UTCDateTime)`` (Flask-SQLAlchemy does not support a
    per-base ``type_annotation_map``)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        # SECURITY: never column values; only the class and the public id when there is one.
        public_id = getattr(self, "public_id", None)
        return f"<{type(self).__name__} {public_id}>" if public_id else f"<{type(self).__name__}>"


class PublicIdMixin:
    """A random UUID set at construction: used in URLs and as the row uid bound into ciphertexts."""

    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("public_id", uuid.uuid4())
        super().__init__(**kwargs)


db = SQLAlchemy(model_class=Base)
