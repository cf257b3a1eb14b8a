"""Contributes the case tables to the statistics pages (``app.reports``) without ``app`` importing ``cases``."""

from __future__ import annotations

from app.reports.registry import register_report_section
from cases import reports
from cases.views import bp

bp.record_once(lambda state: register_report_section(state.app, reports.sections))
