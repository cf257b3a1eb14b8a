"""Friendly error pages that leak nothing: no stack traces, no ids, no echo of the request.

While the database is unavailable (a restart, a failover) every request gets a static, translated 503 with every
security header and ``Retry-After``, rendered without asking who is signed in (that needs the database), and one log
line; the next request after the database returns is served normally (the pool pings its connections).
"""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request, session
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

import crypto
from app.db import db

PAGES = {400, 401, 403, 404, 405, 413, 422, 429, 500}
_ROOT = Path(__file__).resolve().parent.parent


# Errors that mean "the database is not there", as opposed to a bug in a query.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
RETRY_AFTER_SECONDS = 30


def _render(code: int):  # type: ignore[no-untyped-def]
    try:
        return render_template(f"errors/{code}.html"), code
    except DATABASE_UNAVAILABLE as exc:  # the page asks who is signed in; during an outage nobody can tell
        return handle_database_unavailable(exc)


def handle_database_unavailable(exc: Exception) -> Response:
    with contextlib.suppress(Exception):  # the connection is gone; rolling back may fail too
        db.session.rollback()
    # One line, no traceback: an outage fails every request, and chained tracebacks once filled 132 MB in 12 s.
    current_app.logger.error("database unavailable: %s at %s on %s %s; answered 503", type(exc).__name__,
                             where(exc), request.method, request.endpoint)
    return _standalone_503("errors/503.html", retry=True)


def _standalone_503(template: str, *, retry: bool) -> Response:
    languages = current_app.config["LANGUAGES"]
    lang = session.get("locale")
    if lang not in languages:
        lang = request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(lang):
        # Not render_template: its context processors would ask for the signed-in user.
        html = current_app.jinja_env.get_template(template).render(lang=lang)
    response = current_app.response_class(html, 503, mimetype="text/html")
    if retry:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_retired_format(exc: crypto.RetiredFormat) -> Response:
    """A value still in the retired ciphertext format v1 (``flask keys upgrade-format`` has not been run): a plain
    503, nothing of the value, no trace; one log line saying where and what the operator must run."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    current_app.logger.error("a value in a retired ciphertext format at %s on %s %s; run `flask keys "
                             "upgrade-format`; answered 503", where(exc), request.method, request.endpoint)
    return _standalone_503("errors/503_format.html", retry=False)


def handle_http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
    code = exc.code or 500
    if code in PAGES:
        return _render(code)
    return exc


def handle_csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
    return render_template("errors/400.html", csrf=True), 400


def where(exc: BaseException) -> str:
    """``file:line in function`` of the innermost frame, relative to the project: where, never what."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    frame = frames[-1]
    return f"{_relative(frame.filename)}:{frame.lineno} in {frame.name}"


def _relative(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(_ROOT))
    except ValueError:
        return Path(filename).name


def handle_unexpected(exc: Exception):  # type: ignore[no-untyped-def]
    db.session.rollback()
    # SECURITY (DESIGN.md §3.5): an exception's message, and a traceback's chained messages, can carry a value (a
    # name in a constraint error, a decrypted field in a ValueError). The log gets the type and where, never the text.
    current_app.logger.error("unhandled %s at %s on %s %s", type(exc).__name__, where(exc), request.method,
                             request.endpoint)
    return _render(500)


def handle_data_refused(exc: sa_exc.DataError):  # type: ignore[no-untyped-def]
    """A value the database refuses to compare or store (a NUL byte in a query string on PostgreSQL): the request
    was bad, nothing crashed. One line, no value."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    current_app.logger.warning("database refused a value: %s at %s on %s %s; answered 400", type(exc.orig).__name__,
                               where(exc), request.method, request.endpoint)
    return _render(400)


def init_app(app: Flask) -> None:
    app.register_error_handler(sa_exc.DataError, handle_data_refused)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, handle_database_unavailable)
    app.register_error_handler(crypto.RetiredFormat, handle_retired_format)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
