"""Brute force is slowed without handing anyone a lock on a colleague's account (issue 13): the hard limit counts
per account *and address*; across addresses, wrong passwords make the account wait longer (1 s, 2 s, … ≤ 30 s), never
lock it; an administrator can clear the wait; she is told at sign-in how many wrong passwords were tried."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import csrf_token, fresh_code


def _try(app, email: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    token = csrf_token(browser, "/login")
    return browser, browser.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _let_time_pass(app, user_id: int, seconds: int = 31) -> None:
    from app.db import db
    from app.users.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None and user.last_failed_sign_in_at is not None
        user.last_failed_sign_in_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_guessing_from_elsewhere_does_not_lock_her_out(app, make_user) -> None:  # type: ignore[no-untyped-def]
    """Before: ten wrong passwords from anywhere locked the account for everyone for 15 minutes."""
    victim = make_user("counsellor")
    for _ in range(10):
        _try(app, victim.email, "not her password at all", "203.0.113.66")
    assert _try(app, victim.email, "not her password at all", "203.0.113.66")[1].status_code == 429
    _let_time_pass(app, victim.id)  # the account's own wait is at most 30 s
    assert _try(app, victim.email, victim.password, "10.1.2.3")[1].status_code == 302


def test_wrong_passwords_from_many_addresses_slow_the_account_down(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    victim = make_user("counsellor")
    for n in range(5):  # the first few are free
        assert _try(app, victim.email, "not her password at all", f"198.51.100.{n}")[1].status_code == 422
    # the next attempt, even with the right password, waits (and the password is not even checked)
    browser, r = _try(app, victim.email, victim.password, "198.51.100.200")
    assert r.status_code == 429 and "Wait" in r.get_data(as_text=True)
    with app.app_context():
        delayed = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.rate-limited")).all()
        assert [(e.actor_email, e.outcome) for e in delayed] == [(victim.email, "denied")]
    _let_time_pass(app, victim.id)
    browser, r = _try(app, victim.email, victim.password, "198.51.100.200")
    assert r.status_code == 302
    token = csrf_token(browser, "/login/code")
    r = browser.post("/login/code", data={"code": fresh_code(app, victim), "csrf_token": token})
    html = browser.get(r.headers["Location"]).get_data(as_text=True)
    assert "Wrong passwords were tried on your account since your last sign-in: 5" in html


def test_an_administrator_clears_the_wait(app, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    victim = make_user("counsellor")
    admin = make_user("admin")
    for n in range(8):
        assert _try(app, victim.email, "not her password at all", f"198.51.100.{n}")[1].status_code == 422
        if n >= 4:
            _let_time_pass(app, victim.id)
    _let_time_pass(app, victim.id, -31)  # the last one was just now
    assert _try(app, victim.email, victim.password, "10.1.2.3")[1].status_code == 429
    admin_client = app.test_client()
    login_as(admin_client, admin)
    page = f"/admin/users/{victim.public_id}"
    assert "Wrong passwords since her last sign-in: 8" in admin_client.get(page).get_data(as_text=True)
    r = admin_client.post(page + "/unlock-sign-in", data={"csrf_token": csrf_token(admin_client, page)})
    assert r.status_code == 302
    assert _try(app, victim.email, victim.password, "10.1.2.3")[1].status_code == 302
