"""Security headers on every response, cookie flags, CSRF on every POST, error pages that leak nothing."""

from __future__ import annotations

from app.security_headers import CSP
from tests.conftest import make_app


def _assert_headers(response) -> None:  # type: ignore[no-untyped-def]
    h = response.headers
    assert h["Content-Security-Policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"  # over https, strict CSRF needs the same-origin Referer
    assert h["X-Frame-Options"] == "DENY"


def test_headers_on_public_pages_and_errors(client) -> None:  # type: ignore[no-untyped-def]
    for url, status in [("/login", 200), ("/healthz", 200), ("/no-such-page", 404),
                        ("/static/css/app.css", 200)]:
        response = client.get(url)
        assert response.status_code == status, url
        _assert_headers(response)
        if url != "/static/css/app.css":
            assert "no-store" in response.headers["Cache-Control"], url


def test_signed_in_pages_are_not_cached(client, make_user, login_as, page) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    login_as(client, user)
    response = page(client, "/")
    assert "no-store" in response.headers["Cache-Control"]
    _assert_headers(response)


def test_session_cookie_flags(client) -> None:  # type: ignore[no-untyped-def]
    cookies = client.get("/login").headers.getlist("Set-Cookie")  # the CSRF token lives in the session
    session_cookies = [c for c in cookies if c.startswith("dayanisma_session=")]
    assert session_cookies, cookies
    for cookie in session_cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    login_as(client, user)
    response = client.post("/logout")
    assert response.status_code == 400
    # still signed in: the forged logout did nothing
    assert client.get("/").status_code == 200


def test_healthz_shows_no_data(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok"}


def test_error_page_leaks_nothing(db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    from app import access

    @app.get("/boom")
    @access.public
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("Ayşe Yılmaz 12345678950 secret-marker")

    response = app.test_client().get("/boom?tckn=12345678950")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret-marker" not in body and "12345678950" not in body and "Traceback" not in body
    _assert_headers(response)
