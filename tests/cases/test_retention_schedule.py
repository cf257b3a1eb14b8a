"""Retention schedule per data class (admin, within bounds), runs that apply it class by class with a destruction
record per run (case numbers, counts, method, who, when; printable; auditor sees it), a dry run from the admin's page,
and the last/next run with a six-month warning on the admin's and auditor's dashboards."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests import factories
from tests.cases.test_documents import documents, pdf_bytes, upload
from tests.cases.test_inquiries import inquiries, record
from tests.cases.test_retention import DAYS, _close, _readable, _run


def _schedule_form(client, **days: int):  # type: ignore[no-untyped-def]
    data = {"closed_cases": DAYS, "documents": 1825, "unlinked_inquiries": 365, "disabled_accounts": 730,
            "audit_events": 3650}
    data.update(days)
    data["csrf_token"] = factories.csrf_token(client, "/cases/retention")
    return client.post("/cases/retention", data=data)


def _rules(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.retention.models import RetentionRule

    with app.app_context():
        return {r.data_class: r.days for r in db.session.scalars(sa.select(RetentionRule))}


def _age_inquiries(app, days: int) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.inquiries.models import LocationInquiry

    with app.app_context():
        db.session.execute(sa.update(LocationInquiry).values(recorded_at=utcnow() - dt.timedelta(days=days)))
        db.session.commit()


def _runs(app):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.retention.models import RetentionRun

    with app.app_context():
        return [(r.is_dry_run, r.run_by, r.finished_at is not None,
                 {d.data_class: (d.method, d.days, d.item_count, d.held, list(d.case_numbers)) for d in r.records})
                for r in db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.id))]


def test_admin_edits_the_schedule_within_bounds_and_the_run_follows_it(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("admin")
    client = app.test_client()
    factories.login_as(client, admin)
    html = factories.page(client, "/cases/retention").get_data(as_text=True)
    for label in ("Closed cases", "Documents on closed cases", "not linked to any case", "Contact notes",
                  "Consents after expiry or revocation", "Disabled user accounts", "Audit events"):
        assert label in html
    assert f'value="{DAYS}"' in html
    r = _schedule_form(client, closed_cases=100)   # below the one-year floor
    assert r.status_code == 422 and _rules(app) == {}
    r = _schedule_form(client, unlinked_inquiries=999999)
    assert r.status_code == 422 and _rules(app) == {}
    assert _schedule_form(client, closed_cases=400).status_code == 302
    assert _rules(app) == {"closed-cases": 400}
    assert ">400<" in client.get("/cases/retention").get_data(as_text=True)

    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Takvim Deneme Hatice")
    _close(app, case, days_ago=401, counsellor=counsellor)
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert f"{case.number}: erased" in result.output and not _readable(app, case)
    [(dry, by, finished, records)] = _runs(app)
    assert (dry, by, finished) == (False, "cli", True)
    assert records["closed-cases"] == ("crypto-shred", 400, 1, 0, [case.number])


@pytest.mark.parametrize("role", ["counsellor", "supervisor", "auditor", "coordinator"])
def test_only_the_admin_edits_the_schedule(app, make_user, role) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    factories.login_as(client, make_user(role))
    assert client.get("/cases/retention").status_code == 404
    assert client.post("/cases/retention", data={"closed_cases": 400}).status_code in (400, 404)
    assert _rules(app) == {}


def test_a_run_deletes_old_documents_and_shreds_unlinked_inquiries_with_one_record(  # type: ignore[no-untyped-def]
        app, make_user, make_case) -> None:
    counsellor = make_user("counsellor")
    closed, open_case = make_case(counsellor), make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor)
    assert upload(client, closed, pdf_bytes(70 * 1024)).status_code == 302
    assert upload(client, open_case, pdf_bytes(1024)).status_code == 302
    supervisor_client = app.test_client()
    factories.login_as(supervisor_client, make_user("supervisor"))
    assert record(supervisor_client, about="").status_code == 302            # centre level
    assert record(client, about=open_case.number).status_code == 302        # linked
    _age_inquiries(app, 400)
    _close(app, closed, days_ago=2000, counsellor=counsellor)   # past the 1825-day document period, not the case's

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert "documents: 1 destroyed" in result.output and "unlinked-inquiries: 1 destroyed" in result.output
    [(_id, _pid, _type, size, chunks, deleted_at)] = documents(app, closed)
    assert deleted_at is not None and size == chunks == 0
    assert documents(app, open_case)[0][5] is None
    assert _readable(app, closed)                     # the case itself stays until its own period
    [(_i, _p, case_id, _q)] = inquiries(app)
    assert case_id == open_case.id                     # the linked one stays
    [(_dry, _by, _fin, records)] = _runs(app)
    assert records["documents"] == ("delete", 1825, 1, 0, [closed.number])
    assert records["unlinked-inquiries"] == ("crypto-shred", 365, 1, 0, [])
    assert records["closed-cases"][2] == 0
    from app.db import db
    from crypto.models import DataKey
    with app.app_context():
        keys = db.session.scalars(sa.select(DataKey).where(DataKey.owner_type == "inquiry")).all()
        assert keys and all(k.wrapped is None and k.destroyed_at is not None for k in keys)
    assert "documents: 0 destroyed" in _run(app).output   # a second run finds nothing


def test_dry_run_from_the_page_lists_what_would_go_and_destroys_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    old = make_case(counsellor, applicant_name="Kuru Çalıştırma Leyla")
    _close(app, old, days_ago=DAYS + 5, counsellor=counsellor)
    client = app.test_client()
    admin = make_user("admin")
    factories.login_as(client, admin)
    token = factories.csrf_token(client, "/cases/retention")
    assert client.post("/cases/retention/dry-run", data={}).status_code == 400
    r = client.post("/cases/retention/dry-run", data={"csrf_token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nothing was destroyed" in html and old.number in html
    assert "Kuru" not in html and _readable(app, old)
    [(dry, by, _fin, records)] = _runs(app)
    assert dry is True and by == admin.email
    assert records["closed-cases"][4] == [old.number]
    # A dry run is not a run: the dashboard still says retention never ran.
    assert "Retention has never run" in client.get("/").get_data(as_text=True)


def test_auditor_sees_runs_and_prints_the_record_others_do_not(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    old = make_case(counsellor, applicant_name="Tutanak Deneme Sevgi")
    _close(app, old, days_ago=DAYS + 1, counsellor=counsellor)
    assert _run(app).exit_code == 0
    auditor = app.test_client()
    factories.login_as(auditor, make_user("auditor"))
    dash = auditor.get("/").get_data(as_text=True)
    assert 'id="panel-retention"' in dash and "Last run" in dash and "never run" not in dash
    html = factories.page(auditor, "/cases/retention/runs").get_data(as_text=True)
    from app.db import db
    from cases.retention.models import RetentionRun
    with app.app_context():
        run_id = db.session.scalar(sa.select(RetentionRun.public_id))
    record_html = factories.page(auditor, f"/cases/retention/runs/{run_id}").get_data(as_text=True)
    assert "Destruction record" in record_html and old.number in record_html and "Tutanak" not in record_html
    assert "Destruction" in html and "cli" in html
    assert auditor.get(f"/cases/retention/runs/{uuid.uuid4()}").status_code == 404
    other = app.test_client()
    factories.login_as(other, make_user("supervisor"))
    assert other.get("/cases/retention/runs").status_code == 404
    assert other.get(f"/cases/retention/runs/{run_id}").status_code == 404
    from app.audit import AuditEvent
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "retention.record.view")) == 1


def test_six_months_without_a_run_warns_the_admin(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.retention.models import RetentionRun

    client = app.test_client()
    factories.login_as(client, make_user("admin"))
    assert "Retention has never run" in client.get("/").get_data(as_text=True)
    with app.app_context():
        finished = utcnow() - dt.timedelta(days=200)
        db.session.add(RetentionRun(run_by="cli", started_at=finished, finished_at=finished))
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "More than 182 days have passed" in html
    with app.app_context():
        db.session.add(RetentionRun(run_by="cli", started_at=utcnow(), finished_at=utcnow()))
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "More than 182 days" not in html and "Next due" in html
