"""The full stack of deploy/, started for real: see stack.py."""

from tests.e2e.conftest import browser  # noqa: F401 (the session's Chromium, shared with tests/e2e)
