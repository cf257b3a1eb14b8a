"""Location inquiries: recorded by any staff role, encrypted, linked within what the recorder may see (or later by a
supervisor), flagging the case, prompting a re-assessment, on the supervisor's dashboard, alerting the shelter's
coordinator with nothing but a date and a channel."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.security.test_encryption_at_rest import _raw_dump

QUESTION = "Kocası aradı: Ayşe orada mı, hangi evde diye sordu ZQX-İŞARET"


def inquiry_form(**overrides: str) -> dict[str, str]:
    data = {"occurred_at": "2026-11-20T10:30", "channel": "phone", "asker": "Kardeşiyim dedi",
            "question": QUESTION, "answer": "Bilgi veremeyiz.", "notes": "", "about": ""}
    data.update(overrides)
    return data


def record(client, **overrides):  # type: ignore[no-untyped-def]
    data = inquiry_form(**overrides)
    data["csrf_token"] = factories.csrf_token(client, "/cases/inquiries/new")
    return client.post("/cases/inquiries/new", data=data)


def inquiries(app):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.inquiries.models import LocationInquiry

    with app.app_context():
        return [(i.id, i.public_id, i.case_id, i.question) for i in
                db.session.scalars(sa.select(LocationInquiry).order_by(LocationInquiry.id))]


def prompts(app, case) -> list[str]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.risk.models import RiskReassessmentPrompt

    with app.app_context():
        return list(db.session.scalars(sa.select(RiskReassessmentPrompt.reason).where(
            RiskReassessmentPrompt.case_id == case.id)))


@pytest.mark.parametrize("role", ["counsellor", "coordinator", "supervisor"])
def test_the_form_is_reachable_from_every_staff_page(app, make_user, role, page) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    factories.login_as(client, make_user(role))
    html = page(client, "/").get_data(as_text=True)
    assert 'id="nav-inquiry"' in html and "/cases/inquiries/new" in html
    form = page(client, "/cases/inquiries/new").get_data(as_text=True)
    assert "Neither confirm nor deny" in form


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_do_not_record_or_read_inquiries(app, make_user, role) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    factories.login_as(client, make_user(role))
    assert 'id="nav-inquiry"' not in client.get("/").get_data(as_text=True)
    assert client.get("/cases/inquiries/new").status_code == 404
    assert client.get("/cases/inquiries/").status_code == 404


def test_counsellor_links_by_name_within_her_cases_and_the_case_is_flagged(app, make_user, make_case, backend,  # type: ignore[no-untyped-def]
                                                                            db_url) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Ayşe Yılmaz")
    other = make_case(make_user("counsellor"), applicant_name="Ayşe Yılmaz", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, counsellor)
    r = record(client, about="AYSE YILMAZ")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{case.public_id}")
    [(_, _, case_id, question)] = inquiries(app)
    assert case_id == case.id and question == QUESTION
    html = client.get(f"/cases/{case.public_id}").get_data(as_text=True)
    assert 'id="inquiry-banner"' in html and "Someone asked where she is" in html
    assert prompts(app, case) == ["location-inquiry"] and prompts(app, other) == []
    dump = _raw_dump(app, backend, db_url)
    assert "ZQX-İŞARET".encode() not in dump and b"Kardesiyim" not in dump


def test_several_matches_are_offered_to_choose_and_unknown_stays_at_centre_level(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    counsellor = make_user("counsellor")
    first = make_case(counsellor, applicant_name="Fatma Kaya", tckn=None, phone=None)
    second = make_case(counsellor, applicant_name="Fatma Kaya", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, supervisor)
    r = record(client, about="fatma kaya")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and first.number in html and second.number in html and inquiries(app) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post("/cases/inquiries/new", data={**inquiry_form(), "case": str(second.public_id),
                                                   "csrf_token": token})
    assert r.status_code == 302
    assert inquiries(app)[0][2] == second.id
    r = record(client, about="Hiç Bilinmeyen Kadın")
    assert r.status_code == 302 and inquiries(app)[1][2] is None


def test_a_counsellor_cannot_link_to_a_case_she_may_not_see(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    stranger_case = make_case(make_user("counsellor"), applicant_name="Zeynep Demir", tckn=None, phone=None)
    client = app.test_client()
    factories.login_as(client, counsellor)
    r = record(client, about="Zeynep Demir")
    assert r.status_code == 302 and "/cases/" not in r.headers["Location"]
    r = record(client, case=str(stranger_case.public_id))
    assert r.status_code == 302
    assert [row[2] for row in inquiries(app)] == [None, None]
    assert prompts(app, stranger_case) == []


def test_supervisor_links_a_centre_inquiry_and_its_own_key_is_destroyed(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from crypto.models import DataKey

    coordinator = make_user("coordinator")
    case = make_case(make_user("counsellor"))
    c = app.test_client()
    factories.login_as(c, coordinator)
    assert record(c).status_code == 302
    [(_, uid, case_id, _q)] = inquiries(app)
    assert case_id is None
    supervisor = app.test_client()
    factories.login_as(supervisor, make_user("supervisor"))
    assert 'inquiries are not linked' in supervisor.get("/").get_data(as_text=True)
    listing = supervisor.get("/cases/inquiries/").get_data(as_text=True)
    assert QUESTION in listing
    token = factories.csrf_token(supervisor, "/cases/inquiries/")
    r = supervisor.post(f"/cases/inquiries/{uid}/link", data={"case_number": case.number, "csrf_token": token})
    assert r.status_code == 302
    [(_, _, case_id, question)] = inquiries(app)
    assert case_id == case.id and question == QUESTION
    assert prompts(app, case) == ["location-inquiry"]
    with app.app_context():
        own = db.session.scalars(sa.select(DataKey).where(DataKey.owner_type == "inquiry",
                                                          DataKey.owner_id == uid)).one()
        assert own.wrapped is None and own.destroyed_at is not None
    assert case.number in supervisor.get("/").get_data(as_text=True)
    # erasing the case now erases what was asked about her
    result = app.test_cli_runner().invoke(args=["cases", "erase", case.number, "--reason", "KVKK silme talebi 2026/9",
                                                "--yes"])
    assert result.exit_code == 0, result.output
    import crypto

    with app.app_context(), pytest.raises(crypto.KeyDestroyed):
        from cases.inquiries.models import LocationInquiry

        crypto.get_context()._by_id.clear()
        _ = db.session.scalars(sa.select(LocationInquiry)).one().question


def test_an_inquiry_about_a_shelter_resident_alerts_its_coordinator_with_date_and_channel_only(  # type: ignore[no-untyped-def]
        app, make_user, make_case) -> None:
    from tests.shelters.helpers import admit, make_shelter, request_for

    counsellor, coordinator, other_coordinator = make_user("counsellor"), make_user("coordinator"), \
        make_user("coordinator")
    case = make_case(counsellor, applicant_name="Elif Şahin")
    shelter = make_shelter(app, make_user("admin"), coordinators=(coordinator,))
    make_shelter(app, make_user("admin"), coordinators=(other_coordinator,))
    request_id = request_for(app, case, shelter, counsellor, children=False)
    from app.dates import local_today

    admit(app, shelter, request_id, coordinator, [0], starts_on=local_today())
    client = app.test_client()
    factories.login_as(client, counsellor)
    assert record(client, about="Elif Şahin", channel="door").status_code == 302
    mine = app.test_client()
    factories.login_as(mine, coordinator)
    html = mine.get("/").get_data(as_text=True)
    assert 'id="panel-inquiry-alerts"' in html and "At the door" in html
    assert QUESTION not in html and "Kardeşiyim" not in html and case.number not in html
    other = app.test_client()
    factories.login_as(other, other_coordinator)
    assert 'id="panel-inquiry-alerts"' not in other.get("/").get_data(as_text=True)


def test_malformed_inquiries_are_422_and_not_saved(app, make_user) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    factories.login_as(client, make_user("counsellor"))
    for bad in ({"question": ""}, {"channel": "pigeon"}, {"occurred_at": "2999-01-01T10:00"},
                {"occurred_at": "dün"}, {"question": "a\x00b"}):
        assert record(client, **bad).status_code == 422, bad
    assert inquiries(app) == []


def _add_inquiries(app, user, n: int, when, channel: str) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.inquiries.services import record_inquiry

    with app.test_request_context("/"):
        actor = db.session.get(User, user.id)
        for _ in range(n):
            record_inquiry(actor, channel=channel, occurred_at=when, asker=None, question="İSTATİSTİK-İZ soru",
                           answer=None, notes=None)
        db.session.commit()


def test_statistics_count_inquiries_per_month_and_channel_per_centre(app, make_user) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from app.reports.registry import Period
    from cases.inquiries.reports import sections
    from tests.factories import make_centre

    supervisor = make_user("supervisor")
    utc = dt.UTC
    _add_inquiries(app, supervisor, 6, dt.datetime(2025, 3, 14, 10, tzinfo=utc), "phone")
    _add_inquiries(app, supervisor, 2, dt.datetime(2025, 4, 2, 10, tzinfo=utc), "door")
    _add_inquiries(app, supervisor, 1, dt.datetime(2024, 12, 31, 23, tzinfo=utc), "door")   # the year before
    other = make_user("supervisor", centre=make_centre(app, code="OTH", name="Kadıköy Merkezi"))
    _add_inquiries(app, other, 3, dt.datetime(2025, 3, 5, 10, tzinfo=utc), "message")
    with app.test_request_context("/"):
        [table] = sections([supervisor.centre_id], Period.year(2025))
        assert table.key == "location-inquiries" and len(table.counts) == 12
        phone, door, message = (list(table.col_labels).index(label)
                                for label in ("Phone call", "At the door", "Message (text, e-mail, social media)"))
        assert table.counts[2][phone] == 6 and table.counts[3][door] == 2
        assert sum(map(sum, table.counts)) == 8 and all(row[message] == 0 for row in table.counts)
        dumped = repr(table)
        assert "İSTATİSTİK-İZ" not in dumped


def test_published_inquiry_figures_are_suppressed(app, make_user, page) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tests.reports.helpers import add_cases, publish
    from tests.reports.helpers import table as page_table

    counsellor, supervisor, admin = make_user("counsellor"), make_user("supervisor"), make_user("admin")
    add_cases(app, counsellor, 20, applied_on=dt.date(2025, 3, 9), named=False)  # enough to publish the centre
    _add_inquiries(app, supervisor, 6, dt.datetime(2025, 3, 14, 10, tzinfo=dt.UTC), "phone")
    _add_inquiries(app, supervisor, 2, dt.datetime(2025, 4, 2, 10, tzinfo=dt.UTC), "door")
    publish(app, admin)
    client = app.test_client()
    factories.login_as(client, supervisor)
    html = page(client, "/reports/?year=2025").get_data(as_text=True)
    rows = {row[0]: row[1:] for row in page_table(html, "location-inquiries")[1:]}
    header = page_table(html, "location-inquiries")[0]
    door = header.index("At the door") - 1
    assert rows["April 2025"][door] == "<5"
    for row in rows.values():
        for cell in row:
            assert not (cell.isdigit() and 0 <= int(cell) <= 4), rows


@pytest.mark.parametrize(("typed", "expected"), [
    ("byk-2026-0042", "BYK-2026-0042"),
    (" BYK - 2026 - 0042 ", "BYK-2026-0042"),
    ("ſyk-2026-0042", None),        # "ſ".upper() is "S": a non-ASCII word must not meet a case number
    ("\ufb01x-2026-0042", None),      # the ligature "ﬁ" upper-cases to "FI"
    ("ayşe yılmaz", None),
    ("BYK-26-1", None),
])
def test_only_ascii_text_is_read_as_a_case_number(typed: str, expected: str | None) -> None:
    from cases.inquiries.services import case_number_of

    assert case_number_of(typed) == expected


def test_the_link_form_takes_the_number_in_any_case_and_nothing_else(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    case = make_case(make_user("counsellor"))
    c = app.test_client()
    factories.login_as(c, supervisor)
    assert record(c).status_code == 302
    [(_, uid, _, _)] = inquiries(app)
    token = factories.csrf_token(c, "/cases/inquiries/")
    r = c.post(f"/cases/inquiries/{uid}/link", data={"case_number": "ſ" + case.number, "csrf_token": token})
    assert r.status_code == 303 and inquiries(app)[0][2] is None
    r = c.post(f"/cases/inquiries/{uid}/link", data={"case_number": f" {case.number.lower()} ", "csrf_token": token})
    assert r.status_code == 302
    assert inquiries(app)[0][2] == case.id
