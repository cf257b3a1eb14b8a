"""The admin's account pages (/admin/users/): what an administrator can do, what she cannot, and that nobody else
gets in. Every change must end the right sessions server-side and leave its audit event."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import csrf_token

LIST = "/admin/users/"
NEW = "/admin/users/new"
GOOD_PASSWORD = "kırmızı bisiklet dağ evi"


def edit_url(user: factories.UserInfo | uuid.UUID) -> str:
    public_id = user if isinstance(user, uuid.UUID) else user.public_id
    return f"/admin/users/{public_id}"


def post_action(client, user, action: str, **data):  # type: ignore[no-untyped-def]
    """POST one of the account buttons the way the page does: with the page's CSRF token."""
    token = csrf_token(client, edit_url(user))
    url = edit_url(user) + (f"/{action}" if action else "")
    return client.post(url, data={"csrf_token": token, **data})


def db_user(app, user_id: int):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def user_count(app) -> int:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def audit_events(app, action: str):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def password_step(app, email: str, password: str):  # type: ignore[no-untyped-def]
    """The password step of sign-in in a fresh browser; returns the response."""
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    return browser.post("/login", data={"email": email, "password": password, "csrf_token": token})


def field_error(html: str, field_id: str) -> str:
    """The error text shown next to one field (macros/forms.html ties it with id="<field>-error")."""
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user("admin", name="Zeynep Yönetici")


@pytest.fixture
def admin_client(app, admin, login_as):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(client, admin)
    return client


@pytest.fixture
def signed_in(app, login_as):  # type: ignore[no-untyped-def]
    """A second browser where ``user`` is signed in, to see what happens to her session."""

    def _sign_in(user):  # type: ignore[no-untyped-def]
        browser = app.test_client()
        login_as(browser, user)
        assert browser.get("/").status_code == 200
        return browser

    return _sign_in


def assert_signed_out(browser) -> None:  # type: ignore[no-untyped-def]
    r = browser.get("/")
    assert r.status_code == 302
    assert r.headers["Location"].split("?")[0].endswith("/login")


# --- the list ---------------------------------------------------------------------------------------------------


def test_admin_lists_users_of_every_centre(app, admin_client, make_user, page):  # type: ignore[no-untyped-def]
    other_centre = factories.make_centre(app, code="KDK", name="Kadıköy Kadın Dayanışma Merkezi")
    counsellor = make_user("counsellor", name="İsmail Şahin Işıkgöz")
    auditor = make_user("auditor", centre=other_centre, name="Gülşen Öztürk")

    html = page(admin_client, LIST).get_data(as_text=True)

    assert "İsmail Şahin Işıkgöz" in html
    assert counsellor.email in html
    assert "Gülşen Öztürk" in html and ">KDK<" in html  # every centre, with its code
    assert f'href="{edit_url(counsellor)}"' in html
    assert f'href="{edit_url(auditor)}"' in html
    assert "badge--ok" in html  # active badges


def test_list_filters(app, admin_client, make_user, page):  # type: ignore[no-untyped-def]
    other_centre = factories.make_centre(app, code="KDK")
    counsellor = make_user("counsellor", email="ayse_k@example.org", name="Ayşe Kaya")
    lookalike = make_user("counsellor", email="aysexk@example.org", name="Ayşe Benzer")
    supervisor = make_user("supervisor", centre=other_centre, name="Fatma Demir")
    disabled = make_user("coordinator", active=False, name="Hülya Kapalı")

    def names(url: str) -> set[str]:
        html = page(admin_client, url).get_data(as_text=True)
        return set(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html))

    assert names(LIST + "?role=supervisor") == {"Fatma Demir"}
    assert names(LIST + "?centre=KDK") == {"Fatma Demir"}
    assert names(LIST + "?status=disabled") == {"Hülya Kapalı"}
    assert "Hülya Kapalı" not in names(LIST + "?status=active")
    # A prefix of the email; "_" is a literal character, not a LIKE wildcard.
    assert names(LIST + "?email=AYSE_") == {"Ayşe Kaya"}
    assert names(LIST + "?email=ayse") == {"Ayşe Kaya", "Ayşe Benzer"}
    assert names(LIST + "?email=nobody") == set()
    assert names(LIST + "?role=counsellor&status=active") == {"Ayşe Kaya", "Ayşe Benzer"}
    del counsellor, lookalike, supervisor, disabled


def test_list_rejects_unknown_filter_values(admin_client) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get(LIST + "?role=superuser").status_code == 422
    assert admin_client.get(LIST + "?centre=NOPE").status_code == 422
    assert admin_client.get(LIST + "?email=" + "a" * 300).status_code == 422


