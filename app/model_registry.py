"""Every model module imported in one place, and the list of MetaData objects Alembic compares against.

Besides ``create_app`` registering blueprints, this is the one place ``app`` names the feature packages: migrations
must see every table.
"""

from __future__ import annotations

import importlib
import importlib.util

import sqlalchemy as sa

FEATURE_MODEL_PACKAGES = ("cases.registry", "shelters.registry")


def import_all_models() -> None:
    import app.audit  # noqa: F401
    import app.reports.models  # noqa: F401
    import app.users.models  # noqa: F401

    for name in FEATURE_MODEL_PACKAGES:
        if importlib.util.find_spec(name.split(".")[0]) and importlib.util.find_spec(name):
            importlib.import_module(name)


def all_metadata() -> list[sa.MetaData]:
    from app.db import db
    from crypto.models import CryptoBase

    import_all_models()
    return [db.metadata, CryptoBase.metadata]
