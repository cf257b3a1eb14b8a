"""The ``cases`` blueprint. Every module in this package registers its views on ``bp``; they are imported here so
that a new sub-domain module needs no edit elsewhere. Every view uses ``cases.access.case_access`` (object views) or
an ``app.access`` policy (lists, forms without a case)."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    importlib.import_module(f"{__name__}.{_module.name}")