# --- creating an account ----------------------------------------------------------------------------------------


def new_user_data(centre, /, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "email": "Elif.Yildiz@Example.org",
        "name": "Elif Yıldız",
        "role": "counsellor",
        "centre": centre.code,
    }
    data.update(overrides)
    return data


def test_admin_creates_user_who_then_activates_herself(app, admin, admin_client, centre, page):  # type: ignore[no-untyped-def]
    """An auditor account: no confirmation needed, so the admin receives the one-time code (never a password)."""
    from app.db import db
    from app.users.models import Role, User

    form_html = page(admin_client, NEW).get_data(as_text=True)
    assert 'type="password"' not in form_html
    assert '<label class="field__label" for="email">' in form_html

    token = csrf_token(admin_client, NEW)
    r = admin_client.post(NEW, data={**new_user_data(centre, role="auditor"), "csrf_token": token})

    # Shown once, not redirected: the code must not be re-fetchable from a URL.
    assert r.status_code == 200
    assert "no-store" in r.headers["Cache-Control"]
    html = r.get_data(as_text=True)
    assert "<svg" not in html and "in person" in html
    code = re.search(r'<p class="activation-code"><code>([A-Z2-7-]+)</code></p>', html)
    assert code

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "elif.yildiz@example.org"))
        assert user is not None
        assert user.name == "Elif Yıldız" and user.role == Role.AUDITOR and user.centre_id == centre.id
        assert user.is_active and user.mfa_enrolled_at is None and user.totp_secret_enc is None
        public_id = user.public_id
    # The service's semantic event (with role and centre), besides the generic change event of the new row.
    created = [
        e
        for e in audit_events(app, "users.create")
        if e.actor_email == admin.email and e.details and "role" in e.details
    ]
    assert [(e.object_id, e.details) for e in created] == [
        (str(public_id), f'{{"centre": "{centre.code}", "confirmation": "none", "role": "auditor"}}')
    ]

    # She activates: her own password, then her own authenticator.
    browser = app.test_client()
    token = csrf_token(browser, "/activate")
    r = browser.post("/activate", data={"email": "elif.yildiz@example.org", "code": code.group(1),
                                        "new_password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD,
                                        "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/setup")
    import pyotp

    secret = factories.shown_secret(browser.get("/login/setup").get_data(as_text=True))
    token = csrf_token(browser, "/login/setup")
    r = browser.post("/login/setup", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert r.status_code == 200
    assert browser.get("/").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"email": ""}, "email", "Enter an email"),
        ({"role": "root"}, "role", ""),
        ({"role": ""}, "role", "Choose a role"),
        ({"centre": "NOPE"}, "centre", ""),
    ],
    ids=["bad-email", "no-email", "bad-role", "no-role", "bad-centre"],
)
def test_create_user_errors_show_next_to_the_field(app, admin_client, centre, overrides, field, message):  # type: ignore[no-untyped-def]
    before = user_count(app)
    token = csrf_token(admin_client, NEW)
    r = admin_client.post(NEW, data={**new_user_data(centre, **overrides), "csrf_token": token})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert message in field_error(html, field)
    assert 'class="error-summary"' in html
    assert user_count(app) == before
    assert [e for e in audit_events(app, "users.create") if e.actor_role == "admin"] == []


def test_create_user_refuses_duplicate_email(app, admin_client, centre, make_user):  # type: ignore[no-untyped-def]
    existing = make_user("counsellor", email="hatice@example.org")
    before = user_count(app)
    token = csrf_token(admin_client, NEW)
    r = admin_client.post(NEW, data={**new_user_data(centre, email="  Hatice@Example.org "), "csrf_token": token})
    assert r.status_code == 422
    assert "exists already" in field_error(r.get_data(as_text=True), "email")
    assert user_count(app) == before
    assert db_user(app, existing.id).email == "hatice@example.org"


# --- the account page and its buttons --------------------------------------------------------------------------


def test_account_page_shows_the_user(admin_client, make_user, page):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor", name="İsmail Şahin Işıkgöz")
    html = page(admin_client, edit_url(counsellor)).get_data(as_text=True)
    assert "İsmail Şahin Işıkgöz" in html and counsellor.email in html
    for action in ("disable", "reset-sign-in"):
        assert f'action="{edit_url(counsellor)}/{action}"' in html


