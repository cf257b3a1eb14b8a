"""Test data builders and request helpers. Builders return plain snapshots (ids, emails, secrets), not ORM objects,
so nothing is shared between a test's own session and the requests it makes."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

DEFAULT_PASSWORD = "correct horse battery staple İğ"
_counter = iter(range(1, 10**9))


@dataclass(frozen=True)
class CentreInfo:
    id: int
    public_id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True)
class UserInfo:
    id: int
    public_id: uuid.UUID
    email: str
    password: str
    role: str
    centre_id: int
    totp_secret: str | None


def make_centre(app: Flask, code: str | None = None, name: str | None = None) -> CentreInfo:
    from app.db import db
    from app.users.models import Centre

    n = next(_counter)
    with app.app_context():
        centre = Centre(code=code or f"C{n:03d}", name=name or f"Şişli Kadın Dayanışma Merkezi {n}")
        db.session.add(centre)
        db.session.commit()
        return CentreInfo(centre.id, centre.public_id, centre.code, centre.name)


def make_user(
    app: Flask,
    role: str = "counsellor",
    *,
    centre: CentreInfo,
    email: str | None = None,
    name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    enrolled: bool = True,
    active: bool = True,
) -> UserInfo:
    from app.auth import mfa, passwords
    from app.db import db, utcnow
    from app.users.models import Role, User

    n = next(_counter)
    with app.app_context():
        user = User(
            email=email or f"{role}{n}@example.org",
            name=name or f"Ayşe Işık {n}",
            role=Role(role),
            centre_id=centre.id,
            password_hash=passwords.hash_password(password),
            is_active=active,
        )
        db.session.add(user)
        db.session.flush()
        secret = None
        if enrolled:
            secret = mfa.new_secret()
            mfa.set_secret(user, secret)
            user.mfa_enrolled_at = utcnow()
        db.session.commit()
        return UserInfo(user.id, user.public_id, user.email, password, role, centre.id, secret)


def fresh_code(app: Flask, user: UserInfo) -> str:
    """A TOTP code the server has not seen yet (codes are single-use per 30 s step)."""
    from app.db import db
    from app.users.models import User

    assert user.totp_secret
    with app.app_context():
        last = db.session.get(User, user.id).last_totp_step  # type: ignore[union-attr]
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(time.time()) // 30
    step = now_step if last is None or last < now_step else now_step + 1
    if last is not None and step <= last:
        raise RuntimeError("no unused TOTP step inside the window; wait 30 s")
    return totp.generate_otp(step)


def shown_secret(html: str) -> str:
    """The authenticator key an enrolment page shows (grouped by four for reading)."""
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert match, "no authenticator key on the page"
    return match.group(1).replace(" ", "")


def csrf_token(client: FlaskClient, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login_as(client: FlaskClient, user: UserInfo, *, password: str | None = None) -> TestResponse:
    """The real sign-in: password, then a fresh TOTP code. Returns the final response (the dashboard)."""
    app = client.application
    token = csrf_token(client, "/login")
    r = client.post("/login", data={"email": user.email, "password": password or user.password,
                                    "csrf_token": token})
    assert r.status_code == 302, f"password step failed: {r.status_code}"
    token = csrf_token(client, "/login/code")
    r = client.post("/login/code", data={"code": fresh_code(app, user), "csrf_token": token})
    assert r.status_code == 302, f"code step failed: {r.status_code}"
    return client.get(r.headers["Location"])


def page(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> TestResponse:
    """GET a page and check what every HTML page must have (Notify's client_request idea)."""
    r = client.get(url, **kwargs)
    assert r.status_code == status, f"{url}: {r.status_code} != {status}"
    if r.mimetype == "text/html":
        html = r.get_data(as_text=True)
        assert "no-store" in r.headers.get("Cache-Control", ""), url
        assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", ""), url
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title and title.group(1).split("·")[0].strip(), f"{url}: empty <title>"
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, re.S | re.I):
            # a prefixed form (one per resident) carries "<prefix>-csrf_token", which CSRFProtect also reads
            assert re.search(r'name="(?:[\w-]+-)?csrf_token"', form), f"{url}: POST form without CSRF token"
        assert "<script>" not in html and " style=" not in html, f"{url}: inline script or style"
    return r


@dataclass(frozen=True)
class CaseInfo:
    id: int
    public_id: uuid.UUID
    number: str
    centre_id: int
    applicant_public_id: uuid.UUID


def make_case(
    app: Flask,
    counsellor: UserInfo,
    *,
    applicant_name: str = "Ayşe Yılmaz",
    tckn: str | None = "10000000146",
    phone: str | None = "0532 123 45 67",
    children: tuple[tuple[str, str, int], ...] = (),
    risk_level: str | None = None,
    status: str = "open",
    team: tuple[UserInfo, ...] = (),
    **intake: Any,
) -> CaseInfo:
    """A case opened by ``counsellor`` (primary) with an applicant and optional children (name, sex, birth year)."""
    import datetime as dt

    from app.db import db
    from app.users.models import User
    from cases.core.models import CaseMember, CaseStatus, PersonKind, RiskLevel
    from cases.core.services import add_person, open_case

    with app.app_context():
        actor = db.session.get(User, counsellor.id)
        assert actor is not None
        intake.setdefault("violence_types", ["physical", "psychological"])
        case = open_case(actor=actor, applied_on=dt.date(2026, 11, 2), channel=intake.pop("channel", "walk-in"),
                         **intake)
        applicant = add_person(case, PersonKind.APPLICANT, full_name=applicant_name, tckn=tckn, phone=phone)
        for name, sex, birth_year in children:
            add_person(case, PersonKind.CHILD, full_name=name, sex=sex, birth_year=birth_year)
        case.children_count = len(children)
        case.status = CaseStatus(status)
        case.risk_level = RiskLevel(risk_level) if risk_level else None
        for member in team:
            db.session.add(CaseMember(case_id=case.id, user_id=member.id))
        db.session.commit()
        return CaseInfo(case.id, case.public_id, case.number, case.centre_id, applicant.public_id)
