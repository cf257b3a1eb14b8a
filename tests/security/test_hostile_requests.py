"""Every response is a page we meant to send (DESIGN.md §3.10): file parts in text fields, oversized bodies, NUL
bytes, invalid UTF-8, duplicated fields and control characters in ``next`` get a clear 4xx, never a 500.

The sweep sends each payload to every POST route of ``app.url_map``, signed in with a role the route admits, with the
route's case or shelter filled in with a real one so the forms behind them are reached. A second sweep sends hostile
query strings to every GET route (the GET forms: searches, filters, periods, ``next``)."""

from __future__ import annotations

import io
import logging
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import MultiDict

from tests.cases.test_documents import pdf_bytes, upload
from tests.factories import csrf_token, login_as
from tests.security.test_mass_assignment import LAST, _fill, _Forms
from tests.security.test_shelter_sweep import _theirs
from tests.shelters.helpers import make_shelter, request_for

GENERIC_FIELDS = ["email", "password", "code", "name", "reason", "text", "next", "locale", "date", "status"]
BIG = 2 * 1024 * 1024
# Where a signed-in sweeper takes her session's CSRF token before each form: the language switch of a page that
# reads nothing (the dashboard cost a fifth of the sweep's CPU, fetched ~200 times).
TOKEN_PAGE = "/errors/too-large"


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


# POST routes whose form the sweep cannot reach with a real object (it answers an audited 404 to every payload).
# Each is named with the reason; a route added later must either be reached or be listed here on purpose.
# Their payloads still meet the guards that run before any view (file parts → 400, size → 413, raw bytes → 400).
UNREACHED: dict[str, str] = {
    "cases.approve_order": "needs an order awaiting approval; filled in once, the order form is not accepted",
    "cases.extend_order": "needs an approved order",
    "cases.record_violation": "needs an approved order",
    "cases.approve_safety_plan": "needs a submitted safety plan with content",
    "cases.return_safety_plan": "needs a submitted safety plan with content",
    "cases.decide_closure": "needs a pending closure request",
    "cases.reopen_case": "needs a closed case",
    "cases.revoke_explicit_consent": "needs an explicit consent given at intake",
    "cases.link_inquiry": "needs an unlinked location inquiry in the supervisor's queue",
    "cases.open_alert": "needs an alert raised by someone else's change",
    "cases.decide_report_decision": "needs a duty-to-report question logged as not decided yet",
}


ENDS = ("shelters.remove_coordinator", "cases.close_case", "cases.transfer_case", "cases.update_team")


def _tier(endpoint: str) -> int:
    """Forms that end what the others need (a request declined, a coordinator removed, a case closed) come last."""
    if endpoint in ENDS:
        return 2
    return 1 if any(word in endpoint for word in LAST) else 0


def _forms_on_pages(clients: dict[str | None, Any], starts: dict[str, list[str]], scope: tuple[str, ...],
                    adapter: Any) -> dict[str, tuple[str, str, list[dict[str, Any]]]]:
    """endpoint → (who, real action URL, the form's fields): the forms a crawl of each person's pages finds."""
    found: dict[str, tuple[str, str, list[dict[str, Any]]]] = {}
    for who, urls in starts.items():
        queue, seen = list(urls), set[str]()
        while queue and len(seen) < 80:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            r = clients[who].get(url)
            if r.status_code != 200 or "text/html" not in r.content_type:
                continue
            parser = _Forms()
            parser.feed(r.get_data(as_text=True))
            for form in parser.forms:
                action = form["action"] or url  # with its query (a shelter request names its case)
                try:
                    endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
                except Exception:  # noqa: BLE001  (a form posting elsewhere than a route)
                    continue
                if endpoint not in found or endpoint.endswith(("admit", "confirm_request")):  # the last
                    # request is admitted (confirmed), the first declined (refused)
                    found[endpoint] = (who, action, form["fields"])
            queue += [link for link in parser.links
                      if urlsplit(link).path.startswith(scope) and not urlsplit(link).path.endswith((".csv", "/print"))]
    return found


def _seed(app: Any, clients: dict[str | None, Any], users: dict[str, Any], make_case: Any,
          centre_code: str) -> tuple[dict, dict]:
    """A case, a shelter with rooms, beds, a stay, a waiting request, an extension and an outage, a pending account
    request, and whatever the case's own forms create when filled in once (a note, a goal, an order, a referral …):
    so the nested ids of the routes are real and their forms are reached. Returns (starts, ids)."""
    counsellor, supervisor, coordinator = users["counsellor"], users["supervisor"], users["coordinator"]
    case = make_case(counsellor, risk_level="high", children=(("Çocuk Ece", "girl", 2017),))
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    ids = {"case_id": str(case.public_id), "shelter_id": str(shelter.public_id),
           **_theirs(app, shelter, counsellor, coordinator, make_case)}
    admin = clients["admin"]
    for email in ("yeni@example.org", "ikinci@example.org"):  # two requests: one refused, one confirmed
        admin.post("/admin/users/new", data={"csrf_token": csrf_token(admin, "/admin/users/new"), "email": email,
                                             "name": "Yeni Danışman", "role": "counsellor", "centre": centre_code})
    upload(clients["counsellor"], case, pdf_bytes(4096))  # a document to delete (the crawl fills in no file)
    starts = {"counsellor": [f"/cases/{case.public_id}", f"/cases/{case.public_id}/documents", "/"],
              "supervisor": [f"/cases/{case.public_id}", f"/shelters/{shelter.public_id}", "/account-requests/", "/"],
              "coordinator": [f"/shelters/{shelter.public_id}"],
              "admin": ["/cases/retention"]}
    scope = (f"/cases/{case.public_id}", f"/shelters/{shelter.public_id}", "/shelters/requests/new")
    adapter = app.url_map.bind("localhost")
    second = make_case(counsellor, applicant_name="İkinci Başvuru", tckn=None, phone=None)
    request_for(app, second, shelter, counsellor)  # a second waiting request: one is declined, the other admitted
    for _round in range(3):  # objects made by one round's forms have forms of their own
        for endpoint, (who, action, fields) in sorted(_forms_on_pages(clients, starts, scope, adapter).items()):
            if any(word in endpoint for word in (*LAST, "delete")) or not action.startswith(scope[:2]):
                continue
            data = {"csrf_token": [csrf_token(clients[who], TOKEN_PAGE)], **_fill(fields, set())}
            assert clients[who].post(action, data=data).status_code < 500, endpoint
    return starts, ids


