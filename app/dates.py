"""The centre's calendar: today in the centre's time zone (``BABEL_DEFAULT_TIMEZONE``, Istanbul by default), not the
server's. Consent validity, follow-ups, review dates, order expiry and shelter nights are calendar days there."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def centre_zone() -> ZoneInfo:
    """The centre's time zone (``BABEL_DEFAULT_TIMEZONE``; Europe/Istanbul when unset or outside an app)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "Europe/Istanbul")


def local_today() -> date:
    """Today in the centre's time zone."""
    return datetime.now(centre_zone()).date()
