"""Sign-in with password and mandatory TOTP, enrolment, recovery codes, rate limits, audit of sign-in events."""

from __future__ import annotations

import re
import time

import pyotp
import sqlalchemy as sa

from tests.factories import csrf_token, fresh_code, login_as, shown_secret


def _events(app, action: str | None = None):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return [(e.action, e.outcome, e.actor_email) for e in db.session.scalars(stmt)]


def _password_step(client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def test_full_sign_in_reaches_role_home(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    for role in ("counsellor", "coordinator", "supervisor", "auditor", "admin"):
        browser = app.test_client()
        user = make_user(role)
        response = login_as(browser, user)
        assert response.status_code == 200, role
        assert ("auth.login", "success", user.email) in _events(app, "auth.login")


def test_password_alone_is_not_enough(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    response = _password_step(client, user.email, user.password)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # not signed in before the code


def test_unknown_user_and_wrong_password_look_identical(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    unknown = _password_step(client, "nobody@example.org", "whatever password here")
    wrong = _password_step(client, user.email, "wrong password for sure")

    def strip(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert unknown.status_code == wrong.status_code == 422
    assert strip(unknown.get_data(as_text=True)).replace("nobody@example.org", "") == \
        strip(wrong.get_data(as_text=True)).replace(user.email, "")
    assert [e[:2] for e in _events(app, "auth.login")] == [("auth.login", "failure"), ("auth.login", "failure")]


def test_disabled_user_cannot_sign_in(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor", active=False)
    assert _password_step(client, user.email, user.password).status_code == 422


def test_totp_code_is_single_use(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    _password_step(client, user.email, user.password)
    code = fresh_code(app, user)
    assert client.post("/login/code", data={"code": code,
                                            "csrf_token": csrf_token(client, "/login/code")}).status_code == 302
    other = app.test_client()
    _password_step(other, user.email, user.password)
    replay = other.post("/login/code", data={"code": code, "csrf_token": csrf_token(other, "/login/code")})
    assert replay.status_code == 422
    assert ("auth.mfa", "failure", user.email) in _events(app, "auth.mfa")


def test_wrong_code_is_refused(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    _password_step(client, user.email, user.password)
    assert user.totp_secret
    wrong = pyotp.TOTP(user.totp_secret).at(time.time() - 3600)
    r = client.post("/login/code", data={"code": wrong, "csrf_token": csrf_token(client, "/login/code")})
    assert r.status_code == 422
    assert client.get("/").status_code == 302


def test_first_sign_in_enrols_with_qr_and_recovery_codes(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor", enrolled=False)
    assert _password_step(client, user.email, user.password).headers["Location"] == "/login/setup"
    page = client.get("/login/setup")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    secret = shown_secret(page.get_data(as_text=True))
    r = client.post("/login/setup", data={"code": "000000", "csrf_token": csrf_token(client, "/login/setup")})
    assert r.status_code == 422
    r = client.post("/login/setup", data={"code": pyotp.TOTP(secret).now(),
                                          "csrf_token": csrf_token(client, "/login/setup")})
    assert r.status_code == 200
    codes = re.findall(r"\b[A-Z2-9]{4}(?:-[A-Z2-9]{4}){6}\b", r.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert client.get("/").status_code == 200  # signed in after enrolment
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.mfa_enrolled  # type: ignore[union-attr]
        hashes = [rc.code_hash for rc in stored.recovery_codes]  # type: ignore[union-attr]
        assert all(h and h.startswith("$argon2id$") for h in hashes)
        assert all(c.replace("-", "") not in h for c in codes for h in hashes if h)

    # a recovery code signs in once
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for attempt, expected in ((1, 302), (2, 422)):
        _password_step(client, user.email, user.password)
        r = client.post("/login/code", data={"code": codes[0].lower(),
                                             "csrf_token": csrf_token(client, "/login/code")})
        assert r.status_code == expected, attempt
        if expected == 302:
            client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_code_step_without_password_step_goes_back_to_login(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/login/code").headers["Location"] == "/login"
    assert client.get("/login/setup").headers["Location"] == "/login"


def test_next_parameter_is_kept_but_never_offsite(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    for target, expected in (("/account/password", "/account/password"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/")):
        user = make_user("counsellor")  # codes are single-use: one account per attempt
        browser = app.test_client()
        token = csrf_token(browser, "/login")
        browser.post(f"/login?next={target}", data={"email": user.email, "password": user.password,
                                                     "csrf_token": token})
        r = browser.post("/login/code", data={"code": fresh_code(app, user),
                                              "csrf_token": csrf_token(browser, "/login/code")})
        assert r.headers["Location"] == expected, target


def test_rate_limit_per_account_does_not_lock_out_others(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    victim = make_user("counsellor")
    colleague = make_user("counsellor")
    app.config["SIGN_IN_FREE_FAILURES"] = 100  # this test is about the hard limit per account and address
    for _ in range(10):
        assert _password_step(client, victim.email, "not the password at all").status_code == 422
    limited = _password_step(client, victim.email, victim.password)
    assert limited.status_code == 429
    assert "Too many" in limited.get_data(as_text=True) or "Çok fazla" in limited.get_data(as_text=True)
    assert ("auth.rate-limited", "denied", victim.email) in _events(app, "auth.rate-limited")
    # the same browser/IP can still sign in a colleague
    assert _password_step(client, colleague.email, colleague.password).status_code == 302


def test_rate_limit_per_ip(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    for n in range(50):
        assert _password_step(client, f"guess{n}@example.org", "not the password").status_code == 422
    assert _password_step(client, "guess51@example.org", "not the password").status_code == 429
    other_ip = app.test_client()
    user = make_user("counsellor")
    r = other_ip.post("/login", data={"email": user.email, "password": user.password,
                                      "csrf_token": csrf_token(other_ip, "/login")},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert r.status_code == 302


def test_language_choice(client, make_user) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in r.get_data(as_text=True)
    r = client.get("/login", headers={"Accept-Language": "tr-TR"})
    assert 'lang="tr"' in r.get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/login", "csrf_token": csrf_token(client, "/login")})
    r = client.get("/login", headers={"Accept-Language": "tr-TR"})
    assert 'lang="en"' in r.get_data(as_text=True)


def test_turkish_is_the_default_language(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_app

    app = make_app(db_url, tmp_path, BABEL_DEFAULT_LOCALE="tr")
    html = app.test_client().get("/login", environ_base={"HTTP_ACCEPT_LANGUAGE": ""}).get_data(as_text=True)
    assert 'lang="tr"' in html
