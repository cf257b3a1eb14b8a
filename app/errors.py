"""Friendly error pages that leak nothing: no stack traces, no ids, no echo of the request."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.db import db

PAGES = {400, 401, 403, 404, 405, 413, 422, 429, 500}


def _render(code: int):  # type: ignore[no-untyped-def]
    return render_template(f"errors/{code}.html"), code


def handle_http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
    code = exc.code or 500
    if code in PAGES:
        return _render(code)
    return exc


def handle_csrf_error(exc: CSRFError):  # type: ignore[no-untyped-def]
    return render_template("errors/400.html", csrf=True), 400


def handle_unexpected(exc: Exception):  # type: ignore[no-untyped-def]
    db.session.rollback()
    # The traceback goes to the log (which never receives decrypted values: they are not in exception messages).
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.endpoint)
    return _render(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
