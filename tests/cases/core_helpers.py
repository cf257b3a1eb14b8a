"""Helpers shared by the core case-work tests (intake, case page, notes, lifecycle, break-glass, sweeps)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories

VALID_TCKN = "10000000146"
OTHER_TCKN = "12345678950"


def intake_form(**overrides: Any) -> dict[str, Any]:
    """POST data of a complete intake form (children rows: 6, filled by ``children=[(name, sex, year), …]``)."""
    children = overrides.pop("children", [])
    data: dict[str, Any] = {
        "notice_given": "y",
        "notice_method": "printed",
        "consent_method": "written",
        "applied_on": "2026-11-02",
        "channel": "walk-in",
        "violence_types": ["physical", "psychological"],
        "previous_applications": ["police"],
        "narrative": "Eşi İsmail onu tehdit etti; ŞÖNİM'e gitti.",
        "immediate_needs": "Güvenli bir yer",
        "full_name": "Ayşe Yılmaz",
        "tckn": VALID_TCKN,
        "document_no": "",
        "nationality": "",
        "date_of_birth": "1990-05-17",
        "phone": "0532 123 45 67",
        "address": "Çiçek Sokak No: 5, Şişli",
        "language": "Türkçe",
        "disability": "",
        "perpetrator_name": "İsmail Yılmaz",
        "relationship": "spouse",
        "perpetrator_notes": "Kırmızı araba kullanıyor",
        "can_call": "y",
        "can_text": "",
        "safe_hours": "Hafta içi 10:00–14:00",
        "code_word": "papatya",
        "phone_checked": "yes",
        "safe_contact_notes": "",
        "confirm": "",
    }
    for i in range(6):
        name, sex, year = children[i] if i < len(children) else ("", "", "")
        data[f"children-{i}-full_name"] = name
        data[f"children-{i}-sex"] = sex
        data[f"children-{i}-birth_year"] = str(year)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_intake(client: FlaskClient, **overrides: Any) -> TestResponse:
    data = intake_form(**overrides)
    data["csrf_token"] = factories.csrf_token(client, "/cases/new")
    return client.post("/cases/new", data=data)


def draft_page(client: FlaskClient, response: TestResponse) -> TestResponse:
    """'Check now' (or 'Back to the intake form') keeps what was typed server-side and answers 303 to the intake's
    page by its draft's opaque id (issue 16): follow it."""
    assert response.status_code == 303, response.status_code
    assert re.fullmatch(r"/cases/new/[0-9a-f-]{36}", response.headers["Location"]), response.headers["Location"]
    return client.get(response.headers["Location"])


def confirm_token(html: str) -> str:
    match = re.search(r'name="confirm" type="hidden" value="([0-9a-f]+)"', html) or re.search(
        r'id="confirm" name="confirm" type="hidden" value="([0-9a-f]+)"', html)
    assert match, "no confirmation token on the page"
    return match.group(1)


def case_id_from(response: TestResponse) -> str:
    assert response.status_code == 302, response.status_code
    match = re.search(r"/cases/([0-9a-f-]{36})$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, token_url: str = "/") -> TestResponse:
    payload = dict(data or {})
    payload["csrf_token"] = factories.csrf_token(client, token_url)
    return client.post(url, data=payload)


def signed_in(app: Any, make_user: Any, role: str = "counsellor", **kwargs: Any) -> tuple[Any, FlaskClient]:
    user = make_user(role, **kwargs)
    client = app.test_client()
    factories.login_as(client, user)
    return user, client


def search(client: FlaskClient, query: str) -> TestResponse:
    """Search the case list as the page does: POST, then the redirect to the results (``/cases/search?r=…``)."""
    r = post(client, "/cases/search", {"q": query}, token_url="/cases/")
    assert r.status_code == 303, r.status_code
    assert re.fullmatch(r"/cases/search\?r=[0-9a-f-]{36}", r.headers["Location"])  # only an opaque id
    return client.get(r.headers["Location"])
