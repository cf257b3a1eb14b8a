"""Second factors and account hygiene to the standard (issue 13 §3, OWASP ASVS 5.0): the production session cookie,
HSTS, COOP and argon2id parameters; demo accounts refused where demo data is not allowed; the password policy's
context words; a password change that changes nothing refused; the TOTP skew allowed; logs without values."""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

import crypto
from tests.conftest import make_app
from tests.factories import csrf_token, login_as


def _production_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    from app import create_app

    keyfile = tmp_path / "keys.json"
    crypto.write_key_file(keyfile, crypto.generate_key_material())
    return create_app("production", SECRET_KEY=secrets.token_urlsafe(48), KEY_FILE=str(keyfile),
                      RATELIMIT_STORAGE_URI="redis://127.0.0.1:6399", PROXY_HOPS=0,
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}", SERVER_NAME="localhost")


def test_production_cookie_headers_and_password_hashing(tmp_path: Path) -> None:
    from app.auth import passwords

    app = _production_app(tmp_path)
    app.config["RATELIMIT_ENABLED"] = False  # no Redis here; the limiter is not what this test is about
    client = app.test_client()
    r = client.get("/login", base_url="https://localhost")
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if "session=" in c)
    assert cookie.startswith("__Host-dayanisma_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie and "HttpOnly" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    with app.app_context():
        stored = passwords.hash_password("correct horse battery staple İğ")
    # argon2id with RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes): above OWASP's minimum
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_demo_accounts_are_refused_where_demo_data_is_not_allowed(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    user = make_user("supervisor")
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored is not None
        stored.is_demo = True
        db.session.commit()
    app.config["DEMO_ALLOWED"] = False  # as in production
    r = client.post("/login", data={"email": user.email, "password": user.password,
                                    "csrf_token": csrf_token(client, "/login")})
    assert r.status_code == 422
    app.config["DEMO_ALLOWED"] = True  # development: the published demo accounts work
    r = client.post("/login", data={"email": user.email, "password": user.password,
                                    "csrf_token": csrf_token(client, "/login")})
    assert r.status_code == 302


def _change(client, current: str, new: str):  # type: ignore[no-untyped-def]
    return client.post("/account/password", data={"current_password": current, "new_password": new,
                                                  "confirm_password": new,
                                                  "csrf_token": csrf_token(client, "/account/password")})


def test_password_change_refuses_the_current_password(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")
    login_as(client, user)
    r = _change(client, user.password, user.password)
    assert r.status_code == 422 and "not the one you have now" in r.get_data(as_text=True)
    assert client.get("/").status_code == 200  # nothing changed, still signed in


@pytest.mark.parametrize("new", ["Dayanışma2026!!", "DAYANISMA dayanışma 1", "Şişli Kadın 2026!"])
def test_password_policy_refuses_the_names_of_the_app_and_the_centre(client, make_user, new) -> None:  # type: ignore[no-untyped-def]
    user = make_user("counsellor")  # her centre is "Şişli Kadın Dayanışma Merkezi N"
    login_as(client, user)
    r = _change(client, user.password, new)
    assert r.status_code == 422 and "name of the app, the centre" in r.get_data(as_text=True)


def test_totp_skew_is_one_step_either_way_and_each_step_once(app, make_user) -> None:  # type: ignore[no-untyped-def]
    """The skew allowed, stated: the current 30-second step ±1 (phone clocks drift), each step accepted once."""
    from app.auth import mfa
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor")
    assert user.totp_secret
    totp, now = pyotp.TOTP(user.totp_secret), time.time()
    with app.app_context():
        me = db.session.get(User, user.id)
        assert me is not None
        assert not mfa.verify_totp(me, totp.at(now - 60), at=now)  # two steps old: refused
        assert not mfa.verify_totp(me, totp.at(now + 60), at=now)  # two steps ahead: refused
        assert mfa.verify_totp(me, totp.at(now - 30), at=now)      # one step old: accepted
        assert not mfa.verify_totp(me, totp.at(now - 30), at=now)  # …once
        assert mfa.verify_totp(me, totp.at(now + 30), at=now)      # one step ahead: accepted
        assert not mfa.verify_totp(me, totp.at(now), at=now)       # an earlier step after a later one: refused


def test_an_uncaught_exception_logs_its_type_and_place_not_its_message(db_url, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    from app import access

    @app.get("/boom")
    @access.public
    def boom():  # type: ignore[no-untyped-def]
        try:
            raise KeyError("Ayşe Yılmaz 12345678950 inner-marker")
        except KeyError as exc:
            raise ValueError("decrypted value outer-marker") from exc

    caplog.set_level(logging.DEBUG)
    assert app.test_client().get("/boom").status_code == 500
    text = caplog.text
    assert "ValueError" in text and "test_auth_hardening.py" in text and "boom" in text
    assert "marker" not in text and "12345678950" not in text and "Ayşe" not in text


def test_recovery_codes_carry_120_bits_and_are_stored_like_passwords(app, make_user) -> None:  # type: ignore[no-untyped-def]
    """Before: 80 bits, unsalted SHA-256 (a leaked table is brute-forced offline). Codes issued then still work."""
    import hashlib
    import math

    from app.auth import mfa
    from app.db import db
    from app.users.models import RecoveryCode, User

    user = make_user("counsellor")
    with app.app_context():
        me = db.session.get(User, user.id)
        assert me is not None
        codes = mfa.new_recovery_codes(me)
        db.session.commit()
        secret_chars = len(codes[0].replace("-", "")) - mfa.SELECTOR_LENGTH
        assert secret_chars * math.log2(len(set(mfa._RECOVERY_ALPHABET))) >= 112
        stored = db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored) == 10 and all(rc.code_hash and rc.code_hash.startswith("$argon2id$") for rc in stored)
        assert all(rc.legacy_sha256 is None for rc in stored)
        assert not mfa.use_recovery_code(me, codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B"))
        assert mfa.use_recovery_code(me, codes[0].lower()) and not mfa.use_recovery_code(me, codes[0])
        # a code issued before (80 bits, SHA-256) works once more, and only once
        me.recovery_codes.append(RecoveryCode(legacy_sha256=hashlib.sha256(b"ABCDEFGHJKLMNPQR").digest()))
        db.session.commit()
        assert mfa.use_recovery_code(me, "abcd-efgh-jklm-npqr") and not mfa.use_recovery_code(me, "ABCDEFGHJKLMNPQR")
        db.session.commit()
