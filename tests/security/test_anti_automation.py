"""Anti-automation beyond sign-in (issue 13 §3): an insider who scripts through case pages or the search is slowed
(429 past a per-user limit no honest day reaches) and flagged once a window (a highlighted audit event for the
auditors, an in-app alert for the supervisors of her centre). Before: nothing counted; a script read every file."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import csrf_token


def _events(app, action: str) -> list:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(e.actor_email, e.outcome, e.is_highlighted) for e in rows]


def _alerts(app, user_id: int) -> list:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.alerts.models import Alert

    with app.app_context():
        return [(a.kind, a.actor_id) for a in db.session.scalars(sa.select(Alert).where(Alert.user_id == user_id))]


def test_reading_case_pages_past_the_limit_is_slowed(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    app.config.update(CASE_READ_LIMIT="5 per hour", CASE_READ_FLAG="1000 per hour")
    reader = make_user("counsellor")
    colleague = make_user("counsellor")
    supervisor = make_user("supervisor")
    case = make_case(reader)
    other = make_case(colleague)
    browser = app.test_client()
    login_as(browser, reader)
    for _ in range(5):
        assert browser.get(f"/cases/{case.public_id}").status_code == 200
    for _ in range(3):  # a script keeps going: refused every time, flagged once
        r = browser.get(f"/cases/{case.public_id}")
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert "Too many case files in a short time" in r.get_data(as_text=True)
        assert case.number not in r.get_data(as_text=True)
    assert _events(app, "automation.case-read-limit") == [(reader.email, "denied", True)]
    assert _alerts(app, supervisor.id) == [("unusual-reading", reader.id)]
    # unknown ids count too (walking ids is the script's first move), and the budget is hers alone
    assert browser.get("/cases/00000000-0000-4000-8000-000000000000").status_code == 429
    neighbour = app.test_client()
    login_as(neighbour, colleague)
    assert neighbour.get(f"/cases/{other.public_id}").status_code == 200


def test_many_different_files_in_an_hour_flag_her(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    app.config.update(CASE_READ_LIMIT="1000 per hour", CASE_READ_FLAG="3 per hour")
    reader = make_user("counsellor")
    supervisor = make_user("supervisor")
    cases = [make_case(reader) for _ in range(5)]
    browser = app.test_client()
    login_as(browser, reader)
    for _ in range(6):  # one file again and again (she saves notes on it): one file, no flag
        assert browser.get(f"/cases/{cases[0].public_id}").status_code == 200
    for case in cases[1:3]:
        assert browser.get(f"/cases/{case.public_id}").status_code == 200
    assert _events(app, "automation.case-read-burst") == []
    for case in cases[3:]:  # the fourth and fifth different file within the hour
        assert browser.get(f"/cases/{case.public_id}").status_code == 200  # not refused: flagged
    assert _events(app, "automation.case-read-burst") == [(reader.email, "success", True)]
    assert _alerts(app, supervisor.id) == [("unusual-reading", reader.id)]
    assert _alerts(app, reader.id) == []
    boss = app.test_client()
    login_as(boss, supervisor)
    page = boss.get("/cases/alerts").get_data(as_text=True)
    with app.app_context():
        from app.db import db
        from app.users.models import User

        name = db.session.get(User, reader.id).name  # type: ignore[union-attr]
    assert "A colleague opened or searched many case files in a short time" in page and name in page


def test_searches_are_flagged_then_slowed(app, make_user, make_case, login_as) -> None:  # type: ignore[no-untyped-def]
    app.config.update(CASE_SEARCH_LIMIT="3 per hour", CASE_SEARCH_FLAG="2 per hour")
    reader = make_user("counsellor")
    supervisor = make_user("supervisor")
    make_case(reader)
    browser = app.test_client()
    login_as(browser, reader)
    token = csrf_token(browser, "/cases/")
    statuses = [browser.post("/cases/search", data={"q": f"Ayşe {n}", "csrf_token": token},
                             follow_redirects=True).status_code  # post, then the results page (issue 16)
                for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _events(app, "automation.case-search-burst") == [(reader.email, "success", True)]
    assert _events(app, "automation.case-search-limit") == [(reader.email, "denied", True)]
    assert _alerts(app, supervisor.id) == [("unusual-reading", reader.id)]  # one unread alert, refreshed
    assert len(_events(app, "case.search")) == 3  # refused searches searched nothing


def test_honest_defaults_and_malformed_rates_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from app import create_app
    from config import ConfigError

    with pytest.raises(ConfigError, match="CASE_READ_LIMIT"):
        create_app("test", CASE_READ_LIMIT="lots", KEY_FILE=str(tmp_path / "keys.json"))
    app = create_app("test", KEY_FILE=str(tmp_path / "keys.json"))
    assert app.config["CASE_READ_LIMIT"] == "300 per hour;1500 per day"
    assert app.config["CASE_READ_FLAG"] == "100 per hour"


def _as(app, user):  # type: ignore[no-untyped-def]
    """Count as ``user`` the way the views do (``throttle.spend`` in her request), without the pages around it."""
    from flask_login import login_user

    from app.db import db
    from app.users.models import User

    def spend(budget, item=None) -> int:  # type: ignore[no-untyped-def]
        from werkzeug.exceptions import HTTPException

        from app import throttle

        with app.test_request_context("/cases/"):
            login_user(db.session.get(User, user.id))
            try:
                throttle.spend(budget, item=item)
            except HTTPException as exc:  # abort(response): the refusal the user would get
                return exc.get_response().status_code
            finally:
                db.session.rollback()
        return 200

    return spend


def test_default_numbers_leave_a_busy_hour_alone_and_stop_a_scraper(app, make_user) -> None:  # type: ignore[no-untyped-def]
    """The defaults (README, "Why these numbers"): the busiest honest hour stays well below both the flag and the
    limit; a script that reads one file after another is flagged after 100 different files and stopped at 300 reads,
    whatever its pace within the hour."""
    from app import throttle

    busy, scraper = make_user("counsellor"), make_user("counsellor")
    assert app.config["CASE_READ_LIMIT"] == "300 per hour;1500 per day"  # the numbers under test are the defaults
    assert app.config["CASE_READ_FLAG"] == "100 per hour" and app.config["CASE_SEARCH_FLAG"] == "40 per hour"

    # The busiest honest hour we could construct: 40 different files (a supervisor's review round, or a counsellor
    # catching up after leave), each opened 6 times (page, form, save, back, plan, risk) = 240 reads, 30 searches.
    spend = _as(app, busy)
    codes = [spend(throttle.CASE_READS, f"case-{i}") for i in range(40) for _ in range(6)]
    codes += [spend(throttle.CASE_SEARCHES) for _ in range(30)]
    assert set(codes) == {200}
    assert not [e for e in _flagged(app) if e[0] == busy.email]

    # A scraper: one new file per request. Flagged at the 101st different file, still served until the 300th read.
    spend = _as(app, scraper)
    codes = [spend(throttle.CASE_READS, f"file-{i}") for i in range(300)]
    assert set(codes) == {200}
    assert [e for e in _flagged(app) if e[0] == scraper.email] == [(scraper.email, "automation.case-read-burst")]
    assert spend(throttle.CASE_READS, "file-300") == 429  # the 301st read of the hour
    assert spend(throttle.CASE_READS, "file-0") == 429  # rereading does not help
    assert [e[1] for e in _flagged(app) if e[0] == scraper.email] == ["automation.case-read-burst",
                                                                        "automation.case-read-limit"]
    # … and searching instead is counted apart: flagged past 40, refused past 120 an hour
    codes = [spend(throttle.CASE_SEARCHES) for _ in range(121)]
    assert codes[:120] == [200] * 120 and codes[120] == 429
    assert "automation.case-search-burst" in [e[1] for e in _flagged(app) if e[0] == scraper.email]


def _flagged(app) -> list[tuple[str | None, str]]:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.actor_email, AuditEvent.action)
                                  .where(AuditEvent.action.like("automation.%")).order_by(AuditEvent.seq)).all()
        db.session.rollback()
    return [(r[0], r[1]) for r in rows]
