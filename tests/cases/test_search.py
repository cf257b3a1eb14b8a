"""Finding a woman's file (issue 16 §1): partial, accent-insensitive names, case numbers, phone endings and identity
numbers over the user's visible cases; Back after a search without the query in a URL; break-glass candidates; the
list's filters and sorting."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import VALID_TCKN, post, search


def _results(html: str) -> str:
    """The results table (the search box above it keeps the query; break-glass candidates come after it)."""
    table = re.search(r"<table.*?</table>", html, re.S)
    return table.group(0) if table else ""


def _others(html: str) -> str:
    """The break-glass candidates section, if any."""
    return html.split('id="others-title"')[1] if 'id="others-title"' in html else ""


def test_partial_turkish_folded_name_case_number_and_phone_ending(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="Derya Çelik")
    gulsen = make_case(counsellor, applicant_name="Gülşen Öztürk", tckn=None, phone="0532 987 65 43",
                       risk_level="high", status="active")
    other = make_case(counsellor, applicant_name="İpek Işık", tckn=VALID_TCKN, phone="0533 111 22 33")
    client = app.test_client()
    factories.login_as(client, counsellor)
    for query in ("ozturk", "gulsen", "GÜLŞEN", "gul ozt", "Öztürk", gulsen.number.lower(), "6543", "65 43",
                  "0532 987 65 43"):
        html = _results(search(client, query).get_data(as_text=True))
        assert gulsen.number in html, query
        assert other.number not in html, query
        # Results show name, case number, status, risk and counsellor.
        assert "Gülşen Öztürk" in html and "Derya Çelik" in html and "High risk" in html and "Active" in html
    for query in ("ipek", "isik", "IŞIK", "ışık", VALID_TCKN, "2233"):
        html = _results(search(client, query).get_data(as_text=True))
        assert other.number in html and gulsen.number not in html, query
    # Too few digits for a phone ending, and a name nobody has: nothing, with a hint of what works.
    for query in ("43", "Zübeyde"):
        html = search(client, query).get_data(as_text=True)
        assert gulsen.number not in html and other.number not in html
        assert "last digits of her phone" in html


def test_back_after_search_shows_the_results_again_without_the_query_in_the_url(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    client = app.test_client()
    factories.login_as(client, counsellor)
    r = post(client, "/cases/search", {"q": "Öztürk"}, token_url="/cases/")
    assert r.status_code == 303
    location = r.headers["Location"]
    assert re.fullmatch(r"/cases/search\?r=[0-9a-f-]{36}", location), location
    # Back / reload: a GET that shows the same results (no "Confirm Form Resubmission").
    for _ in range(2):
        again = factories.page(client, location)
        assert case.number in again.get_data(as_text=True)
        assert 'value="Öztürk"' in again.get_data(as_text=True)  # the box keeps what she typed
    # The same link in another session (or another user's) is an expired search, not her results.
    other_session = app.test_client()
    factories.login_as(other_session, counsellor)
    r = other_session.get(location)
    assert r.status_code == 302 and r.headers["Location"].endswith("/cases/")
    stranger = app.test_client()
    factories.login_as(stranger, make_user("counsellor"))
    assert stranger.get(location).status_code == 302
    # Malformed ids never 500.
    for bad in ("/cases/search", "/cases/search?r=nonsense", "/cases/search?r=" + "0" * 500):
        assert client.get(bad).status_code == 302


def test_saved_query_expires_and_is_stored_encrypted(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.casefile.models import SavedSearch
    from cases.casefile.services import SEARCH_TTL

    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    client = app.test_client()
    factories.login_as(client, counsellor)
    r = post(client, "/cases/search", {"q": "Öztürkmarker"}, token_url="/cases/")
    location = r.headers["Location"]
    with app.app_context():
        stored = db.session.scalars(sa.select(SavedSearch.query_ct)).all()
        assert stored and all(b"ztrkmarker" not in blob and "Öztürkmarker".encode() not in blob for blob in stored)
        db.session.execute(sa.update(SavedSearch).values(created_at=utcnow() - SEARCH_TTL - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(location).status_code == 302
    # The next search purges the user's expired ones.
    search(client, case.number)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 1


def test_search_is_audited_with_the_case_numbers_shown_never_the_query(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülşen Öztürk")
    client = app.test_client()
    factories.login_as(client, counsellor)
    search(client, "ozturk")
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.search")).all()
        assert len(events) == 1
        details = json.loads(events[0].details)
        assert details["cases"] == [case.number]
        raw = " ".join(str(getattr(events[0], c.key)) for c in sa.inspect(AuditEvent).columns)
        assert "ozturk" not in raw.lower() and "Öztürk" not in raw


def test_break_glass_candidates_show_only_number_and_counsellor(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    covering = make_user("counsellor")
    colleague = make_user("counsellor", name="Nermin Aksoy")
    theirs = make_case(colleague, applicant_name="Gülşen Öztürk", tckn=VALID_TCKN, phone="0532 987 65 43",
                       risk_level="high")
    client = app.test_client()
    factories.login_as(client, covering)
    for query in ("Gülşen Öztürk", VALID_TCKN, "0532 987 65 43", theirs.number):
        html = search(client, query).get_data(as_text=True)
        assert theirs.number not in _results(html), query
        others = _others(html)
        assert theirs.number in others and "Nermin Aksoy" in others, query
        assert f"/cases/break-glass?number={theirs.number}" in others
        # SECURITY: nothing of her file: not her name, not the risk.
        assert "Gülşen" not in others and "High risk" not in html, query
    # Partial values never reach cases she is not on.
    for query in ("ozturk", "6543"):
        assert theirs.number not in search(client, query).get_data(as_text=True), query
    # The break-glass form comes with the number filled in, and asks for the reason.
    form = factories.page(client, f"/cases/break-glass?number={theirs.number}").get_data(as_text=True)
    assert f'value="{theirs.number}"' in form
    # Another centre's case is never a candidate.
    elsewhere = factories.make_centre(app, code="ZZZ")
    stranger = make_user("counsellor", centre=elsewhere)
    far = make_case(stranger, applicant_name="Gülşen Öztürk", tckn=VALID_TCKN)
    for query in ("Gülşen Öztürk", far.number):
        html = search(client, query).get_data(as_text=True)
        assert far.number not in _results(html) and far.number not in _others(html), query


def test_supervisor_finds_every_case_of_her_centre_by_part_of_a_name(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    one = make_case(make_user("counsellor"), applicant_name="Gülşen Öztürk")
    two = make_case(make_user("counsellor"), applicant_name="Ayşe Öztürkmen")
    client = app.test_client()
    factories.login_as(client, supervisor)
    html = search(client, "ozturk").get_data(as_text=True)
    assert one.number in html and two.number in html
    assert 'id="others-title"' not in html


def test_partial_matching_stays_within_the_budget(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.casefile.services import find_cases

    counsellor = make_user("counsellor")
    old = make_case(counsellor, applicant_name="Gülşen Öztürk", tckn=VALID_TCKN, phone="0532 987 65 43")
    new = make_case(counsellor, applicant_name="Gül Öztürk", tckn=None, phone=None)
    with app.test_request_context():
        user = db.session.get(User, counsellor.id)
        found = find_cases(user, "ozturk", budget=1)
        assert [c.number for c in found.cases] == [new.number]   # only the most recent case was decrypted
        assert found.scanned == 1 and found.truncated
        # Exact values still find the older case, whatever the budget.
        assert [c.number for c in find_cases(user, "Gülşen Öztürk", budget=1).cases] == [old.number]
        assert [c.number for c in find_cases(user, VALID_TCKN, budget=0).cases] == [old.number]
        assert [c.number for c in find_cases(user, old.number, budget=0).cases] == [old.number]


def test_a_very_common_name_shows_the_newest_namesakes_and_asks_for_an_identifier(app, make_user, make_case,  # type: ignore[no-untyped-def]
                                                                                monkeypatch) -> None:
    """More applicants with the full name than NAMESAKE_LIMIT: the newest that many, and a notice that there are
    more and what to search by instead; the substring scan does not add the same namesakes back."""
    monkeypatch.setattr("cases.casefile.services.NAMESAKE_LIMIT", 2)
    counsellor = make_user("counsellor")
    cases = [make_case(counsellor, applicant_name="Ayşe Yılmaz", tckn=None, phone=None) for _ in range(3)]
    longer = make_case(counsellor, applicant_name="Ayşe Yılmazer", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, counsellor)
    html = search(client, "ayse yilmaz").get_data(as_text=True)
    table = _results(html)
    assert cases[2].number in table and cases[1].number in table
    assert cases[0].number not in table and longer.number not in table
    assert "More than 2 women have this name" in html and "T.C. Kimlik No" in html
    assert "cases match your search" not in html
    # At the limit: every namesake and the partial match, no notice.
    monkeypatch.setattr("cases.casefile.services.NAMESAKE_LIMIT", 3)
    html = search(client, "ayse yilmaz").get_data(as_text=True)
    assert all(c.number in _results(html) for c in (*cases, longer))
    assert "women have this name" not in html and "4 cases match your search." in html


def test_case_list_filters_and_sorts_by_risk_counsellor_and_status(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    derya = make_user("counsellor", name="Derya Çelik")
    ayla = make_user("counsellor", name="Ayla Kaya")
    low = make_case(derya, risk_level="standard")
    high = make_case(ayla, risk_level="high")
    unassessed = make_case(derya)
    closed = make_case(ayla, risk_level="high", status="closed")
    supervisor = make_user("supervisor")
    client = app.test_client()
    factories.login_as(client, supervisor)

    def numbers(url: str) -> list[str]:
        html = page(client, url).get_data(as_text=True)
        return re.findall(r">(C\d+-\d{4}-\d{4})</a>", html)

    assert numbers("/cases/?risk=high") == [high.number]
    assert numbers("/cases/?risk=high&status=all") == [closed.number, high.number]
    assert numbers("/cases/?risk=none") == [unassessed.number]
    assert numbers(f"/cases/?counsellor={derya.id}") == [unassessed.number, low.number]
    assert numbers("/cases/?sort=risk") == [high.number, low.number, unassessed.number]
    assert numbers("/cases/?sort=counsellor") == [high.number, unassessed.number, low.number]
    # Unknown values fall back, never a 500.
    assert len(numbers("/cases/?risk=%00&sort=x&counsellor=abc&status=zz")) == 3


def test_case_list_sorts_by_next_due_date_overdue_first(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from app.db import db
    from cases.risk.models import RiskAssessment
    from tests.cases.test_risk import _record

    counsellor = make_user("counsellor")
    later, far, overdue, soon, unassessed = (make_case(counsellor) for _ in range(5))
    for case in (later, far, overdue, soon):
        _record(app, case, counsellor, 2)
    today = dt.date.today()
    with app.app_context():
        for case, due in ((later, today + dt.timedelta(days=5)), (overdue, today - dt.timedelta(days=3)),
                          (soon, today + dt.timedelta(days=1)), (far, today + dt.timedelta(days=90))):
            row = db.session.scalar(sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id))
            row.review_due_on = due  # type: ignore[union-attr]
        db.session.commit()
    client = app.test_client()
    factories.login_as(client, counsellor)
    html = page(client, "/cases/?sort=due").get_data(as_text=True)
    # Never assessed is due today; a review 90 days away is not in the task list: nothing due.
    assert re.findall(r">(C\d+-\d{4}-\d{4})</a>", html) == [overdue.number, unassessed.number, soon.number,
                                                             later.number, far.number]
    assert ">Next due</th>" in html and "Nothing due" in html
    assert f'datetime="{(today - dt.timedelta(days=3)).isoformat()}"' in html
    # The other sorts do not pay for the task list, and say nothing of it.
    assert ">Next due</th>" not in page(client, "/cases/").get_data(as_text=True)
