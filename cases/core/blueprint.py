"""The ``cases`` blueprint. Each slice's ``views.py`` registers its views on ``bp``; ``cases.registry`` imports
them all. Every view uses ``cases.core.access.case_access`` (object views) or an ``app.access`` policy (lists, forms
without a case)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
