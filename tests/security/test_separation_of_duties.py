"""No one can borrow an account (DESIGN.md §1, §3.9): an administrator never knows a working credential of another
person; a case-reading account is created, re-enabled or reset only with a supervisor of its centre confirming; the
person sets her own password and enrols her own authenticator with a one-time code; she is told of a reset."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import csrf_token, shown_secret

NEW = "/admin/users/new"
CHOSEN = "kırmızı bisiklet dağ evi"
HERS = "mavi deniz uzun yürüyüş İğ"


def _edit(user) -> str:  # type: ignore[no-untyped-def]
    return f"/admin/users/{user.public_id}"


def _post(client, page_url: str, url: str, **data):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, page_url), **data})


def _code_on(html: str) -> str:
    match = re.search(r'<p class="activation-code"><code>([A-Z2-7-]+)</code></p>', html)
    assert match, "no activation code on the page"
    return match.group(1)


def _no_code_on(html: str) -> None:
    assert 'class="activation-code"' not in html and 'class="secret"' not in html and "<svg" not in html


def _password_ok(app, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    browser = app.test_client()
    r = browser.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(browser, "/login")})
    return r.status_code == 302


def _events(app, action: str):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        return [(e.outcome, e.actor_email, e.object_id, e.is_highlighted) for e in rows]


def _confirm(supervisor_client, target_email: str):  # type: ignore[no-untyped-def]
    """The supervisor's Confirm button on her account-requests page, for ``target_email``'s request."""
    html = supervisor_client.get("/account-requests/").get_data(as_text=True)
    row = next(r for r in html.split("<tr>") if target_email in r)
    url = re.search(r'action="(/account-requests/[0-9a-f-]+/confirm)"', row)
    assert url
    return _post(supervisor_client, "/account-requests/", url.group(1))


def _activate(app, email: str, code: str, password: str = HERS):  # type: ignore[no-untyped-def]
    """She activates: her own password, then her own authenticator. Returns her browser (signed in), her key and the
    page that follows (her recovery codes)."""
    browser = app.test_client()
    r = _post(browser, "/activate", "/activate", email=email, code=code, new_password=password,
              confirm_password=password)
    assert r.status_code == 302 and r.headers["Location"] == "/login/setup", r.status_code
    secret = shown_secret(browser.get("/login/setup").get_data(as_text=True))
    r = _post(browser, "/login/setup", "/login/setup", code=pyotp.TOTP(secret).now())
    assert r.status_code == 200
    return browser, secret, r.get_data(as_text=True)


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user("admin", name="Zeynep Yönetici")


@pytest.fixture
def admin_client(app, admin, login_as):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, admin)
    return client


@pytest.fixture
def supervisor(make_user):  # type: ignore[no-untyped-def]
    return make_user("supervisor", name="Şule Sorumlu")


@pytest.fixture
def supervisor_client(app, supervisor, login_as):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, supervisor)
    return client


def test_admin_resetting_a_supervisor_learns_no_working_credential(app, admin, admin_client, make_user) -> None:  # type: ignore[no-untyped-def]
    """Reproduced before: the admin set a supervisor's password (or reset her MFA), signed in as her, read cases."""
    victim = make_user("supervisor")
    # the old way: a password the admin chooses
    _post(admin_client, _edit(victim), _edit(victim) + "/password", new_password=CHOSEN, confirm_new_password=CHOSEN)
    _post(admin_client, _edit(victim), _edit(victim) + "/reset-mfa")
    # the new way: a reset request, which for a case reader waits for a supervisor
    r = _post(admin_client, _edit(victim), _edit(victim) + "/reset-sign-in")
    _no_code_on(r.get_data(as_text=True))
    _no_code_on(admin_client.get(r.headers.get("Location", _edit(victim))).get_data(as_text=True))
    assert not _password_ok(app, victim.email, CHOSEN)
    # nothing has changed for her yet: her own password and authenticator still work
    assert _password_ok(app, victim.email, victim.password)
    # on record, and highlighted for auditors
    assert _events(app, "users.credentials-reset-request") == [("success", admin.email, str(victim.public_id), True)]