def test_disable_ends_her_session_and_blocks_sign_in(app, admin, admin_client, make_user, signed_in):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    her_browser = signed_in(counsellor)

    r = post_action(admin_client, counsellor, "disable")
    assert r.status_code == 302 and r.headers["Location"].endswith(edit_url(counsellor))
    html = admin_client.get(r.headers["Location"]).get_data(as_text=True)
    assert "flash--success" in html
    assert f'action="{edit_url(counsellor)}/enable"' in html

    assert_signed_out(her_browser)
    assert password_step(app, counsellor.email, counsellor.password).status_code == 422
    stored = db_user(app, counsellor.id)
    assert not stored.is_active and stored.disabled_at is not None
    assert [(e.object_id, e.actor_email) for e in audit_events(app, "users.disable")] == [
        (str(counsellor.public_id), admin.email)
    ]

    # Enabling a case reader waits for a supervisor of her centre (tests/security/test_separation_of_duties.py).
    r = post_action(admin_client, counsellor, "enable")
    assert r.status_code == 302
    assert not db_user(app, counsellor.id).is_active
    assert len(audit_events(app, "users.enable-request")) == 1


def test_reset_of_an_auditor_ends_her_session_and_gives_a_code(app, admin_client, make_user, signed_in):  # type: ignore[no-untyped-def]
    auditor = make_user("auditor")
    her_browser = signed_in(auditor)

    r = post_action(admin_client, auditor, "reset-sign-in")
    assert r.status_code == 200 and 'class="activation-code"' in r.get_data(as_text=True)

    assert_signed_out(her_browser)
    stored = db_user(app, auditor.id)
    assert stored.mfa_enrolled_at is None and stored.totp_secret_enc is None
    assert password_step(app, auditor.email, auditor.password).status_code == 422
    assert len(audit_events(app, "users.credentials-reset-request")) == 1


def test_role_and_centre_change_ends_her_session(app, admin_client, make_user, signed_in):  # type: ignore[no-untyped-def]
    from app.users.models import Role

    other_centre = factories.make_centre(app, code="ATA")
    counsellor = make_user("counsellor")
    her_browser = signed_in(counsellor)

    r = post_action(admin_client, counsellor, "", role="supervisor", centre="ATA")
    assert r.status_code == 302

    assert_signed_out(her_browser)
    stored = db_user(app, counsellor.id)
    assert stored.role == Role.SUPERVISOR and stored.centre_id == other_centre.id
    (event,) = audit_events(app, "users.change-role")
    assert event.object_id == str(counsellor.public_id)
    assert "supervisor" in (event.details or "") and "ATA" in (event.details or "")


def test_unchanged_role_and_centre_keep_her_session(app, admin_client, centre, make_user, signed_in):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    her_browser = signed_in(counsellor)
    r = post_action(admin_client, counsellor, "", role="counsellor", centre=centre.code)
    assert r.status_code == 302
    assert her_browser.get("/").status_code == 200
    assert audit_events(app, "users.change-role") == []


def test_role_change_errors_are_422(app, admin_client, make_user):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    r = post_action(admin_client, counsellor, "", role="superuser", centre="NOPE")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    field_error(html, "role")
    field_error(html, "centre")
    assert db_user(app, counsellor.id).role == "counsellor"


def test_admin_cannot_set_a_password(app, admin_client, make_user, signed_in):  # type: ignore[no-untyped-def]
    coordinator = make_user("coordinator")
    her_browser = signed_in(coordinator)
    for action in ("password", "reset-mfa"):
        r = post_action(admin_client, coordinator, action, new_password=GOOD_PASSWORD,
                        confirm_new_password=GOOD_PASSWORD)
        assert r.status_code in (404, 405)
    assert her_browser.get("/").status_code == 200  # nothing happened
    assert password_step(app, coordinator.email, GOOD_PASSWORD).status_code == 422


# --- what an admin cannot do to herself ---------------------------------------------------------------------


def test_admin_cannot_disable_herself(app, admin, admin_client):  # type: ignore[no-untyped-def]
    r = post_action(admin_client, admin, "disable")
    assert r.status_code == 302
    html = admin_client.get(r.headers["Location"]).get_data(as_text=True)
    assert "flash--error" in html and "cannot disable your own account" in html
    assert db_user(app, admin.id).is_active
    assert admin_client.get(LIST).status_code == 200  # still signed in
    assert audit_events(app, "users.disable") == []


