"""Real-browser fixtures: the app served by a real HTTP server in a thread, driven by Debian's Chromium through
Playwright (its own browser download does not work here; DESIGN.md §6)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import CI

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def _chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        if CI:
            raise RuntimeError("Chromium and Playwright are required when CI=true (make test installs them)")
        pytest.skip("Chromium not installed (make chromium)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    app.config.update(SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(locale="en-GB")
    yield ctx
    ctx.close()


def sign_in(page, live_server: str, app: Flask, user) -> None:  # type: ignore[no-untyped-def]
    """The real sign-in in the browser: password, then a fresh one-time code; ends on the dashboard."""
    import re

    from tests.factories import fresh_code

    page.goto(f"{live_server}/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(user.password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/login/code$"))
    page.locator("input[name=code]").fill(fresh_code(app, user))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(f"{live_server}/")
