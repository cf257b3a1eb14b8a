"""Today at the shelter: the centre's date (Istanbul by default), not the server's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def local_today() -> date:
    zone = "Europe/Istanbul"
    if has_app_context():
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", zone)
    return datetime.now(ZoneInfo(zone)).date()
