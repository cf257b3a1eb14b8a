"""What was typed at intake, kept server-side while the returning-applicant check and "Continue in her file" answer
with a redirect (issue 16): the pages are fetched by GET with only the draft's opaque id, so Back and reload show
them again; the draft is encrypted, bound to the user's session, expires, and goes when the intake is saved."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import case_id_from, draft_page, intake_form, post_intake

MARKER = "Şerife Kırmızıgül"


def _drafts(app) -> list:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.intake.models import IntakeDraft

    with app.app_context():
        return list(db.session.execute(sa.select(IntakeDraft.public_id, IntakeDraft.form_ct)).all())


def _check_now(client, **overrides):  # type: ignore[no-untyped-def]
    return post_intake(client, full_name=MARKER, narrative="Yine kovuldu.", check_now="Check now", **overrides)


def test_check_now_redirects_to_a_page_by_opaque_id_that_reload_shows_again(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, make_user("counsellor"))
    r = _check_now(client)
    assert r.status_code == 303
    location = r.headers["Location"]
    assert "?" not in location and "Kırmızıgül" not in location and "K%C4%B1rm" not in location
    for _ in range(2):  # the page and its reload (or Back to it)
        page = client.get(location)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'value="{MARKER}"' in html and "Yine kovuldu." in html
        assert "No earlier application at this centre" in html
        assert f'name="draft" type="hidden" value="{location.rsplit("/", 1)[1]}"' in html
    [(public_id, sealed)] = _drafts(app)
    assert str(public_id) == location.rsplit("/", 1)[1]
    assert MARKER.encode() not in sealed and b"Yine kovuldu" not in sealed  # encrypted


def test_check_now_again_keeps_the_same_draft_and_saving_deletes_it(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    first = _check_now(client).headers["Location"]
    draft = first.rsplit("/", 1)[1]
    again = _check_now(client, draft=draft, phone="0532 111 22 33")
    assert again.headers["Location"] == first  # changed in place: Back to the earlier URL shows what is typed now
    assert 'value="0532 111 22 33"' in client.get(first).get_data(as_text=True)
    assert len(_drafts(app)) == 1
    case_id_from(post_intake(client, full_name=MARKER, draft=draft))
    assert _drafts(app) == []  # saved: nothing of hers is kept beside her case


def test_continue_in_her_file_is_fetched_by_get_and_saving_the_application_deletes_the_draft(  # type: ignore[no-untyped-def]
        app, client, make_user, make_case) -> None:
    counsellor = make_user("counsellor")
    earlier = make_case(counsellor, applicant_name=MARKER)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, counsellor)
    html = draft_page(client, _check_now(client)).get_data(as_text=True)
    assert earlier.number in html
    draft = re.search(r'name="draft" type="hidden" value="([0-9a-f-]{36})"', html).group(1)  # type: ignore[union-attr]
    data = intake_form(full_name=MARKER, narrative="Yine kovuldu.", draft=draft,
                       children=[("Deniz Kırmızıgül", "girl", 2019)])
    data["csrf_token"] = factories.csrf_token(client, "/cases/new")
    r = client.post(f"/cases/{earlier.public_id}/applications/new", data=data)
    assert r.status_code == 303
    assert r.headers["Location"] == f"/cases/{earlier.public_id}/applications/new/{draft}"
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Yine kovuldu." in html and "A child not in her file: Deniz Kırmızıgül" in html
    # Back to the intake page by its own URL: what was typed on the way is there too.
    assert 'value="Deniz Kırmızıgül"' in client.get(f"/cases/new/{draft}").get_data(as_text=True)
    data.update(csrf_token=factories.csrf_token(client, "/cases/new"), save_application="1", bring_in=["child:0"])
    r = client.post(f"/cases/{earlier.public_id}/applications/new", data=data)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{earlier.public_id}")
    assert _drafts(app) == []
    assert client.get(f"/cases/new/{draft}").status_code == 404


def test_another_users_or_sessions_draft_is_an_audited_404(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent, Outcome
    from app.db import db

    counsellor = make_user("counsellor")
    earlier = make_case(counsellor, applicant_name=MARKER)
    factories.login_as(client, counsellor)
    location = _check_now(client).headers["Location"]
    draft = location.rsplit("/", 1)[1]
    for other in (make_user("counsellor"), make_user("supervisor"), counsellor):  # the last: her other session
        intruder = app.test_client()
        factories.login_as(intruder, other)
        for url in (location, f"/cases/{earlier.public_id}/applications/new/{draft}"):
            r = intruder.get(url)
            assert r.status_code == 404, (other.role, url)
            assert MARKER not in r.get_data(as_text=True)
    with app.app_context():
        denied = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.intake-draft")).all()
        # both pages for the supervisor and for her own other session; the colleague is refused the case first
        # on the application page (another counsellor's case is not hers to edit), the draft on the intake page
        assert len(denied) == 5 and all(e.outcome == Outcome.DENIED for e in denied)
        assert all(str(e.object_id) == draft for e in denied)
    assert client.get(location).status_code == 200  # still hers, in her session


def test_a_made_up_or_malformed_draft_id_is_a_404_never_a_500(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    factories.login_as(client, make_user("counsellor"))
    assert client.get("/cases/new/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/cases/new/not-a-uuid").status_code == 404
    # a hidden draft field that is nonsense, or someone else's, starts a draft of her own
    r = _check_now(client, draft="x" * 36)
    assert r.status_code == 303 and client.get(r.headers["Location"]).status_code == 200


def test_an_expired_draft_says_so_and_keeps_nothing(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.intake.models import IntakeDraft
    from cases.intake.services import DRAFT_TTL

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    factories.login_as(client, make_user("counsellor"))
    location = _check_now(client).headers["Location"]
    with app.app_context():
        db.session.execute(sa.update(IntakeDraft).values(updated_at=utcnow() - DRAFT_TTL - timedelta(seconds=1)))
        db.session.commit()
    for _ in range(2):
        r = client.get(location)
        assert r.status_code == 410
        html = r.get_data(as_text=True)
        assert "This intake has expired" in html and "kept for 30 minutes only" in html and MARKER not in html
    [(_public_id, sealed)] = _drafts(app)
    assert sealed is None  # nothing of what was typed is kept
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "tr"
    assert "Bu başvuru formunun süresi doldu" in client.get(location).get_data(as_text=True)


def test_a_draft_goes_when_its_session_ends(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from app.users.models import UserSession

    counsellor = make_user("counsellor")
    factories.login_as(client, counsellor)
    location = _check_now(client).headers["Location"]
    other = app.test_client()
    factories.login_as(other, counsellor)
    _check_now(other)
    assert len(_drafts(app)) == 2
    client.post("/logout", data={"csrf_token": factories.csrf_token(client, "/")})  # signed out: hers goes
    assert [str(public_id) for public_id, _ in _drafts(app)] != [location.rsplit("/", 1)[1]]
    assert len(_drafts(app)) == 1
    with app.app_context():  # the other session times out (idle): its draft goes on its next request
        db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    other.get("/")
    assert _drafts(app) == []


def test_every_session_of_the_user_ended_takes_their_drafts_but_the_kept_one(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.auth import sessions
    from app.db import db
    from app.users.models import User

    counsellor = make_user("counsellor")
    factories.login_as(client, counsellor)
    _check_now(client)
    other = make_user("counsellor")
    colleague = app.test_client()
    factories.login_as(colleague, other)
    _check_now(colleague)
    with app.test_request_context():
        sessions.end_all_sessions(db.session.get(User, counsellor.id), "password-change")
        db.session.commit()
    assert len(_drafts(app)) == 1  # the colleague's is hers to keep
    assert client.get("/cases/new").status_code != 200  # signed out


def test_a_session_keeps_at_most_its_newest_drafts(app, client, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cases.intake import services

    monkeypatch.setattr(services, "DRAFTS_PER_SESSION", 3)
    factories.login_as(client, make_user("counsellor"))
    locations = [_check_now(client).headers["Location"] for _ in range(5)]
    assert len(set(locations)) == 5 and len(_drafts(app)) == 3
    assert [client.get(url).status_code for url in locations] == [404, 404, 200, 200, 200]


def test_a_draft_older_than_any_session_goes_whoever_keeps_the_next(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.intake.models import IntakeDraft

    factories.login_as(client, make_user("counsellor"))
    _check_now(client)
    colleague = app.test_client()
    factories.login_as(colleague, make_user("counsellor"))
    _check_now(colleague)
    with app.app_context():  # hers was typed in a session that ended long ago (the browser was just closed)
        db.session.execute(sa.update(IntakeDraft).where(IntakeDraft.id == sa.select(sa.func.min(IntakeDraft.id))
                                                        .scalar_subquery())
                           .values(updated_at=utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"]
                                   - timedelta(seconds=1)))
        db.session.commit()
    assert len(_drafts(app)) == 2
    _check_now(colleague)  # a new draft of the colleague's
    assert len(_drafts(app)) == 2  # the stale one went, the colleague has two
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(sa.distinct(IntakeDraft.user_id)))) == 1
