"""Contributes the case tables to the statistics pages (``app.reports``) without ``app`` importing ``cases``, and
the count of applications per centre from which a release groups small centres."""

from __future__ import annotations

from app.reports.registry import register_population_counter, register_report_section
from cases import reports
from cases.views import bp

bp.record_once(lambda state: register_report_section(state.app, reports.sections))
bp.record_once(lambda state: register_population_counter(state.app, reports.applications_by_centre))
