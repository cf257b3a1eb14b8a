"""Flask extension objects, created unbound and initialised in ``create_app``."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from app.db import db


def client_ip() -> str:
    # The app runs behind a reverse proxy in production; ProxyFix (configured in create_app) sets remote_addr.
    return request.remote_addr or "unknown"


migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_ip)
# A day written by Python code (format_date without a format) is the long date, as on every page (app/dates.py).
babel = Babel(date_formats={**Babel.default_date_formats, "date": "long"})

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "client_ip"]
