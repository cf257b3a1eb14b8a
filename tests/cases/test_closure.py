"""Closing a file is a supervisor's decision (issue 18 §4): the counsellor asks with the checklist, the supervisor
approves or returns it with comments, a high-risk case closes only with her recorded reason, reopening keeps the
history."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_lifecycle import CHECKLIST, _client


def _status(app, case) -> str:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        return db.session.get(Case, case.id).status.value  # type: ignore[union-attr]


def test_high_risk_case_needs_the_supervisors_written_reason(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, risk_level="high")
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/close"
    html = page(c, url).get_data(as_text=True)
    assert "high-risk case" in html
    # lowering the level at closure without a word is refused
    r = post(c, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "standard"}, token_url=url)
    assert r.status_code == 422 and "lower than the last assessed level" in r.get_data(as_text=True)
    assert post(c, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "high"},
                token_url=url).status_code == 302
    assert _status(app, case) != "closed"
    # a second request while one waits is refused
    assert post(c, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "high"},
                token_url=url).status_code == 422
    decide = f"/cases/{case.public_id}/closure-request"
    assert c.get(decide).status_code == 404  # a counsellor never decides
    other_sup = _client(app, factories.make_user(app, "supervisor", centre=factories.make_centre(app, code="KDK")))
    assert other_sup.get(decide).status_code == 404
    sup = _client(app, make_user("supervisor"))
    html = page(sup, decide).get_data(as_text=True)
    assert "approve its closure only with a written reason" in html
    r = post(sup, decide, {"decision": "approve"}, token_url=decide)
    assert r.status_code == 422 and "write the reason for approving" in r.get_data(as_text=True)
    assert _status(app, case) != "closed"
    # the supervisor cannot close directly without a reason either
    r = post(sup, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "high"}, token_url=decide)
    assert r.status_code == 302 and r.headers["Location"].endswith("/closure-request")  # a request waits: decide
    r = post(sup, decide, {"decision": "approve", "note": "Başka ile taşındı, orada ŞÖNİM takipte."},
             token_url=decide)
    assert r.status_code == 302
    assert _status(app, case) == "closed"
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.case_number == case.number)))
    assert {"case.closure-request", "case.closure-approve", "case.close"} <= actions


def test_supervisor_closing_a_high_risk_case_directly_must_give_a_reason(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case(make_user("counsellor"), risk_level="high")
    sup = _client(app, make_user("supervisor"))
    url = f"/cases/{case.public_id}/close"
    data = {"reason": "her-request", "checklist": CHECKLIST, "risk_at_closure": "high"}
    r = post(sup, url, data, token_url=url)
    assert r.status_code == 422 and "write the reason for approving" in r.get_data(as_text=True)
    assert _status(app, case) == "open"
    assert post(sup, url, {**data, "decision_note": "Kendi isteğiyle, güvenlik planı gözden geçirildi."},
                token_url=url).status_code == 302
    assert _status(app, case) == "closed"


def test_returned_request_goes_back_with_comments_and_reopening_keeps_history(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c, sup = _client(app, counsellor), _client(app, make_user("supervisor"))
    url, decide = f"/cases/{case.public_id}/close", f"/cases/{case.public_id}/closure-request"
    data = {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "standard"}
    assert post(c, url, data, token_url=url).status_code == 302
    assert post(sup, decide, {"decision": "return"}, token_url=decide).status_code == 422  # comments required
    assert post(sup, decide, {"decision": "return", "note": "Önce yönlendirmeyi takip edin."},
                token_url=decide).status_code == 302
    html = page(c, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "returned the closure request" in html and "Önce yönlendirmeyi takip edin." in html
    assert _status(app, case) == "open"
    assert post(c, url, data, token_url=url).status_code == 302  # she may ask again
    assert post(sup, decide, {"decision": "approve"}, token_url=decide).status_code == 302
    reopen = f"/cases/{case.public_id}/reopen"
    assert post(sup, reopen, {"reason": "Yeni bir olay oldu, tekrar başvurdu."}, token_url=reopen).status_code == 302
    html = page(c, f"/cases/{case.public_id}").get_data(as_text=True)
    assert _status(app, case) == "active"
    assert html.count("Returned with comments") == 1 and html.count(">Approved<") + html.count("Approved ·") >= 1
    assert "Önce yönlendirmeyi takip edin." in html  # the returned request is still on record


def test_no_contact_closes_only_after_the_set_period(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/close"
    note = {"kind": "phone", "occurred_on": factories_today(), "text": "Aradı, iyi."}
    assert post(c, f"/cases/{case.public_id}/notes", note, token_url=f"/cases/{case.public_id}").status_code == 302
    r = post(c, url, {"reason": "no-contact", "checklist": CHECKLIST, "risk_at_closure": "standard"}, token_url=url)
    assert r.status_code == 422 and "days without contact" in r.get_data(as_text=True)


def factories_today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


def test_closure_texts_are_encrypted_at_rest(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/close"
    marker = "GİZLİ-KAPANIŞ-AÇIKLAMASI"
    assert post(c, url, {"reason": "goals-met", "checklist": CHECKLIST[:2], "risk_at_closure": "standard",
                         "explanation": marker}, token_url=url).status_code == 302
    from app.db import db

    with app.app_context():
        raw = db.session.execute(sa.text("SELECT explanation_ct, reason FROM closure_requests")).one()
    assert marker.encode() not in raw[0] and raw[1] == "goals-met"