def test_admin_creates_a_case_reader_without_credentials(app, admin_client, centre) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    form = admin_client.get(NEW).get_data(as_text=True)
    assert 'type="password"' not in form
    r = _post(admin_client, NEW, NEW, email="elif@example.org", name="Elif Yıldız", role="counsellor",
              centre=centre.code, password=CHOSEN, confirm_password=CHOSEN)
    assert r.status_code == 200
    _no_code_on(r.get_data(as_text=True))
    assert "supervisor" in r.get_data(as_text=True)
    assert not _password_ok(app, "elif@example.org", CHOSEN)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "elif@example.org"))
        assert user is not None and user.totp_secret_enc is None and CHOSEN not in user.password_hash


def test_supervisor_confirms_and_she_activates_herself(app, admin, admin_client, supervisor, supervisor_client,
                                                       centre) -> None:  # type: ignore[no-untyped-def]
    _post(admin_client, NEW, NEW, email="elif@example.org", name="Elif Yıldız", role="counsellor", centre=centre.code)
    # before the confirmation no code exists: nothing the admin saw opens the account
    r = _confirm(supervisor_client, "elif@example.org")
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
    code = _code_on(r.get_data(as_text=True))
    assert len(code.replace("-", "")) * 5 >= 120  # 120 random bits
    assert "elif@example.org" not in supervisor_client.get("/account-requests/").get_data(as_text=True)
    assert [(e[1], e[3]) for e in _events(app, "users.account-confirm")] == [(supervisor.email, True)]

    # the wrong email with the right code, and a mistyped code, get nothing
    browser = app.test_client()
    mistyped = code[:-1] + ("B" if code[-1].upper() == "A" else "A")  # never the code itself (1 in 32 otherwise)
    for email, typed in (("other@example.org", code), ("elif@example.org", mistyped)):
        r = _post(browser, "/activate", "/activate", email=email, code=typed, new_password=HERS,
                  confirm_password=HERS)
        assert r.status_code == 422 and "does not work" in r.get_data(as_text=True)
    browser, _secret, _html = _activate(app, "elif@example.org", code.lower())  # case and dashes do not matter
    assert browser.get("/").status_code == 200
    # single use
    r = _post(app.test_client(), "/activate", "/activate", email="elif@example.org", code=code,
              new_password=CHOSEN, confirm_password=CHOSEN)
    assert r.status_code == 422 and not _password_ok(app, "elif@example.org", CHOSEN)


def test_a_confirmed_reset_removes_her_credentials_and_she_is_told(app, admin_client, supervisor_client, make_user,
                                                                   login_as) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    her_browser = app.test_client()
    login_as(her_browser, counsellor)
    _post(admin_client, _edit(counsellor), _edit(counsellor) + "/reset-sign-in")
    assert her_browser.get("/").status_code == 200  # not yet
    code = _code_on(_confirm(supervisor_client, counsellor.email).get_data(as_text=True))
    assert her_browser.get("/").status_code == 302  # her sessions ended
    assert not _password_ok(app, counsellor.email, counsellor.password)
    browser, secret, html = _activate(app, counsellor.email, code)
    assert "were reset" in html and "Zeynep Yönetici" in html and "Şule Sorumlu" in html
    # told once: her next sign-in says nothing more
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    assert _post(browser, "/login", "/login", email=counsellor.email, password=HERS).status_code == 302
    r = _post(browser, "/login/code", "/login/code", code=pyotp.TOTP(secret).at(time.time() + 30))
    assert r.status_code == 302
    assert "were reset" not in browser.get("/").get_data(as_text=True)


