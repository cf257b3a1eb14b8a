"""Every model module imported in one place, and the list of MetaData objects Alembic compares against."""

from __future__ import annotations

import sqlalchemy as sa


def all_metadata() -> list[sa.MetaData]:
    import app.audit  # noqa: F401
    import app.users.models  # noqa: F401
    from app.db import db

    metadatas = [db.metadata]
    from crypto.models import CryptoBase

    metadatas.append(CryptoBase.metadata)
    return metadatas
