"""The full stack of deploy/, started for real: see stack.py. Chromium comes from tests/conftest.py (``browser``)."""
