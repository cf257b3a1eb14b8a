"""The main navigation is rendered once per (role, language, section) and reused (``app.site_nav``, issue 20): each
role still sees its own links only, in its own language, with the current section marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask

from app import NAV_ENDPOINTS
from tests import factories

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "partials" / "_site_nav.html"


def _nav(html: str) -> str:
    found = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert found is not None
    return found.group(0)


def _links(nav: str) -> dict[str, bool]:
    """href → marked as the current page."""
    return {href: bool(current) for href, current in
            re.findall(r'<a href="([^"]+)"[^>]*?(aria-current="page")?>', nav)}


def test_the_template_marks_only_the_endpoints_the_cache_key_names() -> None:
    text = re.sub(r"\{#.*?#\}", "", TEMPLATE.read_text(encoding="utf-8"), flags=re.S)
    assert set(re.findall(r"endpoint == '([\w.]+)'", text)) == NAV_ENDPOINTS
    # It reads nothing about the user but the role it is given.
    assert "current_user" not in text and "request." not in text


def test_each_role_sees_its_own_links_in_its_own_language(app: Flask, make_user: Any) -> None:
    clients = {}
    for role in ("counsellor", "admin", "auditor", "coordinator", "supervisor"):
        client = app.test_client()
        factories.login_as(client, make_user(role))
        clients[role] = client
    # Twice round, alternating roles, so every role is served from the cache after another role's page.
    for _ in range(2):
        navs = {role: _links(_nav(factories.page(c, "/").get_data(as_text=True))) for role, c in clients.items()}
        assert "/cases/" in navs["counsellor"] and "/admin/users/" not in navs["counsellor"]
        assert "/admin/users/" in navs["admin"] and "/cases/" not in navs["admin"]
        assert "/audit/" in navs["auditor"]
        assert "/cases/" not in navs["auditor"] and "/admin/users/" not in navs["auditor"]
        assert "/shelters/" in navs["coordinator"] and "/cases/" not in navs["coordinator"]
        assert "/account-requests/" in navs["supervisor"] and "/account-requests/" not in navs["counsellor"]
        for links in navs.values():
            assert links["/"] is True  # Home is the page shown
            assert sum(links.values()) == 1
    english = _nav(factories.page(clients["counsellor"], "/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    with clients["counsellor"].session_transaction() as session:
        session["locale"] = "tr"
    turkish = _nav(factories.page(clients["counsellor"], "/").get_data(as_text=True))
    assert ">Cases<" in english and ">Dosyalar<" in turkish and ">Cases<" not in turkish


def test_the_current_section_is_marked(app: Flask, make_user: Any) -> None:
    client = app.test_client()
    factories.login_as(client, make_user("counsellor"))
    factories.page(client, "/")  # the home page's navigation first, then the case list's
    cases = _links(_nav(factories.page(client, "/cases/").get_data(as_text=True)))
    assert cases["/cases/"] is True and cases["/"] is False
    inquiry = _links(_nav(factories.page(client, "/cases/inquiries/new").get_data(as_text=True)))
    marked = [href for href, current in inquiry.items() if current]
    assert marked == ["/cases/", "/cases/inquiries/new"], inquiry  # the section, and the page by name
