"""Every response is a page we meant to send (DESIGN.md §3.10): file parts in text fields, oversized bodies, NUL
bytes, invalid UTF-8, duplicated fields and control characters in ``next`` get a clear 4xx, never a 500.

The sweep sends each payload to every POST route of ``app.url_map``, signed in with a role the route admits, with the
route's case or shelter filled in with a real one so the forms behind them are reached."""

from __future__ import annotations

import io
import logging
import re
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import csrf_token, login_as
from tests.shelters.helpers import make_shelter

GENERIC_FIELDS = ["email", "password", "code", "name", "reason", "text", "next", "locale", "date", "status"]
BIG = 2 * 1024 * 1024


def _fields(client, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The field names of the form behind ``url`` (its GET page), or a generic guess."""
    r = client.get(url)
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', r.get_data(as_text=True)) \
        if r.status_code == 200 and r.mimetype == "text/html" else []
    names = [n for n in dict.fromkeys(names) if n != "csrf_token"]
    return names or GENERIC_FIELDS


def _payloads(token: str, fields: list[str]):  # type: ignore[no-untyped-def]
    """(name, request kwargs, expected status or None for 'any 4xx/2xx/3xx')."""
    yield "file-part", {"data": {"csrf_token": token, **{f: (io.BytesIO(b"any file"), "any-file.txt") for f in fields}},
                        "content_type": "multipart/form-data"}, 400
    yield "oversized", {"data": {"csrf_token": token, fields[0]: "a" * BIG}}, 413
    yield "nul-byte", {"data": {"csrf_token": token, **{f: "a\x00b" for f in fields}}}, None
    encoded = b"&".join([b"csrf_token=" + token.encode(), *(f.encode() + b"=%FF%FE%C3%28" for f in fields)])
    yield "invalid-utf8", {"data": encoded, "content_type": "application/x-www-form-urlencoded"}, None
    raw = b"&".join([b"csrf_token=" + token.encode(), *(f.encode() + b"=\xff\xfe\xc3(" for f in fields)])
    yield "raw-invalid-utf8", {"data": raw, "content_type": "application/x-www-form-urlencoded"}, None
    dup = MultiDict([("csrf_token", token), *((f, v) for f in fields for v in ("1", "2026-13-45", "x" * 300))])
    yield "duplicated", {"data": dup}, None


def _pick_role(policy: str) -> str | None:
    if policy in ("public",):
        return None
    if policy == "signed-in":
        return "counsellor"
    allowed = policy.rsplit(":", 1)[-1].split(",") if policy.startswith(("roles:", "object:")) else []
    for role in ("counsellor", "supervisor", "coordinator", "admin", "auditor"):
        if role in allowed:
            return role
    return "counsellor"  # object policies without a role list: the loader decides


def test_hostile_bodies_never_get_a_500(app, make_user, make_case, caplog) -> None:  # type: ignore[no-untyped-def]
    from app import access

    users = {role: make_user(role) for role in ("counsellor", "supervisor", "coordinator", "admin", "auditor")}
    case = make_case(users["counsellor"])
    shelter = make_shelter(app, users["admin"], coordinators=(users["coordinator"],))
    real = {"case_id": str(case.public_id), "shelter_id": str(shelter.public_id)}
    clients = {None: app.test_client()}
    for role, user in users.items():
        clients[role] = app.test_client()
        login_as(clients[role], user)

    policies = access.route_policies(app)
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and r.endpoint != "auth.logout"]
    assert len(rules) > 50
    failures = []
    seen: list[tuple[str, int]] = []
    caplog.set_level(logging.ERROR)
    for rule in sorted(rules, key=lambda r: r.rule):
        role = _pick_role(policies[rule.endpoint] or "")
        client = clients[role]
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<uuid:{arg}>", real.get(arg, str(uuid.uuid4())))
        fields = _fields(client, url)
        token = csrf_token(client, "/login" if role is None else "/")
        for name, kwargs, expected in _payloads(token, fields):
            status = client.post(url, **kwargs).status_code
            seen.append((name, status))
            if status >= 500 or (expected is not None and status != expected):
                failures.append((rule.endpoint, role, name, status))
    assert {status for name, status in seen if name == "duplicated"} & {302, 422}  # forms were reached
    assert failures == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "unhandled" in r.getMessage()]


def test_a_file_part_on_the_sign_in_form_is_a_400_not_a_500(client) -> None:  # type: ignore[no-untyped-def]
    """Reproduced before: `curl -F 'email=@any-file.txt' …/login` gave a 500 (FileStorage has no len())."""
    token = csrf_token(client, "/login")
    r = client.post("/login", data={"csrf_token": token, "email": (io.BytesIO(b"x"), "a.txt"), "password": "p"},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_an_oversized_body_is_refused_with_the_friendly_413(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    big = "p" * (10 * 1024 * 1024)
    r = client.post("/login", data={"csrf_token": token, "email": "a@example.org", "password": big})
    assert r.status_code == 413
    assert "<title>" in r.get_data(as_text=True) and "no-store" in r.headers["Cache-Control"]


@pytest.mark.parametrize("target", ["/x\r\nSet-Cookie: stolen=1", "/x%0D%0ASet-Cookie:%20stolen=1", "/x\x00y",
                                    "/cases/\u2028", "/\x7f"])
def test_control_characters_in_next_are_refused(app, client, make_user, target) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import unquote

    token = csrf_token(client, "/login")
    r = client.post("/language", data={"csrf_token": token, "locale": "en", "next": unquote(target)})
    assert r.status_code in (302, 400) and "stolen" not in str(r.headers)
    user = make_user("counsellor")
    browser = app.test_client()
    r = browser.post("/login?next=" + target.replace("\r", "%0D").replace("\n", "%0A"),
                     data={"email": user.email, "password": user.password,
                           "csrf_token": csrf_token(browser, "/login")})
    assert r.status_code in (302, 400)
    if r.status_code == 302:
        from tests.factories import fresh_code

        r = browser.post("/login/code", data={"code": fresh_code(app, user),
                                              "csrf_token": csrf_token(browser, "/login/code")})
        assert r.status_code == 302 and r.headers["Location"] == "/" and "stolen" not in str(r.headers)


def test_nul_bytes_in_a_form_are_never_a_500(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/login")
    r = client.post("/login", data={"csrf_token": token, "email": "a\x00@example.org", "password": "x"})
    assert r.status_code in (400, 422)


def test_a_nul_byte_in_a_query_string_is_never_a_500(client, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    """Query strings stay with each page's own validation; a NUL that reaches PostgreSQL is a 400, not a crash."""
    assert client.get("/login?next=%00").status_code == 200
    login_as(client, make_user("admin"))
    assert client.get("/admin/users/?email=a%00b").status_code in (200, 400, 422)  # SQLite finds nothing