def test_hostile_bodies_never_get_a_500(app, centre, make_user, make_case, caplog) -> None:  # type: ignore[no-untyped-def]
    from app import access

    users = {role: make_user(role) for role in ("counsellor", "supervisor", "coordinator", "admin", "auditor")}
    clients: dict[str | None, Any] = {None: app.test_client()}
    for role, user in users.items():
        clients[role] = app.test_client()
        login_as(clients[role], user)
    starts, real = _seed(app, clients, users, make_case, centre.code)
    target = make_user("counsellor")  # the account the admin's and supervisor's user forms act on (not a sweeper)
    scope = (*{u for urls in starts.values() for u in urls if u.startswith(("/cases/", "/shelters/"))},
             "/shelters/requests/new")
    forms = _forms_on_pages(clients, starts, scope, app.url_map.bind("localhost"))

    policies = access.route_policies(app)
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ()) and r.endpoint != "auth.logout"]
    assert len(rules) > 50
    failures = []
    answers: dict[str, set[int]] = {}
    caplog.set_level(logging.ERROR)
    # forms that end what the others need (a discharge, a coordinator removed, a case closed) are swept last
    for rule in sorted(rules, key=lambda r: (_tier(r.endpoint), r.rule)):
        if rule.endpoint in forms:  # the real form on a real page: its own URL and field names
            role, url, form_fields = forms[rule.endpoint]
            fields = [f["name"] for f in form_fields if f["name"] != "csrf_token"] or GENERIC_FIELDS
        else:
            role = _pick_role(policies[rule.endpoint] or "")
            url = rule.rule
            for arg in rule.arguments:
                value = str(target.public_id) if arg == "user_id" else real.get(arg, str(uuid.uuid4()))
                url = url.replace(f"<uuid:{arg}>", value)
            fields = _fields(clients[role], url)
        client = clients[role]
        token = csrf_token(client, "/login" if role is None else TOKEN_PAGE)
        for name, kwargs, expected in _payloads(token, fields):
            status = client.post(url, **kwargs).status_code
            if name in ("nul-byte", "invalid-utf8", "duplicated"):
                answers.setdefault(rule.endpoint, set()).add(status)
            if status >= 500 or (expected is not None and status != expected):
                failures.append((rule.endpoint, role, name, status))
    assert failures == []
    # the form behind each route was reached: not every form-level payload was turned away as an unknown object
    unreached = {endpoint for endpoint, statuses in answers.items() if statuses == {404}}
    assert unreached == set(UNREACHED), "\n".join(sorted(unreached))
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


def test_hostile_query_strings_on_every_page_never_get_a_500(app, make_user, make_case, caplog) -> None:  # type: ignore[no-untyped-def]
    """GET forms (search, filters, periods, next) read query strings: NUL bytes, invalid UTF-8, duplicated and overlong
    parameters on every GET route of ``app.url_map`` get a page or a 4xx, never a 500."""
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
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"
             and all(a in real or "<uuid:" + a in r.rule for a in r.arguments)]
    names = ["q", "query", "email", "period", "from", "to", "year", "page", "next", "status", "kind", "case", "role",
             "action", "outcome", "centre", "date", "start", "end", "sort", "discreet"]
    queries = [b"&".join(n.encode() + b"=%FF%FE%C3%28" for n in names),
               b"&".join(n.encode() + b"=a%00b" for n in names),
               b"&".join(n.encode() + v for n in names for v in (b"=1", b"=2026-13-45", b"=" + b"x" * 3000)),
               b"&".join(n.encode() + b"=\xff\xfe" for n in names)]
    failures, statuses = [], []
    caplog.set_level(logging.ERROR)
    for rule in sorted(rules, key=lambda r: r.rule):
        if rule.endpoint in ("auth.logout",):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<uuid:{arg}>", real.get(arg, str(uuid.uuid4())))
        client = clients[_pick_role(policies[rule.endpoint] or "")]
        for query in queries:
            status = client.get(url, query_string=query.decode("latin-1")).status_code
            statuses.append(status)
            if status >= 500:
                failures.append((rule.endpoint, query[:20], status))
    assert len(rules) > 60 and statuses.count(200) > 100  # pages were reached, not only refused
    assert failures == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "unhandled" in r.getMessage()]
