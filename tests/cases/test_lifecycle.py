"""Team, transfer, closure and reopening as a supervisor and counsellors see them."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post

CHECKLIST = ["needs-met-or-referred", "safety-plan-reviewed", "referrals-followed-up", "woman-informed",
             "told-can-return", "records-complete"]


def _client(app, user):  # type: ignore[no-untyped-def]
    c = app.test_client()
    factories.login_as(c, user)
    return c


def test_team_change_gives_and_removes_access(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    first, second, third = make_user("counsellor"), make_user("counsellor"), make_user("counsellor")
    case = make_case(first)
    c2, c3 = _client(app, second), _client(app, third)
    assert c2.get(f"/cases/{case.public_id}").status_code == 404
    sup = _client(app, make_user("supervisor"))
    manage = f"/cases/{case.public_id}/manage"
    page(sup, manage)
    r = post(sup, f"/cases/{case.public_id}/team", {"primary": str(second.public_id),
                                                    "members": [str(third.public_id)]}, token_url=manage)
    assert r.status_code == 302
    page(c2, f"/cases/{case.public_id}")
    page(c3, f"/cases/{case.public_id}")
    c1 = _client(app, first)
    assert c1.get(f"/cases/{case.public_id}").status_code == 404  # the old primary lost access
    # and back: third leaves the team
    r = post(sup, f"/cases/{case.public_id}/team", {"primary": str(second.public_id), "members": []},
             token_url=manage)
    assert r.status_code == 302
    assert c3.get(f"/cases/{case.public_id}").status_code == 404


def test_team_only_active_counsellors_of_the_centre(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    other_centre = factories.make_centre(app)
    outsider = factories.make_user(app, "counsellor", centre=other_centre)
    disabled = make_user("counsellor", active=False)
    coordinator = make_user("coordinator")
    sup = _client(app, make_user("supervisor"))
    manage = f"/cases/{case.public_id}/manage"
    for candidate in (outsider, disabled, coordinator):
        r = post(sup, f"/cases/{case.public_id}/team", {"primary": str(candidate.public_id)}, token_url=manage)
        assert r.status_code == 422, candidate.role
        r = post(sup, f"/cases/{case.public_id}/team", {"primary": str(counsellor.public_id),
                                                        "members": [str(candidate.public_id)]}, token_url=manage)
        assert r.status_code == 422
    r = post(sup, f"/cases/{case.public_id}/team", {"primary": "not-a-uuid"}, token_url=manage)
    assert r.status_code == 422
    # counsellors cannot manage
    c = _client(app, counsellor)
    assert c.get(manage).status_code == 404
    assert post(c, f"/cases/{case.public_id}/team", {"primary": str(counsellor.public_id)}).status_code == 404


def test_transfer_moves_access_to_the_other_centre(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor, teammate = make_user("counsellor"), make_user("counsellor")
    case = make_case(counsellor, team=(teammate,))
    other = factories.make_centre(app, code="KDK", name="Kadıköy Kadın Dayanışma Merkezi")
    their_sup = factories.make_user(app, "supervisor", centre=other)
    their_counsellor = factories.make_user(app, "counsellor", centre=other)
    supervisor = make_user("supervisor")
    sup = _client(app, supervisor)
    assert _client(app, their_sup).get(f"/cases/{case.public_id}").status_code == 404
    manage = f"/cases/{case.public_id}/manage"
    html = page(sup, manage).get_data(as_text=True)
    assert "Kadıköy" in html
    assert post(sup, f"/cases/{case.public_id}/transfer", {"centre": str(other.public_id), "reason": "kısa"},
                token_url=manage).status_code == 422
    r = post(sup, f"/cases/{case.public_id}/transfer",
             {"centre": str(other.public_id), "reason": "Kadın Kadıköy'e taşındı, orada destek alacak."},
             token_url=manage)
    assert r.status_code == 302
    for user in (counsellor, teammate):
        assert _client(app, user).get(f"/cases/{case.public_id}").status_code == 404
    assert sup.get(f"/cases/{case.public_id}").status_code == 404
    receiving = _client(app, their_sup)
    html = page(receiving, f"/cases/{case.public_id}").get_data(as_text=True)
    assert case.number in html and "Ayşe Yılmaz" in html and "Case transferred" in html
    assert "Not assigned" in html
    # the receiving supervisor assigns her own counsellor, who can then open it
    r = post(receiving, f"/cases/{case.public_id}/team", {"primary": str(their_counsellor.public_id)},
             token_url=f"/cases/{case.public_id}/manage")
    assert r.status_code == 302
    page(_client(app, their_counsellor), f"/cases/{case.public_id}")
    # numbering at the old centre carries on without clashing with the transferred case's number
    new_case = make_case(counsellor, applicant_name="Yeni Kadın", tckn=None, phone=None)
    assert new_case.number != case.number
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "case.transfer"))
        assert event.case_number == case.number and "KDK" in event.details


def test_close_requires_checklist_or_explanation_then_read_only(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor, teammate = make_user("counsellor"), make_user("counsellor")
    case = make_case(counsellor, team=(teammate,))
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/close"
    page(c, url)
    std = {"risk_at_closure": "standard"}
    assert post(c, url, {"reason": "goals-met", "checklist": CHECKLIST[:2], **std}, token_url=url).status_code == 422
    assert post(c, url, {"reason": "", "checklist": CHECKLIST, **std}, token_url=url).status_code == 422
    assert post(c, url, {"reason": "bored", "checklist": CHECKLIST, **std}, token_url=url).status_code == 422
    assert post(c, url, {"reason": "goals-met", "checklist": CHECKLIST}, token_url=url).status_code == 422  # no risk
    # a team member (not primary) cannot close
    t = _client(app, teammate)
    assert post(t, url, {"reason": "goals-met", "checklist": CHECKLIST, **std}, token_url=url).status_code == 422
    r = post(c, url, {"reason": "moved-away", "checklist": CHECKLIST[:3], **std,
                      "explanation": "Kayıtlar yeni merkeze gönderilecek."}, token_url=url)
    assert r.status_code == 302
    # the counsellor asked; her supervisor decides
    html = page(c, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "This case is closed" not in html and "Waiting for a supervisor" in html
    sup = _client(app, make_user("supervisor"))
    decide = f"/cases/{case.public_id}/closure-request"
    assert post(sup, decide, {"decision": "approve"}, token_url=decide).status_code == 302
    html = page(c, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "This case is closed" in html and "Moved away" in html
    assert "Kayıtlar yeni merkeze gönderilecek." in html  # the closure entry in the timeline
    assert 'action="/cases/' + str(case.public_id) + '/notes"' not in html  # no note form
    # read-only for counsellors: adding a note is refused
    r = post(c, f"/cases/{case.public_id}/notes", {"kind": "legal", "occurred_on": "2026-11-03", "text": "x"},
             token_url=f"/cases/{case.public_id}")
    assert r.status_code == 404
    assert c.get(url).status_code == 404
    assert c.get(f"/cases/{case.public_id}/reopen").status_code == 404  # counsellors cannot reopen


def test_supervisor_closes_and_reopens(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    sup = _client(app, make_user("supervisor"))
    url = f"/cases/{case.public_id}/close"
    assert post(sup, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "standard"},
                token_url=url).status_code == 302
    # notes on a closed case are refused even for a supervisor, with a message
    r = post(sup, f"/cases/{case.public_id}/notes", {"kind": "legal", "occurred_on": "2026-11-03", "text": "x"},
             token_url=f"/cases/{case.public_id}")
    assert r.status_code == 422 and "Reopen it before adding notes" in r.get_data(as_text=True)
    reopen = f"/cases/{case.public_id}/reopen"
    page(sup, reopen)
    assert post(sup, reopen, {"reason": "kısa"}, token_url=reopen).status_code == 422
    r = post(sup, reopen, {"reason": "Yeni bir olay oldu, tekrar başvurdu."}, token_url=reopen)
    assert r.status_code == 302
    html = page(sup, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Yeni bir olay oldu, tekrar başvurdu." in html and "Case reopened" in html
    c = _client(app, counsellor)
    r = post(c, f"/cases/{case.public_id}/notes", {"kind": "legal", "occurred_on": "2026-11-03",
                                                    "text": "Yeniden açıldı"}, token_url=f"/cases/{case.public_id}")
    assert r.status_code == 302
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_number == case.number)))
    assert {"case.close", "case.reopen"} <= actions
