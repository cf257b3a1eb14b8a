"""Break-glass: an unassigned counsellor of the same centre opens a case by number with a reason, reads (never
edits) it for a limited time, is audited and shows up in her supervisor's review."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post

REASON = "Danışmanı izinde, kadın kapıda bekliyor."


def _client(app, user):  # type: ignore[no-untyped-def]
    c = app.test_client()
    factories.login_as(c, user)
    return c


def _break_glass(client, number, reason=REASON, category="colleague-absent"):  # type: ignore[no-untyped-def]
    return post(client, "/cases/break-glass", {"number": number, "category": category, "reason": reason},
                token_url="/cases/break-glass")


def test_break_glass_gives_read_only_access_audited_and_reviewed(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("counsellor")
    case = make_case(owner, applicant_name="Meryem Şahin")
    colleague = make_user("counsellor", name="Filiz Ağ")
    c = _client(app, colleague)
    assert c.get(f"/cases/{case.public_id}").status_code == 404  # before: the policy's 404
    page(c, "/cases/break-glass")
    r = _break_glass(c, case.number.lower())
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{case.public_id}")
    html = page(c, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Meryem Şahin" in html
    assert 'id="break-glass-banner"' in html
    assert f'action="/cases/{case.public_id}/notes"' not in html  # read, not edit
    r = post(c, f"/cases/{case.public_id}/notes", {"kind": "legal", "occurred_on": "2026-11-03", "text": "x"},
             token_url=f"/cases/{case.public_id}")
    assert r.status_code == 404
    # her dashboard shows the grant
    assert case.number in page(c, "/").get_data(as_text=True)
    # audited with the reason, and the read through the grant is flagged
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_number == case.number)).all()
        grant_event = next(e for e in events if e.action == "case.break-glass")
        # SECURITY: only the category reaches the append-only log; her words stay encrypted in the case
        assert grant_event.reason == "colleague-absent" and grant_event.actor_email == colleague.email
        assert all(REASON not in (e.reason or "") + (e.details or "") for e in events)
        assert any(e.action == "case.view.break-glass" for e in events)
    # the supervisor sees it for review, then marks it reviewed
    supervisor = make_user("supervisor")
    s = _client(app, supervisor)
    assert case.number in page(s, "/").get_data(as_text=True)
    html = page(s, "/cases/break-glass/reviews").get_data(as_text=True)
    assert case.number in html and REASON in html and "Filiz Ağ" in html and "Her counsellor is absent" in html
    report = page(s, f"/cases/{case.public_id}/access-report").get_data(as_text=True)
    assert "case.break-glass" in report and "audit-row--break-glass" in report
    from cases.core.models import BreakGlassGrant

    with app.app_context():
        grant_id = db.session.scalar(sa.select(BreakGlassGrant.id))
    r = post(s, "/cases/break-glass/reviews", {"grant": str(grant_id)}, token_url="/cases/break-glass/reviews")
    assert r.status_code == 302
    assert REASON not in page(s, "/cases/break-glass/reviews").get_data(as_text=True)
    with app.app_context():
        grant = db.session.get(BreakGlassGrant, grant_id)
        assert grant.reviewed_by_id == supervisor.id and grant.reviewed_at is not None


def test_grant_lasts_the_configured_hours_then_404(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("counsellor")
    case = make_case(owner)
    colleague = make_user("counsellor")
    c = _client(app, colleague)
    assert _break_glass(c, case.number).status_code == 302
    from app.db import db, utcnow
    from cases.core.models import BreakGlassGrant

    with app.app_context():
        grant = db.session.scalar(sa.select(BreakGlassGrant))
        lasts = grant.expires_at - grant.granted_at
        assert timedelta(hours=4) - timedelta(seconds=5) < lasts <= timedelta(hours=4)
        grant.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert c.get(f"/cases/{case.public_id}").status_code == 404


def test_configured_hours_are_used(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    app.config["CASE_BREAK_GLASS_HOURS"] = 1
    case = make_case(make_user("counsellor"))
    c = _client(app, make_user("counsellor"))
    assert _break_glass(c, case.number).status_code == 302
    from app.db import db
    from cases.core.models import BreakGlassGrant

    with app.app_context():
        grant = db.session.scalar(sa.select(BreakGlassGrant))
        assert grant.expires_at - grant.granted_at <= timedelta(hours=1)


def test_no_oracle_for_other_centres_or_unknown_numbers(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    other = factories.make_centre(app)
    foreign = make_case(factories.make_user(app, "counsellor", centre=other))
    own_user = make_user("counsellor")
    own = make_case(own_user, applicant_name="Kendi Vakası", tckn=None, phone=None)
    c = _client(app, make_user("counsellor"))
    answers = []
    for number in (foreign.number, "XYZ-2026-9999", "nonsense"):
        r = _break_glass(c, number)
        assert r.status_code == 422
        # CSRF tokens carry a timestamp: compare the pages without them
        answers.append(re.sub(r'value="[^"]*"', "", r.get_data(as_text=True).replace(number, "#")))
    assert "There is no case with that number that you can open this way." in answers[0]
    assert answers[0] == answers[1] == answers[2]
    # her own assigned case cannot be "broken into" either (same answer)
    r = _break_glass(_client(app, own_user), own.number)
    assert r.status_code == 422
    from app.db import db
    from cases.core.models import BreakGlassGrant

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakGlassGrant)) == 0


def test_reason_is_required_and_roles_are_limited(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case(make_user("counsellor"))
    c = _client(app, make_user("counsellor"))
    for reason in ("", "acil", "x" * 501, "a\x00bcdefghijk"):
        assert _break_glass(c, case.number, reason).status_code == 422
    for category in ("", "she-was-bruised", "x" * 40):
        assert _break_glass(c, case.number, category=category).status_code == 422
    for role in ("supervisor", "coordinator", "auditor", "admin"):
        other = _client(app, make_user(role))
        assert other.get("/cases/break-glass").status_code == 404
    for role in ("counsellor", "coordinator", "auditor", "admin"):
        other = _client(app, make_user(role))
        assert other.get("/cases/break-glass/reviews").status_code == 404


def test_supervisor_cannot_review_another_centres_grant(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    case = make_case(make_user("counsellor"))
    assert _break_glass(_client(app, make_user("counsellor")), case.number).status_code == 302
    other = factories.make_centre(app)
    s = _client(app, factories.make_user(app, "supervisor", centre=other))
    from app.db import db
    from cases.core.models import BreakGlassGrant

    with app.app_context():
        grant_id = db.session.scalar(sa.select(BreakGlassGrant.id))
    assert case.number not in s.get("/cases/break-glass/reviews").get_data(as_text=True)
    r = post(s, "/cases/break-glass/reviews", {"grant": str(grant_id)}, token_url="/cases/break-glass/reviews")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(BreakGlassGrant, grant_id).reviewed_at is None


SECRET_REASON = "Morarmış geldi, kocası kapıda bekliyor"


def test_the_reason_is_encrypted_under_the_case_key_and_only_its_category_is_logged(app, make_user, make_case,
                                                                                    backend) -> None:  # type: ignore[no-untyped-def]
    """Issue 12 §3: staff write case content into the reason; it must not sit in plaintext in break_glass_grants or in
    the append-only, exported audit log."""
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import BreakGlassGrant

    case = make_case(make_user("counsellor"))
    c = _client(app, make_user("counsellor"))
    assert _break_glass(c, case.number, SECRET_REASON, category="emergency-at-door").status_code == 302
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT * FROM break_glass_grants")).all()
        audit_rows = db.session.execute(sa.text("SELECT * FROM audit_events")).all()
        assert "Morarmış" not in str(raw) and "Morarmış" not in str(audit_rows)
        grant = db.session.scalars(sa.select(BreakGlassGrant)).one()
        assert grant.reason == SECRET_REASON and grant.category == "emergency-at-door"  # the supervisor reads it
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.break-glass")).one()
        assert event.reason == "emergency-at-door"


def _revision_before(revision: str) -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    down = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down


def test_the_migration_encrypts_reasons_written_before_it(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import downgrade, upgrade

    from app.db import db
    from cases.core.models import BreakGlassGrant

    owner, colleague = make_user("counsellor"), make_user("counsellor")
    case = make_case(owner)
    with app.app_context():
        # this revision and what follows it only, whatever it comes after in the chain
        downgrade(revision=_revision_before("0012a"))
        db.session.execute(sa.text(
            "INSERT INTO break_glass_grants (case_id, user_id, granted_at, expires_at, reason) "
            "VALUES (:c, :u, :t, :t, :r)"), {"c": case.id, "u": colleague.id, "t": "2026-11-02 10:00:00+00:00",
                                             "r": SECRET_REASON})
        db.session.commit()
        upgrade(revision="heads")
        assert "Morarmış" not in str(db.session.execute(sa.text("SELECT * FROM break_glass_grants")).all())
        grant = db.session.scalars(sa.select(BreakGlassGrant)).one()
        assert grant.reason == SECRET_REASON and grant.category == "other" and grant.public_id is not None
        db.session.rollback()
