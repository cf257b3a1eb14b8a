"""Hostile and broken requests get a clear 4xx before any view runs (DESIGN.md §3.10).

* Body size: ``MAX_CONTENT_LENGTH`` (config) answers 413 with the friendly page; form fields are small.
* File parts: no form takes a file yet, so a file part in a text field (``curl -F 'email=@file'``) is refused with a
  400 instead of reaching a validator that expects text. A view that takes files declares it with
  ``@accepts_files``.
NUL bytes are left to each form's own validation, which names the field (most forms refuse control characters);
one that still reaches PostgreSQL is a 400 from ``errors.py``, not a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request

F = TypeVar("F", bound=Callable[..., Any])
ACCEPTS_FILES_ATTR = "accepts_files"


def accepts_files(view: F) -> F:
    """Declare that a view reads uploaded files (``request.files``)."""
    setattr(view, ACCEPTS_FILES_ATTR, True)
    return view


def refuse_hostile_input() -> None:
    """``before_request``: file parts where no file is expected answer 400."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if request.files and not getattr(view, ACCEPTS_FILES_ATTR, False):
        abort(400)


def init_app(app: Flask) -> None:
    # First in line, before CSRF reads the form: a refused body is never looked at further.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_hostile_input)
