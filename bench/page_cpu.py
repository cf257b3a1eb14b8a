"""Worker CPU per request of the case page and the hot pages, in-process (issue 20).

The same data, configuration and database role as ``bench/load_bench.py`` (a throwaway PostgreSQL, the production
configuration, the app connected as a role that owns nothing), but each page is requested through Flask's test
client in this process and timed with ``time.process_time``: the CPU one request costs a worker, which the load of
a shared machine distorts far less than requests per second under wrk. Best of ``ROUNDS`` rounds of ``REQUESTS``.
The same measurement of ``bench/hello_app.py`` (hello-world) comes first, and each page is printed with its ratio
to it (hello-world's CPU / the page's CPU: the share of hello-world's req/s the page could reach on CPU alone).

    .venv/bin/python -m bench.page_cpu                 # every page (case_section: a section opened on demand)
    .venv/bin/python -m bench.page_cpu case_page       # one page; PROFILE=1 prints its cProfile (cumulative,
                                                       # wall time; PROFILE=cpu: CPU time)
"""

from __future__ import annotations

import cProfile
import os
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import load_bench

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "40"))
ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", "3"))


def _measure(client: Any, url: str) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code} {response.headers.get('Location')}")
        best = min(best, (time.process_time() - started) / REQUESTS * 1000)
    return best


def hello_world() -> float:
    """Worker CPU per request of hello-world (``bench/hello_app.py``), measured as the pages are."""
    from bench.hello_app import app as hello_app

    client = hello_app.test_client(use_cookies=False)
    _measure(client, "/")  # warm-up
    return _measure(client, "/")


def run(names: list[str]) -> dict[str, float]:
    import crypto
    from tests.pgserver import PostgresServer

    tmp = Path(tempfile.mkdtemp(prefix="dayanisma-cpu-"))
    pg = PostgresServer()
    pg.start()
    redis_port = load_bench._free_port()
    redis = subprocess.Popen([load_bench._need("redis-server"), "--port", str(redis_port), "--save", "",
                              "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        load_bench._wait_port(redis_port)
        owner_url = pg.create_database("load")
        db_url = load_bench._app_role_url(owner_url)
        key_file = tmp / "keys.json"
        crypto.write_key_file(key_file, crypto.generate_key_material())
        secret = secrets.token_urlsafe(48)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        cookie, case_url = load_bench._prepare(db_url, owner_url, key_file, secret, redis_url, 200)
        env = {"DAYANISMA_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": db_url,
               "DAYANISMA_PROXY_HOPS": "0", "DAYANISMA_KEY_FILE": str(key_file), "RATELIMIT_STORAGE_URI": redis_url,
               "DAYANISMA_CASE_READ_LIMIT": load_bench.BENCH_READ_LIMIT}
        os.environ.update(env)
        from wsgi import app

        # case_section: one collapsed section opened on the case page (app.js fetches it; its own audited read).
        section_url = f"{case_url}/sections/legal?fragment=1"
        pages = {"case_page": (cookie, case_url, None), "case_section": (cookie, section_url, None),
                 **load_bench._PAGES}
        results = {"hello_world": hello_world()}
        print(f"{'hello_world':21} {results['hello_world']:6.2f} ms CPU per request", flush=True)
        for name in names:
            page_cookie, path, body = pages[name]
            client = app.test_client(use_cookies=False)  # the session cookie as wrk sends it, on every request
            client.environ_base["HTTP_COOKIE"] = page_cookie
            if body is not None:  # the search: post once, measure its results page (as load_bench does)
                response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
                assert response.status_code == 303, response.status_code
                location = urlsplit(response.headers["Location"])
                path = f"{location.path}?{location.query}"
            _measure(client, path)  # warm-up: data-key cache, compiled templates, connections
            if os.environ.get("PROFILE"):
                # PROFILE=cpu: CPU time (time.process_time), so waits for PostgreSQL and Redis do not count.
                profile = (cProfile.Profile(time.process_time) if os.environ["PROFILE"] == "cpu"
                           else cProfile.Profile())
                profile.enable()
                for _ in range(REQUESTS):
                    client.get(path)
                profile.disable()
                stats = pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
                stats.print_stats(60)
                if callers := os.environ.get("PROFILE_CALLERS"):  # e.g. PROFILE_CALLERS='utils.py:25'
                    stats.print_callers(callers)
            results[name] = _measure(client, path)
            target = ""
            if name in load_bench.HOT_PAGE_TARGETS and "case_page" in results:  # case_page measured first
                multiple, allowed = results[name] / results["case_page"], 1 / load_bench.HOT_PAGE_TARGETS[name][1]
                target = (f", {multiple:.1f}× the case page (target ≤ {allowed:.1f}×: "
                          f"{'met' if multiple <= allowed else 'NOT met'})")
            print(f"{name:21} {results[name]:6.2f} ms CPU per request, {results['hello_world'] / results[name]:6.1%} "
                  f"of hello-world{target}", flush=True)
        return results
    finally:
        redis.terminate()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    run(sys.argv[1:] or ["case_page", "case_section", *load_bench.HOT_PAGES])
