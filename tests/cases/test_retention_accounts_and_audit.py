"""The retention run's last two classes (issue 17): disabled accounts are anonymised after their period (730 days by
default) and old audit events go behind a signed checkpoint, keeping the events of every case still held."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from tests import factories
from tests.cases.test_retention import _close, _run
from tests.cases.test_retention_schedule import _runs


def _disable(app, user, days_ago: int) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from app.users.models import User

    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(
            is_active=False, disabled_at=utcnow() - dt.timedelta(days=days_ago)))
        db.session.commit()


def _account(app, user) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import RecoveryCode, User

    with app.app_context():
        u = db.session.get(User, user.id)
        assert u is not None
        codes = db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                                  .where(RecoveryCode.user_id == user.id))
        return (u.email, u.name, u.password_hash.startswith("$argon2"), u.totp_secret_enc is not None, codes,
                u.anonymised_at is not None)


def _verify(app) -> None:  # type: ignore[no-untyped-def]
    from app import audit
    from app.db import db

    with app.app_context():
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_keys"]) is None
        db.session.rollback()


def test_a_disabled_account_is_anonymised_after_its_period_and_the_log_still_works(  # type: ignore[no-untyped-def]
        app, make_user) -> None:
    old = make_user("counsellor", name="Gülşen Yıldırım Eski", email="gulsen.eski@example.org")
    recent = make_user("counsellor")
    active = make_user("counsellor")
    client = app.test_client()
    factories.login_as(client, old)                 # she leaves audit rows under her e-mail
    client.get("/logout")
    _disable(app, old, 731)
    _disable(app, recent, 700)
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert "disabled-accounts: 1 destroyed (older than 730 days)" in result.output
    email, name, has_password, has_totp, codes, anonymised = _account(app, old)
    assert anonymised and "gulsen" not in email and email.endswith("@anonymised.invalid")
    assert "Gülşen" not in name and not has_password and not has_totp and codes == 0
    assert _account(app, recent)[5] is False and _account(app, active)[5] is False
    assert _account(app, recent)[0] == recent.email
    [(_dry, _by, _fin, records)] = _runs(app)
    assert records["disabled-accounts"] == ("anonymise", 730, 1, 0, [])
    # Her data key (the authenticator secret's) is destroyed.
    from app.db import db
    from crypto.models import DataKey
    with app.app_context():
        keys = db.session.scalars(sa.select(DataKey).where(DataKey.owner_type == "user",
                                                           DataKey.owner_id == old.public_id)).all()
        assert keys and all(k.wrapped is None for k in keys)
    # The log is intact and still shows what she did, under the e-mail it was written with.
    _verify(app)
    auditor = app.test_client()
    factories.login_as(auditor, make_user("auditor"))
    html = factories.page(auditor, "/audit/").get_data(as_text=True)
    assert "gulsen.eski@example.org" in html and "users.anonymise" in html
    # She cannot sign in, and the admin can neither enable nor reset the account.
    assert client.post("/login", data={"email": "gulsen.eski@example.org", "password": factories.DEFAULT_PASSWORD,
                                       "csrf_token": factories.csrf_token(client, "/login")}).status_code != 302
    admin = app.test_client()
    factories.login_as(admin, make_user("admin"))
    token = factories.csrf_token(admin, "/admin/users/")
    r = admin.post(f"/admin/users/{old.public_id}/enable", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be enabled" in r.get_data(as_text=True)
    assert _account(app, old)[5] is True
    account_page = factories.page(admin, f"/admin/users/{old.public_id}").get_data(as_text=True)
    assert "Anonymised" in account_page and "Gülşen" not in account_page
    assert f"/admin/users/{old.public_id}/enable" not in account_page
    assert f"/admin/users/{old.public_id}/reset-sign-in" not in account_page
    r = admin.post(f"/admin/users/{old.public_id}/reset-sign-in", data={"csrf_token": token}, follow_redirects=True)
    assert _account(app, old)[2:5] == (False, False, 0)
    from app.users.models import AccountActivation
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccountActivation).where(
            AccountActivation.user_id == old.id, AccountActivation.closed_at.is_(None))) == 0
    # A second run finds nothing more.
    assert "disabled-accounts: 0 destroyed" in _run(app).output


def test_the_period_of_disabled_accounts_comes_from_the_configuration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_retention import _app

    assert _app(tmp_path).config["RETENTION_DISABLED_ACCOUNT_DAYS"] == 730
    assert _app(tmp_path, RETENTION_DISABLED_ACCOUNT_DAYS="365").config["RETENTION_DISABLED_ACCOUNT_DAYS"] == 365
    from config import ConfigError
    with pytest.raises(ConfigError, match="RETENTION_DISABLED_ACCOUNT_DAYS .* from 90 to 36500"):
        _app(tmp_path, RETENTION_DISABLED_ACCOUNT_DAYS="30")


@pytest.fixture
def ten_years_ago(monkeypatch):  # type: ignore[no-untyped-def]
    """Every audit event is written ten years ago until the test calls ``monkeypatch.undo()`` (requested before
    ``app``, so the centre and its users are old too: seq and time go together, as in a real log)."""
    from app import audit
    from app.db import utcnow

    monkeypatch.setattr(audit, "utcnow", lambda: utcnow() - dt.timedelta(days=3651))


def test_old_audit_events_go_except_those_of_cases_still_held(  # type: ignore[no-untyped-def]
        ten_years_ago, app, make_user, make_case, monkeypatch) -> None:
    from app import audit
    from app.audit import AuditCheckpoint, AuditEvent
    from app.db import db, utcnow

    counsellor = make_user("counsellor")
    held, erased = make_case(counsellor), make_case(counsellor)
    with app.app_context():
        for number in (held.number, erased.number, None):
            audit.record("cases.view", actor=audit.SYSTEM, object_type="cases", case_number=number)
        db.session.commit()
    monkeypatch.undo()
    _close(app, erased, days_ago=2557 + 1, counsellor=counsellor)   # closed now, dated back: recent events

    def old_events() -> dict[str | None, int]:
        with app.app_context():
            rows = db.session.execute(sa.select(AuditEvent.case_number, sa.func.count()).where(
                AuditEvent.occurred_at < utcnow() - dt.timedelta(days=3650)).group_by(AuditEvent.case_number))
            return dict(rows.all())

    before = old_events()
    assert before[held.number] >= 1 and before[erased.number] >= 1 and before[None] >= 1
    dry = _run(app, "--dry-run")   # the old case is not erased yet: its events still count as held
    assert (f"audit-events: {before[None]} would go (older than 3650 days; "
            f"{before[held.number] + before[erased.number]} of cases still held kept)") in dry.output, dry.output
    assert old_events() == before
    result = _run(app)        # erases the old case first, then its events may go
    assert result.exit_code == 0, result.output
    assert f"{erased.number}: erased" in result.output
    gone = before[None] + before[erased.number]
    assert f"audit-events: {gone} destroyed" in result.output, result.output
    assert old_events() == {held.number: before[held.number]}
    records = _runs(app)[-1][3]
    assert records["audit-events"] == ("checkpoint", 3650, gone, before[held.number], [])
    _verify(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditCheckpoint)) == 1
        # Nothing younger than the period went: the events of the closing (today) are all there.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.case_number == erased.number)) >= 1
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
