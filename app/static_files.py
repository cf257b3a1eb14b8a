"""Versioned static URLs: ``url_for('static', filename=…)`` carries ``?v=<hash of the file>``.

nginx serves ``/static/`` itself with a year-long, immutable cache (deploy/nginx/dayanisma.conf); the version in the
URL is what makes a changed file reach the browser at once after an upgrade. Hashes are computed once per file and
process (files do not change under a running server: an upgrade restarts it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask

_HASHES: dict[str, str | None] = {}


def _version(root: Path, filename: str) -> str | None:
    key = f"{root}\0{filename}"
    if key not in _HASHES:
        path = (root / filename).resolve()
        ok = path.is_file() and path.is_relative_to(root.resolve())
        _HASHES[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if ok else None
    return _HASHES[key]


def init_app(app: Flask) -> None:
    root = Path(app.static_folder or "")

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
            version = _version(root, values["filename"])
            if version:
                values["v"] = version