def test_only_a_supervisor_of_her_centre_confirms(app, admin_client, make_user, login_as, centre) -> None:  # type: ignore[no-untyped-def]
    other_centre = factories.make_centre(app)
    outsider = make_user("supervisor", centre=other_centre)
    counsellor = make_user("counsellor")
    target = make_user("supervisor")
    _post(admin_client, _edit(target), _edit(target) + "/reset-sign-in")
    from app.db import db
    from app.users.models import AccountActivation

    with app.app_context():
        request_id = db.session.scalar(sa.select(AccountActivation.public_id))
    url = f"/account-requests/{request_id}/confirm"
    for who in (outsider, counsellor, target):  # another centre, not a supervisor, her own reset
        browser = app.test_client()
        login_as(browser, who)
        r = _post(browser, "/", url)
        assert r.status_code == 404, who.role
    assert _password_ok(app, target.email, target.password)  # nothing happened
    denied = [e for e in _events(app, "users.account-confirm") if e[0] == "denied"]
    assert len(denied) >= 2  # the supervisors' attempts are on record (the counsellor's as a role denial)


def test_admin_and_auditor_accounts_get_a_code_at_once_but_never_become_case_readers(app, admin_client, centre) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    r = _post(admin_client, NEW, NEW, email="denetci@example.org", name="Deniz Denetçi", role="auditor",
              centre=centre.code)
    code = _code_on(r.get_data(as_text=True))
    _activate(app, "denetci@example.org", code)
    with app.app_context():
        auditor = db.session.scalar(sa.select(User).where(User.email == "denetci@example.org"))
        assert auditor is not None
        url = f"/admin/users/{auditor.public_id}"
    r = _post(admin_client, url, url, role="supervisor", centre=centre.code)
    assert r.status_code == 422 and "cannot become a case-reading" in r.get_data(as_text=True)


def test_reenabling_a_case_reader_waits_for_a_supervisor(app, admin_client, supervisor_client, make_user) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", active=False)
    r = _post(admin_client, _edit(counsellor), _edit(counsellor) + "/enable")
    assert r.status_code == 302
    assert not _password_ok(app, counsellor.email, counsellor.password)
    r = _confirm(supervisor_client, counsellor.email)
    assert r.status_code == 302
    assert _password_ok(app, counsellor.email, counsellor.password)


def test_an_activation_code_lapses(app, admin_client, centre) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import AccountActivation

    code = _code_on(_post(admin_client, NEW, NEW, email="y@example.org", name="Y", role="admin",
                          centre=centre.code).get_data(as_text=True))
    with app.app_context():
        for row in db.session.scalars(sa.select(AccountActivation)):
            row.expires_at = row.requested_at - timedelta(seconds=1)
        db.session.commit()
    r = _post(app.test_client(), "/activate", "/activate", email="y@example.org", code=code, new_password=HERS,
              confirm_password=HERS)
    assert r.status_code == 422


def test_cli_confirms_only_while_the_centre_has_no_supervisor(app, admin_client, centre, make_user) -> None:  # type: ignore[no-untyped-def]
    _post(admin_client, NEW, NEW, email="ilk@example.org", name="İlk Sorumlu", role="supervisor", centre=centre.code)
    result = app.test_cli_runner().invoke(args=["users", "confirm", "ilk@example.org"])
    assert result.exit_code == 0, result.output
    code = re.search(r"activation code[^:]*: ([A-Z2-7-]+)", result.output)
    assert code
    assert _events(app, "users.account-confirm")[0][3]  # highlighted
    _activate(app, "ilk@example.org", code.group(1))
    # now the centre has a supervisor: the next request is hers to confirm, not the command line's
    _post(admin_client, NEW, NEW, email="iki@example.org", name="İki", role="counsellor", centre=centre.code)
    result = app.test_cli_runner().invoke(args=["users", "confirm", "iki@example.org"])
    assert result.exit_code != 0 and "supervisor of this centre confirms" in result.output
