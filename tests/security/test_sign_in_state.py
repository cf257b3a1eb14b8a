"""The half-finished sign-in lives server-side (DESIGN.md §3.9): ``SECRET_KEY`` alone opens nothing, a sign-in in
progress is used once, is bound to the step reached and lapses; a GET of the enrolment page writes nothing; one
code is accepted once even by two requests at the same instant (PostgreSQL, real row locks)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.factories import csrf_token, fresh_code, shown_secret

COOKIE = "dayanisma_session"


def _password_step(client, user):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": user.email, "password": user.password,
                                       "csrf_token": csrf_token(client, "/login")})


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/").status_code == 200


def _cookie_payload(app, client) -> dict:  # type: ignore[no-untyped-def]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(client.get_cookie(COOKIE).value))


@pytest.mark.parametrize("enrolled", [False, True])
def test_a_forged_pending_cookie_opens_nothing(app, client, make_user, enrolled) -> None:  # type: ignore[no-untyped-def]
    """Whoever holds SECRET_KEY can sign any cookie; before, that reached /login/setup (or /login/code) with no
    password and enrolled her own authenticator on a supervisor's account."""
    user = make_user("supervisor", enrolled=enrolled)
    token = csrf_token(client, "/login")
    forgeries = [{"uid": str(user.public_id), "at": time.time(), "next": None}, "made-up-token", str(user.public_id)]
    for forged in forgeries:
        with client.session_transaction() as sess:  # signs with the app's SECRET_KEY, as a forger would
            sess["pending_login"] = forged
        assert client.get("/login/setup").headers.get("Location") == "/login", forged
        assert client.get("/login/code").headers.get("Location") == "/login", forged
        code = fresh_code(app, user) if enrolled else "123456"
        r = client.post("/login/code" if enrolled else "/login/setup", data={"code": code, "csrf_token": token})
        assert r.status_code == 302 and r.headers["Location"] == "/login", forged
        assert not _signed_in(client)


def test_the_cookie_carries_a_random_token_not_the_account(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    _password_step(client, user)
    payload = _cookie_payload(app, client)
    pending = payload["pending_login"]
    assert isinstance(pending, str) and len(pending) >= 40
    assert str(user.public_id) not in repr(payload) and user.email not in repr(payload)


def test_a_pending_sign_in_is_used_once(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    _password_step(client, user)
    copied = client.get_cookie(COOKIE).value
    token = csrf_token(client, "/login/code")
    assert client.post("/login/code", data={"code": fresh_code(app, user), "csrf_token": token}).status_code == 302
    assert _signed_in(client)
    other = app.test_client()
    other.set_cookie(COOKIE, copied, domain="localhost")
    assert other.get("/login/code").headers.get("Location") == "/login"


def test_a_pending_sign_in_lapses(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import PendingLogin

    user = make_user("counsellor")
    _password_step(client, user)
    assert client.get("/login/code").status_code == 200
    with app.app_context():
        for row in db.session.scalars(sa.select(PendingLogin)):
            row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    assert client.get("/login/code").headers.get("Location") == "/login"


def test_a_pending_sign_in_is_bound_to_its_step(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    enrolled = make_user("counsellor")
    _password_step(client, enrolled)
    token = csrf_token(client, "/login/code")
    # past the password of an enrolled account, the enrolment step (which would install a new authenticator) is shut
    r = client.post("/login/setup", data={"code": "123456", "csrf_token": token})
    assert r.headers["Location"] == "/login/code"


def test_get_setup_writes_nothing_and_each_attempt_gets_a_fresh_secret(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor", enrolled=False)
    first, second = app.test_client(), app.test_client()
    _password_step(first, user)
    shown = {shown_secret(first.get("/login/setup").get_data(as_text=True)) for _ in range(2)}
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None and stored.totp_secret_enc is None and stored.mfa_enrolled_at is None
    assert len(shown) == 1  # the same attempt shows the same key
    _password_step(second, user)
    other = shown_secret(second.get("/login/setup").get_data(as_text=True))
    assert other not in shown  # a new attempt, a new key
    # the key shown to the first attempt is no good to the second
    token = csrf_token(second, "/login/setup")
    r = second.post("/login/setup", data={"code": pyotp.TOTP(shown.pop()).now(), "csrf_token": token})
    assert r.status_code == 422 and not _signed_in(second)
    r = second.post("/login/setup", data={"code": pyotp.TOTP(other).now(), "csrf_token": token})
    assert r.status_code == 200 and _signed_in(second)


def _race(app, attempt) -> list[bool]:  # type: ignore[no-untyped-def]
    """Run ``attempt(barrier)`` in two threads, each with its own app context and database connection."""
    barrier = threading.Barrier(2, timeout=10)
    results: list[bool] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                results.append(attempt(barrier))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return sorted(results)


def test_one_totp_code_is_accepted_once_by_two_concurrent_requests(app, backend, make_user) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises whole transactions)")
    from app.auth import mfa
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor")
    assert user.totp_secret
    code = pyotp.TOTP(user.totp_secret).now()

    def attempt(barrier: threading.Barrier) -> bool:
        me = db.session.get(User, user.id)
        assert me is not None and me.last_totp_step is None  # both requests have read the account
        barrier.wait()
        ok = mfa.verify_totp(me, code)
        time.sleep(0.2)  # the rest of the request (audit, session) before its commit
        db.session.commit()
        return ok

    assert _race(app, attempt) == [False, True]


def test_one_recovery_code_is_accepted_once_by_two_concurrent_requests(app, backend, make_user) -> None:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises whole transactions)")
    from app.auth import mfa
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor")
    with app.app_context():
        me = db.session.get(User, user.id)
        assert me is not None
        code = mfa.new_recovery_codes(me)[0]
        db.session.commit()

    def attempt(barrier: threading.Barrier) -> bool:
        me = db.session.get(User, user.id)
        assert me is not None and mfa.remaining_recovery_codes(me) == 10
        barrier.wait()
        ok = mfa.use_recovery_code(me, code)
        time.sleep(0.2)
        db.session.commit()
        return ok

    assert _race(app, attempt) == [False, True]
    with app.app_context():
        me = db.session.get(User, user.id)
        assert me is not None and mfa.remaining_recovery_codes(me) == 9
