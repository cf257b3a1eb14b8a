"""Real-browser fixtures: the app served by a real HTTP server in a thread, driven by Debian's Chromium through
Playwright (its own browser download does not work here; DESIGN.md §6). The ``browser`` fixture lives in
tests/conftest.py: one Chromium per test process, shared with tests/deploy (two Playwright instances in one process
fail)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server


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


def open_section(page, anchor: str) -> None:  # type: ignore[no-untyped-def]
    """Open a collapsed section of the case page (issue 20: read on demand) and wait until app.js has fetched it."""
    page.locator(f"details#{anchor} > summary").click()
    section_loaded(page, anchor)


def section_loaded(page, anchor: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for a section app.js opens by itself (the address's #anchor names it) to be fetched."""
    # The anchor moves to the section's own card when it has one; otherwise the <details> keeps it.
    page.locator(f"details#{anchor}[data-state=loaded], details[data-state=loaded] #{anchor}").first.wait_for()