def test_admin_cannot_remove_her_own_admin_role(app, admin, admin_client, centre):  # type: ignore[no-untyped-def]
    r = post_action(admin_client, admin, "", role="counsellor", centre=centre.code)
    assert r.status_code == 422
    assert "cannot change your own role" in field_error(r.get_data(as_text=True), "role")
    assert db_user(app, admin.id).role == "admin"
    assert admin_client.get(LIST).status_code == 200
    assert audit_events(app, "users.change-role") == []


def test_admin_cannot_reset_her_own_sign_in_details_here(app, admin, admin_client):  # type: ignore[no-untyped-def]
    assert post_action(admin_client, admin, "reset-sign-in").status_code == 302
    stored = db_user(app, admin.id)
    assert stored.mfa_enrolled_at is not None
    assert password_step(app, admin.email, admin.password).status_code == 302
    assert audit_events(app, "users.credentials-reset-request") == []
    html = admin_client.get(edit_url(admin)).get_data(as_text=True)
    assert f'action="{edit_url(admin)}/disable"' not in html  # no buttons she cannot use


def test_another_admin_can_disable_an_admin(app, admin_client, make_user, signed_in):  # type: ignore[no-untyped-def]
    other_admin = make_user("admin")
    her_browser = signed_in(other_admin)
    assert post_action(admin_client, other_admin, "disable").status_code == 302
    assert_signed_out(her_browser)


# --- who gets in ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["counsellor", "supervisor", "auditor", "coordinator"])
def test_other_roles_get_an_audited_404(app, client, make_user, login_as, role):  # type: ignore[no-untyped-def]
    from app.audit import Outcome

    intruder = make_user(role)
    victim = make_user("counsellor")
    login_as(client, intruder)

    for url in (LIST, NEW, edit_url(victim)):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/")
    for action in ("disable", "enable", "reset-sign-in", ""):
        url = edit_url(victim) + (f"/{action}" if action else "")
        r = client.post(
            url,
            data={
                "csrf_token": token,
                "role": "admin",
                "centre": "X",
                "new_password": GOOD_PASSWORD,
                "confirm_new_password": GOOD_PASSWORD,
            },
        )
        assert r.status_code == 404, url
    r = client.post(NEW, data={"csrf_token": token, "email": "x@example.org"})
    assert r.status_code == 404

    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        denied = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.actor_email == intruder.email, AuditEvent.outcome == Outcome.DENIED.value
            )
        ).all()
        actions = {e.action for e in denied}
        assert {
            "view.users.list_users",
            "view.users.new_user",
            "view.users.edit_user",
            "view.users.disable_user",
            "view.users.enable_user",
            "view.users.reset_credentials",
        } <= actions
        assert all(e.actor_role == role for e in denied)
        # Nothing changed.
        stored = db_user(app, victim.id)
        assert stored.is_active and stored.role == "counsellor" and stored.mfa_enrolled_at is not None
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.like("users.%"), AuditEvent.actor_email == intruder.email)
            )
            == 0
        )


def test_signed_out_visitors_are_sent_to_sign_in(client, make_user):  # type: ignore[no-untyped-def]
    victim = make_user("counsellor")
    r = client.get(LIST)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    token = csrf_token(client, "/login")
    assert client.post(edit_url(victim) + "/disable", data={"csrf_token": token}).status_code == 401


def test_post_without_csrf_is_refused(app, admin_client, centre, make_user):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    before = user_count(app)
    for action in ("disable", "reset-sign-in", ""):
        url = edit_url(counsellor) + (f"/{action}" if action else "")
        r = admin_client.post(
            url,
            data={
                "role": "admin",
                "centre": centre.code,
                "new_password": GOOD_PASSWORD,
                "confirm_new_password": GOOD_PASSWORD,
            },
        )
        assert r.status_code == 400, url
    assert admin_client.post(NEW, data=new_user_data(centre)).status_code == 400
    assert admin_client.post(edit_url(counsellor) + "/disable", data={"csrf_token": "forged"}).status_code == 400
    stored = db_user(app, counsellor.id)
    assert stored.is_active and stored.role == "counsellor" and stored.mfa_enrolled_at is not None
    assert user_count(app) == before


def test_unknown_user_is_404(admin_client) -> None:  # type: ignore[no-untyped-def]
    unknown = uuid.uuid4()
    assert admin_client.get(edit_url(unknown)).status_code == 404
    token = csrf_token(admin_client, LIST)
    for action in ("disable", "enable", "reset-sign-in"):
        assert admin_client.post(f"{edit_url(unknown)}/{action}", data={"csrf_token": token}).status_code == 404
    assert admin_client.get("/admin/users/not-a-uuid").status_code == 404
