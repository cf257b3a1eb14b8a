"""P8: storing and reading a case document (DESIGN.md §7), on SQLite and PostgreSQL.

For each size (2 MB and 20 MB) a fresh worker process builds an app on a migrated database, opens one case and
measures, in the service the upload and download views call:

* upload = ``cases.documents.services.add_document`` from the spooled file Werkzeug leaves on disk, + commit;
* download = what ``download_document`` does: the verification pass over every chunk, then the streamed pass;
* raw = one ``AESGCM`` encrypt + decrypt of the same bytes as a single message (the floor);
* memory = the worker's peak Python allocations during each step (tracemalloc) and its peak RSS growth
  (``ru_maxrss``), which must not grow with the file.

    .venv/bin/python bench/document_bench.py        # prints the table; bench/run.py adds it to PERFORMANCE.md
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES_MB = (2, 20)
MB = 1024 * 1024


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(url: str, size_mb: int) -> dict[str, Any]:
    import logging

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.documents import services as svc
    from cases.documents.models import CaseDocument
    from tests import factories

    tmp = Path(tempfile.mkdtemp(prefix="dayanisma-p8-"))
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, KEY_FILE=str(tmp / "keys.json"),
                     ARGON2_PARAMS={"time_cost": 1, "memory_cost": 1024, "parallelism": 1})
    with app.app_context():
        upgrade(revision="heads")
    logging.disable(logging.WARNING)
    centre = factories.make_centre(app)
    user = factories.make_user(app, "counsellor", centre=centre)
    info = factories.make_case(app, user)
    path = tmp / "upload.pdf"
    with path.open("wb") as fh:   # written in pieces: the worker never holds the file
        fh.write(b"%PDF-1.7\n" + os.urandom(MB - 9))
        for _ in range(size_mb - 1):
            fh.write(os.urandom(MB))

    def upload() -> int:
        with app.app_context():
            case = db.session.get(Case, info.id)
            actor = db.session.get(User, user.id)
            with path.open("rb") as fh:
                doc = svc.add_document(case, actor=actor, kind="court-decision", note=None,  # type: ignore[arg-type]
                                       fileobj=fh, filename="karar.pdf")
            db.session.commit()
            return doc.id

    def download(doc_id: int) -> float:
        """Seconds spent streaming after the verification pass (the whole call is timed by the caller)."""
        with app.app_context():
            document = db.session.get(CaseDocument, doc_id)
            assert document is not None
            svc.verify_document(document)
            verified = time.perf_counter()
            total = sum(len(chunk) for chunk in svc.read_document(document))
            assert total == size_mb * MB
            return time.perf_counter() - verified

    out: dict[str, Any] = {"size_mb": size_mb}
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    doc_id = upload()
    out["upload_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["stream_only_s"] = download(doc_id)
    out["download_s"] = time.perf_counter() - t0
    out["rss_growth_mb"] = _rss_mb() - rss0
    tracemalloc.start()            # a second round for the allocation peaks (tracemalloc slows the timing)
    doc_id = upload()
    out["upload_peak_py_mb"] = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.reset_peak()
    download(doc_id)
    out["download_peak_py_mb"] = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    with app.app_context():
        db.engine.dispose()

    data = path.read_bytes()      # last: the raw floor holds the whole file, which would mask the RSS figure
    key = AESGCM(os.urandom(32))
    t0 = time.perf_counter()
    sealed = key.encrypt(b"\x00" * 12, data, None)
    key.decrypt(b"\x00" * 12, sealed, None)
    out["raw_mbps"] = size_mb * 2 / (time.perf_counter() - t0)
    out["upload_mbps"] = size_mb / out["upload_s"]
    out["download_mbps"] = size_mb / out["download_s"]
    out["stream_only_mbps"] = size_mb / out["stream_only_s"]
    return out


def run(pg_url: str | Callable[[str], str] | None = None) -> dict[str, Any]:
    """Every (backend, size) in its own process, so peak memory figures are the worker's own. ``pg_url``: a
    PostgreSQL URL, or a function making a database of the given name and returning its URL (one per size)."""
    results: dict[str, Any] = {}
    backends: dict[str, str] = {}
    tmp = Path(tempfile.mkdtemp(prefix="dayanisma-p8-"))
    for size in SIZES_MB:
        backends[f"sqlite-{size}"] = f"sqlite:///{tmp / f'p8-{size}.sqlite'}"
    for name, url in backends.items():
        results[name] = _spawn(url, int(name.rsplit("-", 1)[1]))
    if pg_url is not None:
        for size in SIZES_MB:
            results[f"postgresql-{size}"] = _spawn(pg_url(f"p8_{size}") if callable(pg_url) else pg_url, size)
    return results


def _spawn(url: str, size: int) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", url, str(size)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])   # type: ignore[no-any-return]


def render(results: dict[str, Any]) -> str:
    lines = ["## P8 — documents: upload and download of 20 MB", "",
             "Measured by `bench/document_bench.py` in the services the views call (the upload from the file "
             "Werkzeug spools to disk, the download as the view does it: a verification pass over every chunk, "
             "then the streamed pass). Raw = one AES-GCM encrypt + decrypt of the same bytes as a single message. "
             "Peak memory: the worker's Python allocations (tracemalloc) and RSS growth during the step; it must not "
             "grow with the file.", "",
             "| backend | size | raw AES-GCM MB/s | upload MB/s | download MB/s (verify + stream) | stream pass MB/s "
             "| upload peak (py) | download peak (py) | RSS growth |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name.rsplit('-', 1)[0]} | {r['size_mb']} MB | {r['raw_mbps']:.0f} | {r['upload_mbps']:.0f} "
                     f"| {r['download_mbps']:.0f} | {r['stream_only_mbps']:.0f} | {r['upload_peak_py_mb']:.2f} MB "
                     f"| {r['download_peak_py_mb']:.2f} MB | {r['rss_growth_mb']:.1f} MB |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]))))
    else:
        from tests.pgserver import PostgresServer

        pg = None if os.environ.get("BENCH_SKIP_PG") else PostgresServer()
        try:
            if pg is not None:
                pg.start()
            print(render(run(pg.create_database if pg is not None else None)))  # type: ignore[arg-type]
        finally:
            if pg is not None:
                pg.stop()
