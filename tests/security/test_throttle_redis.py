"""The read and search budgets counted on a real Redis (issue 20, fourth pass): one round trip for a plain read.

``app/throttle.py`` counts a whole budget in one Lua call on Redis (``_SPEND_LUA``) instead of one hit per counter;
the thresholds must behave exactly as the step-by-step counting that ``memory://`` storage still gets
(``tests/security/test_anti_automation.py``): refused past the hard limit with ``Retry-After``, flagged once past the
burst of different files, a file read again not a new one. The counters are limits' own keys, so limits' window
statistics (the ``Retry-After``) read them.

Note (as in ``test_rate_limit_storage.py``): Flask-Limiter's ``limiter`` is one module-level object; ``init_app``
points it at the newest app's storage, so each test builds its Redis app last and the next test's app points it back.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bench.load_bench import _free_port, _wait_port
from tests.conftest import CI, make_app
from tests.deploy.stack import tool


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = tool("redis-server")
    if binary is None:
        if CI:  # nothing is skipped under CI=true: `make test` installs redis-server (make stack-tools)
            pytest.fail("redis-server is required when CI=true (make test installs it)")
        pytest.skip("redis-server is not installed (make stack-tools)")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path_factory.mktemp("redis"))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_app(app, db_url: str, tmp_path: Path, redis_url: str):  # type: ignore[no-untyped-def]
    """An app like ``app`` (same database, keys and secret) counting in Redis, emptied first."""
    application = make_app(db_url, tmp_path, RATELIMIT_STORAGE_URI=redis_url)
    from app.extensions import limiter

    limiter.limiter.storage.get_connection().flushdb()
    yield application
    with application.app_context():
        from app.db import db

        db.session.remove()
        db.engine.dispose()


def _events(app, action: str) -> list:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(e.actor_email, e.outcome, e.is_highlighted) for e in rows]


def _commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command the limiter's Redis client sends from now on (a Lua call is one)."""
    from app.extensions import limiter

    client = limiter.limiter.storage.get_connection()
    sent: list[str] = []
    original = client.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return original(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    return sent


def test_a_plain_read_is_one_round_trip(redis_app, make_user, make_case, login_as,  # type: ignore[no-untyped-def]
                                        monkeypatch) -> None:
    reader = make_user("counsellor")
    cases = [make_case(reader) for _ in range(2)]
    browser = redis_app.test_client()
    login_as(browser, reader)
    assert browser.get(f"/cases/{cases[0].public_id}").status_code == 200  # loads the script
    sent = _commands(monkeypatch)
    assert browser.get(f"/cases/{cases[0].public_id}").status_code == 200  # the same file again
    assert browser.get(f"/cases/{cases[1].public_id}").status_code == 200  # a new file: the burst counted too
    assert sent == ["EVALSHA", "EVALSHA"]
    from limits import parse_many

    from app.extensions import limiter

    # limits' own keys: its window statistics see the three reads (and so give a refusal its Retry-After)
    hour, day = parse_many(redis_app.config["CASE_READ_LIMIT"])
    with redis_app.app_context():
        assert limiter.limiter.get_window_stats(hour, "case-read", str(reader.id)).remaining == hour.amount - 3
        assert limiter.limiter.get_window_stats(day, "case-read", str(reader.id)).remaining == day.amount - 3
        burst = parse_many(redis_app.config["CASE_READ_FLAG"])[0]
        assert limiter.limiter.get_window_stats(burst, "case-read-burst", str(reader.id)).remaining == \
            burst.amount - 2


def test_reading_past_the_limit_is_refused_and_flagged_once(redis_app, make_user, make_case,  # type: ignore[no-untyped-def]
                                                             login_as) -> None:
    redis_app.config.update(CASE_READ_LIMIT="5 per hour;6 per day", CASE_READ_FLAG="1000 per hour")
    reader = make_user("counsellor")
    colleague = make_user("counsellor")
    case = make_case(reader)
    other = make_case(colleague)
    browser = redis_app.test_client()
    login_as(browser, reader)
    statuses = [browser.get(f"/cases/{case.public_id}").status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    r = browser.get(f"/cases/{case.public_id}")
    assert r.status_code == 429 and 3000 < int(r.headers["Retry-After"]) <= 3600  # the hour's window, not the day's
    assert case.number not in r.get_data(as_text=True)
    assert _events(redis_app, "automation.case-read-limit") == [(reader.email, "denied", True)]
    from limits import parse_many

    from app.extensions import limiter

    hour, day = parse_many(redis_app.config["CASE_READ_LIMIT"])
    with redis_app.app_context():  # stopped at the first limit passed, as one hit at a time would: 5 of 6 a day
        assert limiter.limiter.get_window_stats(day, "case-read", str(reader.id)).remaining == 1
    neighbour = redis_app.test_client()  # the budget is hers alone
    login_as(neighbour, colleague)
    assert neighbour.get(f"/cases/{other.public_id}").status_code == 200


def test_different_files_flag_her_once_and_one_file_again_does_not(redis_app, make_user, make_case,  # type: ignore[no-untyped-def]
                                                                    login_as) -> None:
    redis_app.config.update(CASE_READ_LIMIT="1000 per hour", CASE_READ_FLAG="3 per hour")
    reader = make_user("counsellor")
    cases = [make_case(reader) for _ in range(6)]
    browser = redis_app.test_client()
    login_as(browser, reader)
    for _ in range(6):  # one file again and again: one file, no flag
        assert browser.get(f"/cases/{cases[0].public_id}").status_code == 200
    for case in cases[1:3]:
        assert browser.get(f"/cases/{case.public_id}").status_code == 200
    assert _events(redis_app, "automation.case-read-burst") == []
    for case in cases[3:]:  # the fourth, fifth and sixth different file: flagged once, never refused
        assert browser.get(f"/cases/{case.public_id}").status_code == 200
    assert _events(redis_app, "automation.case-read-burst") == [(reader.email, "success", True)]


def test_searches_are_flagged_then_slowed_on_redis(redis_app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import csrf_token

    redis_app.config.update(CASE_SEARCH_LIMIT="3 per hour", CASE_SEARCH_FLAG="2 per hour")
    reader = make_user("counsellor")
    make_case(reader)
    browser = redis_app.test_client()
    login_as(browser, reader)
    token = csrf_token(browser, "/cases/")
    statuses = [browser.post("/cases/search", data={"q": f"Ayşe {n}", "csrf_token": token},
                             follow_redirects=True).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _events(redis_app, "automation.case-search-burst") == [(reader.email, "success", True)]
    assert _events(redis_app, "automation.case-search-limit") == [(reader.email, "denied", True)]
