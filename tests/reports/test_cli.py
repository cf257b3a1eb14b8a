"""``flask --app wsgi reports publish YEAR --by ADMIN``: the same release as the page's button, on the audit log."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from tests.reports.helpers import add_cases


def _publish(app, *args):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["reports", "publish", *args])


def _releases(app):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.reports.models import StatisticsRelease

    with app.app_context():
        return [(r.year, r.revision, r.issued_by_id, r.content["tables"]["all"]["applications-month"]["total"][0][0])
                for r in db.session.scalars(sa.select(StatisticsRelease).order_by(StatisticsRelease.revision))]


def _events(app):  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.actor_role, AuditEvent.actor_email, AuditEvent.details)
                                  .where(AuditEvent.action == "reports.release")).all()
    return [(role, email, json.loads(d) if isinstance(d, str) else d) for role, email, d in rows]


def test_publish_a_closed_year_from_the_command_line(app, make_user):  # type: ignore[no-untyped-def]
    admin = make_user("admin")
    add_cases(app, make_user("counsellor"), 21, applied_on=date(2025, 5, 5), named=False)
    r = _publish(app, "2025", "--by", admin.email.upper())
    assert r.exit_code == 0, r.output
    assert "Statistics for 2025 published: revision 1." in r.output
    assert _releases(app) == [(2025, 1, admin.id, "21")]
    [(role, email, details)] = _events(app)
    assert role == "system" and email == "cli" and details["year"] == 2025 and details["revision"] == 1
    r = _publish(app, "2025", "--by", admin.email)  # again: a revision, checked against the first
    assert r.exit_code == 0 and "revision 2" in r.output
    assert [rev for _y, rev, _by, _t in _releases(app)] == [1, 2]


def test_publish_refusals_exit_2_and_publish_nothing(app, make_user):  # type: ignore[no-untyped-def]
    admin = make_user("admin")
    supervisor = make_user("supervisor")
    add_cases(app, make_user("counsellor"), 3, applied_on=date(2025, 5, 5), named=False)
    for args, message in [
        (["2025", "--by", admin.email], "Fewer than 20 applications"),  # too small to publish at all
        (["2026", "--by", admin.email], "only for a year that has ended"),
        (["2025", "--by", supervisor.email], "active admin account"),
        (["2025", "--by", "nobody@example.org"], "active admin account"),
    ]:
        r = _publish(app, *args)
        assert r.exit_code == 2 and message in r.output, (args, r.output)
    assert _publish(app, "1850", "--by", admin.email).exit_code == 2  # out of range: click's usage error
    assert _releases(app) == [] and _events(app) == []
