"""Case models, split by sub-domain. Every module in this package is imported here so that the mappers and the
Alembic metadata are complete (``app.model_registry`` imports this package)."""

from __future__ import annotations

import importlib
import pkgutil

from cases.models.core import (  # noqa: F401
    CHANNELS,
    PREVIOUS_APPLICATIONS,
    RELATIONSHIPS,
    VIOLENCE_TYPES,
    BreakGlassGrant,
    Case,
    CaseMember,
    CaseStatus,
    ContactNote,
    Person,
    PersonKind,
    RiskLevel,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
