"""The centre's calendar: today in the centre's time zone (``BABEL_DEFAULT_TIMEZONE``, Istanbul by default), not the
server's. Consent validity, follow-ups, review dates, order expiry and shelter nights are calendar days there."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from flask_babel import format_date, format_time


def centre_zone() -> ZoneInfo:
    """The centre's time zone (``BABEL_DEFAULT_TIMEZONE``; Europe/Istanbul when unset or outside an app)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or "Europe/Istanbul")


def local_today() -> date:
    """Today in the centre's time zone."""
    return datetime.now(centre_zone()).date()


# One date format per language (issue 16 §4): every page writes a day as Babel's long date ("6 Aralık 2026",
# "December 6, 2026") and a moment as that date and the short time, in the centre's time zone. The Jinja filters
# ``dateformat`` and ``datetimeformat`` are these functions (``register_filters``); the format argument that older
# templates pass is accepted and not used, so that no page can bring back a second format.
def long_date(value: date | datetime | None, _format: str | None = None) -> str:
    """The day, Babel's long format in the page's language (an aware datetime: its day in the centre's zone)."""
    if value is None:
        return ""
    return format_date(value, "long")


def long_datetime(value: datetime | None, _format: str | None = None) -> str:
    """The long date and the short time, in the centre's time zone."""
    if value is None:
        return ""
    return f"{format_date(value, 'long')} {format_time(value, 'short')}"


def register_filters(app: Flask) -> None:
    """Replace Flask-Babel's date filters (after ``babel.init_app``) by the one format per language."""
    app.jinja_env.filters.update(dateformat=long_date, datetimeformat=long_datetime)
