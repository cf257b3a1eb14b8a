"""Friendly error pages that leak nothing: no stack traces, no ids, no echo of the request."""

from __future__ import annotations

import traceback
from pathlib import Path

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.db import db

PAGES = {400, 401, 403, 404, 405, 413, 422, 429, 500}
_ROOT = Path(__file__).resolve().parent.parent


def _render(code: int):  # type: ignore[no-untyped-def]
    return render_template(f"errors/{code}.html"), code


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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
