"""Step-up (issue 13 §3): break-glass, exports, printouts and credential changes ask for a fresh second factor — a
TOTP code entered in this session within the last few minutes (signing in counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import csrf_token, fresh_code, login_as

# (role, method, url) of every sensitive action with a web route.
SENSITIVE = [
    ("counsellor", "GET", "/cases/break-glass"),
    ("auditor", "GET", "/audit/export.csv"),
    ("supervisor", "GET", "/reports/export.csv"),
    ("supervisor", "GET", "/reports/print"),
    ("counsellor", "GET", "/account/password"),
    ("admin", "POST", "/admin/users/{other}/reset-sign-in"),
    ("supervisor", "POST", "/account-requests/{request}/confirm"),
    # printouts and the KVKK report of a case (added after the first list: each one printed her whole file)
    ("counsellor", "GET", "/cases/{case}/papers/summary"),
    ("counsellor", "GET", "/cases/{case}/papers/safety-plan"),
    ("counsellor", "GET", "/cases/{case}/papers/kvkk"),
    ("supervisor", "GET", "/cases/{case}/kvkk-report"),
    ("counsellor", "GET", "/cases/{case}/referrals/{referral}/letter"),
    ("counsellor", "GET", "/cases/{case}/consents/{consent}/form"),
]


def _age_step_up(app, user_id: int, minutes: int = 6) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import UserSession

    with app.app_context():
        for s in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user_id)):
            assert s.step_up_at is not None
            s.step_up_at -= timedelta(minutes=minutes)
        db.session.commit()


def _pending_request(app, make_user, centre) -> str:  # type: ignore[no-untyped-def]
    """An admin's request for a new counsellor, waiting for a supervisor of the centre: its Confirm button's id."""
    import re

    admin = app.test_client()
    login_as(admin, make_user("admin"))
    r = admin.post("/admin/users/new", data={"csrf_token": csrf_token(admin, "/admin/users/new"), "role": "counsellor",
                                             "email": "yeni@example.org", "name": "Yeni Danışman",
                                             "centre": centre.code})
    assert r.status_code in (200, 302)
    supervisor = app.test_client()
    login_as(supervisor, make_user("supervisor"))
    match = re.search(r'action="/account-requests/([0-9a-f-]+)/confirm"',
                      supervisor.get("/account-requests/").get_data(as_text=True))
    assert match, "no pending request on the supervisor's page"
    return match.group(1)


@pytest.mark.parametrize(("role", "method", "url"), SENSITIVE, ids=[u for _r, _m, u in SENSITIVE])
def test_sensitive_actions_ask_for_a_fresh_code(app, client, centre, make_user, make_case, role, method,
                                                url) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role)
    other = make_user("auditor")
    counsellor = user if role == "counsellor" else make_user("counsellor")
    case = make_case(counsellor)
    request = _pending_request(app, make_user, centre) if "{request}" in url else ""
    consent = referral = ""
    if "{consent}" in url or "{referral}" in url:  # her supervisor prepares them (the counsellor signs in below)
        from tests.cases.test_referrals import create_consent, create_referral

        preparer = app.test_client()
        login_as(preparer, make_user("supervisor"))
        consent = create_consent(preparer, case)
        referral = create_referral(preparer, case, consent=consent)
    url = url.format(other=other.public_id, case=case.public_id, request=request, consent=consent, referral=referral)
    login_as(client, user)

    def call():  # type: ignore[no-untyped-def]
        if method == "GET":
            return client.get(url)
        return client.post(url, data={"csrf_token": csrf_token(client, "/")})

    assert not call().headers.get("Location", "").startswith("/account/confirm")  # just signed in: fresh
    _age_step_up(app, user.id)
    r = call()
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/confirm?next=")
    confirm = r.headers["Location"]
    wrong = client.post(confirm, data={"code": "000000", "csrf_token": csrf_token(client, confirm)})
    assert wrong.status_code == 422
    ok = client.post(confirm, data={"code": fresh_code(app, user), "csrf_token": csrf_token(client, confirm)})
    assert ok.status_code == 302 and ok.headers["Location"].split("?")[0] == url.split("?")[0]
    assert not call().headers.get("Location", "").startswith("/account/confirm")


def test_step_up_is_audited_and_a_recovery_code_does_not_do(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.auth import mfa
    from app.db import db
    from app.users.models import User

    user = make_user("auditor")
    with app.app_context():
        me = db.session.get(User, user.id)
        assert me is not None
        recovery = mfa.new_recovery_codes(me)[0]
        db.session.commit()
    login_as(client, user)
    _age_step_up(app, user.id)
    confirm = client.get("/audit/export.csv").headers["Location"]
    r = client.post(confirm, data={"code": recovery, "csrf_token": csrf_token(client, confirm)})
    assert r.status_code == 422
    r = client.post(confirm, data={"code": "000000", "csrf_token": csrf_token(client, confirm)})
    assert r.status_code == 422
    client.post(confirm, data={"code": fresh_code(app, user), "csrf_token": csrf_token(client, confirm)})
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.step-up")
                                  .order_by(AuditEvent.seq)).all()
        assert [(e.outcome, e.actor_email) for e in rows] == [("failure", user.email), ("success", user.email)]
