"""Sessions die when they should (DESIGN.md §3.7): the old cookie stops working server-side."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import csrf_token, login_as


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    return client.get_cookie("dayanisma_session").value


def _replay(app, cookie: str):  # type: ignore[no-untyped-def]
    """A different browser presenting a copied cookie."""
    other = app.test_client()
    other.set_cookie("dayanisma_session", cookie, domain="localhost")
    return other.get("/")


def test_copied_cookie_replayed_after_logout_gets_login_page(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    login_as(client, user)
    stolen = _cookie(client)
    assert _replay(app, stolen).status_code == 200  # the copy works while the session lives
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert "cookies" in response.headers["Clear-Site-Data"] and "cache" in response.headers["Clear-Site-Data"]
    replay = _replay(app, stolen)
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")


def test_new_session_on_sign_in(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    client.get("/login")
    before = _cookie(client)
    login_as(client, user)
    after = _cookie(client)
    assert before != after
    assert _replay(app, before).status_code == 302


def _age_session(app, user_id: int, **delta) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import UserSession

    with app.app_context():
        for s in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user_id)):
            if "idle" in delta:
                s.last_seen_at = s.last_seen_at - delta["idle"]
            if "age" in delta:
                s.created_at = s.created_at - delta["age"]
                s.last_seen_at = s.last_seen_at - timedelta(minutes=1)
        db.session.commit()


def test_idle_timeout(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("supervisor")
    login_as(client, user)
    _age_session(app, user.id, idle=timedelta(minutes=14))
    assert client.get("/").status_code == 200  # 14 minutes idle: still alive, and touched
    _age_session(app, user.id, idle=timedelta(minutes=16))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_absolute_timeout(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("supervisor")
    login_as(client, user)
    _age_session(app, user.id, age=timedelta(hours=7, minutes=50))
    assert client.get("/").status_code == 200
    _age_session(app, user.id, age=timedelta(minutes=11))
    assert client.get("/").status_code == 302


def test_password_change_ends_every_session(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    other_browser = app.test_client()
    login_as(other_browser, user)
    login_as(client, user)
    new_password = "yeni parola çok uzun ve güvenli İĞ"
    response = client.post("/account/password", data={
        "current_password": user.password, "new_password": new_password, "confirm_password": new_password,
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert other_browser.get("/").status_code == 302
    assert client.get("/").status_code == 302
    # the new password works, the old one does not
    r = client.post("/login", data={"email": user.email, "password": user.password,
                                    "csrf_token": csrf_token(client, "/login")})
    assert r.status_code == 422
    r = client.post("/login", data={"email": user.email, "password": new_password,
                                    "csrf_token": csrf_token(client, "/login")})
    assert r.status_code == 302


def test_disabled_account_session_ends(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor")
    login_as(client, user)
    with app.app_context():
        db.session.get(User, user.id).is_active = False  # type: ignore[union-attr]
        db.session.commit()
    assert client.get("/").status_code == 302
