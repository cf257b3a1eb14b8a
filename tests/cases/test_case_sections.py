"""The case page's collapsed sections (issue 20): each read on demand through its own route, which goes through the
scoped loader, is on record as a read of that section (``case.view`` naming the section), answers another centre's
case with the audited 404, and shows the section alone (``?fragment=1``, fetched by app.js) or on a page of its own.
The note form is on the case page only when she asks for it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cases.casefile.page import SECTIONS
from tests import factories
from tests.cases.test_break_glass import _break_glass


def _events(app: Flask, **where: Any) -> list[Any]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, column) == value)
        return list(db.session.scalars(stmt))


def _section_reads(app: Flask, case: Any) -> list[dict[str, Any]]:
    return [json.loads(e.details) for e in _events(app, case_number=case.number, action="case.view")
            if e.details and "section" in json.loads(e.details)]


def _client(app: Flask, user: Any) -> Any:
    client = app.test_client()
    factories.login_as(client, user)
    return client


def test_case_page_offers_every_section_collapsed_without_reading_it(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    html = page(_client(app, counsellor), f"/cases/{case.public_id}").get_data(as_text=True)
    for name, (_template, _title, anchor) in SECTIONS.items():
        details = re.search(rf'<details class="case-section" id="{anchor}" data-section-url="([^"]+)">(.*?)</details>',
                            html, re.S)
        assert details, name
        assert details.group(1) == f"/cases/{case.public_id}/sections/{name}?fragment=1"
        assert f'href="/cases/{case.public_id}/sections/{name}"' in details.group(2)
    # the sections' content is not on the page: it is read when she opens them
    assert "No incident recorded." not in html and "No shelter request." not in html
    assert _events(app, case_number=case.number, action="case.view") and not _section_reads(app, case)


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_section_reads_on_record_alone_or_on_its_own_page(app, make_user, make_case, page, name) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = _client(app, counsellor)
    _template, title, anchor = SECTIONS[name]
    response = client.get(f"/cases/{case.public_id}/sections/{name}?fragment=1")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<section" in fragment and "<script" not in fragment
    full = page(client, f"/cases/{case.public_id}/sections/{name}").get_data(as_text=True)
    assert "<html" in full and f'href="/cases/{case.public_id}"' in full  # back to the case
    # the section on its own page is the fragment's section (the CSRF token of its forms aside)
    strip = re.compile(r'value="[\w.-]{40,}"')
    assert strip.sub("", fragment.strip()) in strip.sub("", full)
    reads = [e for e in _events(app, case_number=case.number, action="case.view") if e.details]
    assert [json.loads(e.details) for e in reads] == [{"section": name}, {"section": name}]
    assert all(e.object_id == str(case.public_id) and e.actor_email == counsellor.email and e.outcome == "success"
               for e in reads)


def test_sections_of_another_centres_case_are_the_audited_404(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    other_centre = factories.make_centre(app)
    owner = factories.make_user(app, role="counsellor", centre=other_centre)
    case = make_case(owner, applicant_name="Nermin Çelik")
    stranger = make_user("supervisor")  # a supervisor, but of another centre
    client = _client(app, stranger)
    for suffix in ("", "?fragment=1"):
        r = client.get(f"/cases/{case.public_id}/sections/incidents{suffix}")
        assert r.status_code == 404 and "Nermin" not in r.get_data(as_text=True)
    denied = _events(app, object_id=str(case.public_id), actor_email=stranger.email)
    assert len(denied) == 2 and all(e.outcome == "denied" for e in denied)
    assert not _section_reads(app, case)


def test_unknown_section_is_the_audited_404(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = _client(app, counsellor)
    assert client.get(f"/cases/{case.public_id}/sections/secrets").status_code == 404
    denied = _events(app, action="case.section", object_id=str(case.public_id))
    assert [(e.outcome, e.reason) for e in denied] == [("denied", "section")]
    assert _section_reads(app, case) == [{"section": "?"}]  # what she asked for is not copied into the log


def test_a_section_read_through_break_glass_is_flagged(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("counsellor")
    case = make_case(owner)
    colleague = make_user("counsellor")
    client = _client(app, colleague)
    assert client.get(f"/cases/{case.public_id}/sections/referrals").status_code == 404
    assert _break_glass(client, case.number).status_code == 302
    page(client, f"/cases/{case.public_id}/sections/referrals")
    flagged = _events(app, case_number=case.number, action="case.view.break-glass", actor_email=colleague.email)
    assert flagged and json.loads(flagged[-1].details)["section"] == "referrals"


def test_the_note_form_is_shown_when_she_asks_for_it(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = _client(app, counsellor)
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert f'action="/cases/{case.public_id}/notes"' not in html
    link = re.search(r'<a [^>]*id="write-note" href="([^"]+)"', html)
    assert link and link.group(1) == f"/cases/{case.public_id}?note=1#add-note"
    html = page(client, f"/cases/{case.public_id}?note=1").get_data(as_text=True)
    assert f'action="/cases/{case.public_id}/notes"' in html and 'id="add-note"' in html
    assert 'id="write-note"' not in html
