"""The app as gunicorn serves it in tests/app/test_key_rotation_gunicorn.py: the test's database and key file
(ROTATION_DB_URL, ROTATION_TMP), a 1 s data-key cache so the test can outlast it; ``gunicorn
tests.app.rotation_wsgi:app``. The test configuration is the suite's (its SECRET_KEY signs the test's cookie)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import make_app

app = make_app(os.environ["ROTATION_DB_URL"], Path(os.environ["ROTATION_TMP"]), DEK_CACHE_TTL=1.0,
               SERVER_NAME=None)
