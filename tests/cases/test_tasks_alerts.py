"""One list of what is due, and in-app alerts (issue 18 §1)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_lifecycle import CHECKLIST, _client
from tests.cases.test_risk import _record


def _task_rows(client, query: str = "") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind link text, case number) of every row of the task list."""
    html = factories.page(client, "/cases/tasks" + query).get_data(as_text=True)
    return re.findall(r'<tr class="task task--([a-z-]+)">.*?<td>([A-Z0-9]+-\d{4}-\d{4})</td>', html, re.S)


def _alerts(app, user) -> list[tuple[str, str | None, bool]]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.alerts.models import Alert

    with app.app_context():
        return [(a.kind, a.case.number if a.case else None, a.read_at is None)
                for a in db.session.scalars(sa.select(Alert).where(Alert.user_id == user.id).order_by(Alert.id))]


def test_task_list_is_computed_and_a_done_task_disappears(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, colleague = make_user("counsellor"), make_user("counsellor")
    mine, theirs = make_case(counsellor), make_case(colleague)
    c = _client(app, counsellor)
    rows = _task_rows(c)
    assert ("reassessment", mine.number) in rows  # never assessed
    assert all(number != theirs.number for _, number in rows)  # only her own cases
    html = factories.page(c, "/cases/tasks").get_data(as_text=True)
    assert f'href="/cases/{mine.public_id}/risk/new"' in html  # links to where it is done
    _record(app, mine, counsellor, 2)  # done: standard risk, next review in months
    assert ("reassessment", mine.number) not in _task_rows(c)


def test_supervisor_sees_her_centre_filtered_by_counsellor_and_kind(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user("counsellor", name="Ayla"), make_user("counsellor", name="Berna")
    case1, case2 = make_case(first), make_case(second)
    supervisor = make_user("supervisor")
    sup = _client(app, supervisor)
    # first asks for closure: a decision task for the supervisor
    url = f"/cases/{case1.public_id}/close"
    c1 = _client(app, first)
    assert post(c1, url, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "standard"},
                token_url=url).status_code == 302
    rows = _task_rows(sup)
    assert ("closure-decision", case1.number) in rows and ("reassessment", case2.number) in rows
    assert set(_task_rows(sup, f"?counsellor={second.public_id}")) == {("reassessment", case2.number)}
    assert _task_rows(sup, "?kind=closure-decision") == [("closure-decision", case1.number)]
    # hostile filters are a 4xx with the list, never a 500
    assert sup.get("/cases/tasks?counsellor=not-a-uuid").status_code == 422
    other = factories.make_user(app, "counsellor", centre=factories.make_centre(app, code="KDK"))
    assert sup.get(f"/cases/tasks?counsellor={other.public_id}").status_code == 422
    # returned: the decision task goes, the counsellor gets a task back and an alert
    decide = f"/cases/{case1.public_id}/closure-request"
    assert post(sup, decide, {"decision": "return", "note": "Önce destek planını gözden geçirin."},
                token_url=decide).status_code == 302
    assert ("closure-decision", case1.number) not in _task_rows(sup)
    assert ("closure-returned", case1.number) in _task_rows(c1)
    assert ("closure-returned", case1.number, True) in _alerts(app, first)
    assert not [a for a in _alerts(app, first) if a[0] == "case-changed"]  # the specific alert only


def test_overdue_tasks_come_first(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from app.db import db
    from cases.risk.models import RiskAssessment

    counsellor = make_user("counsellor")
    later, overdue = make_case(counsellor), make_case(counsellor)
    _record(app, later, counsellor, 2)
    _record(app, overdue, counsellor, 2)
    with app.app_context():
        today = dt.date.today()
        for case, due in ((later, today + dt.timedelta(days=3)), (overdue, today - dt.timedelta(days=3))):
            row = db.session.scalar(sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id))
            row.review_due_on = due  # type: ignore[union-attr]
        db.session.commit()
    rows = [r for r in _task_rows(_client(app, counsellor)) if r[0] == "reassessment"]
    assert rows == [("reassessment", overdue.number), ("reassessment", later.number)]


def test_a_change_by_someone_else_alerts_the_team_once_until_read(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    primary, teammate, outsider = make_user("counsellor"), make_user("counsellor"), make_user("counsellor")
    case = make_case(primary, team=(teammate,))
    t = _client(app, teammate)
    note = {"kind": "phone", "occurred_on": "2026-11-03", "text": "Aradı."}
    for _ in range(2):
        assert post(t, f"/cases/{case.public_id}/notes", note, token_url=f"/cases/{case.public_id}").status_code == 302
    assert _alerts(app, primary) == [("case-changed", case.number, True)]  # one unread alert, not two
    assert _alerts(app, teammate) == []  # never about her own act
    assert _alerts(app, outsider) == []
    p = _client(app, primary)
    html = factories.page(p, "/cases/alerts").get_data(as_text=True)
    assert case.number in html and "Someone else changed a case you are on" in html
    assert "Aradı" not in html  # categories only
    alert_id = re.search(r'/cases/alerts/([0-9a-f-]{36})/read', html).group(1)  # type: ignore[union-attr]
    # someone else cannot open (or learn about) her alert
    o = _client(app, outsider)
    assert post(o, f"/cases/alerts/{alert_id}/read", {}, token_url="/cases/alerts").status_code == 404
    with app.app_context():  # … and the probe is on record like every denial of an object (DESIGN.md §1)
        from app.audit import AuditEvent
        from app.db import db

        denied = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id)
                                    .where(AuditEvent.outcome == "denied")).all()
        assert ("alert.read", str(outsider.public_id), alert_id) in [tuple(row) for row in denied]
    r = post(p, f"/cases/alerts/{alert_id}/read", {}, token_url="/cases/alerts")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/cases/{case.public_id}")
    assert _alerts(app, primary) == [("case-changed", case.number, False)]
    assert "Unread alerts: 0" in factories.page(p, "/").get_data(as_text=True)


def test_referral_answer_and_plan_decision_alerts(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans_service

    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    case = make_case(counsellor)
    with app.test_request_context():
        obj, me = db.session.get(Case, case.id), db.session.get(User, counsellor.id)
        plans_service.save_safety_plan(obj, {"safe_contacts": "Komşu"}, actor=me)  # type: ignore[arg-type]
        plans_service.submit_safety_plan(obj, actor=me)  # type: ignore[arg-type]
        plans_service.return_safety_plan(obj, actor=db.session.get(User, supervisor.id),  # type: ignore[arg-type]
                                         comments="Kaçış yolunu ekleyin.")
        db.session.commit()
    assert ("plan-returned", case.number, True) in _alerts(app, counsellor)


def test_coordinator_sees_shelter_tasks_only(app, make_user) -> None:  # type: ignore[no-untyped-def]
    coordinator = make_user("coordinator")
    c = _client(app, coordinator)
    assert factories.page(c, "/cases/tasks").status_code == 200
    assert c.get("/cases/alerts").status_code in (403, 404)
    for role in ("auditor", "admin"):
        assert _client(app, make_user(role)).get("/cases/tasks").status_code in (403, 404)


def _reference_due(cases, assessments, prompts, today, within_days):  # type: ignore[no-untyped-def]
    """The due list as it was computed in Python before issue 20 (every open case loaded, then filtered)."""
    import datetime as dt

    latest = {}
    for a in sorted(assessments, key=lambda a: (a.case_id, a.assessed_at, a.id)):
        latest[a.case_id] = a.review_due_on
    prompted = {p.case_id for p in prompts if p.resolved_at is None}
    due = []
    for case in cases:
        on = latest.get(case.id)
        if case.id in prompted or on is None or on <= today + dt.timedelta(days=within_days):
            due.append((case.number, on, case.id in prompted, on is not None and on < today))
    return sorted(due, key=lambda d: (not d[2], d[1] or dt.date.min, d[0]))


def test_the_sql_due_count_matches_the_list_on_generated_data(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """The dashboard counts risk tasks in SQL (issue 20): the same numbers as the list and as counting every task."""
    import datetime as dt

    from app.db import db
    from app.tasks import collect_tasks, count_tasks
    from app.users.models import User
    from cases.core import policies
    from cases.core.models import Case, CaseStatus
    from cases.plans import panels as plans_panels
    from cases.risk import services as risk_service
    from cases.risk.models import RiskAssessment, RiskReassessmentPrompt

    counsellor, colleague = make_user("counsellor"), make_user("counsellor")
    offsets = (-21, -1, 0, 6, 7, 8, 21)  # due dates from three weeks ago to three weeks ahead, at the 7-day edge
    cases = [make_case(counsellor) for _ in range(14)] + [make_case(colleague) for _ in range(2)]
    for case in cases[:11] + cases[14:]:
        _record(app, case, counsellor if case in cases[:14] else colleague, 2)
    with app.app_context():
        today = dt.date.today()
        for i, case in enumerate(cases):
            rows = db.session.scalars(sa.select(RiskAssessment).where(RiskAssessment.case_id == case.id)).all()
            for row in rows:
                row.review_due_on = today + dt.timedelta(days=offsets[i % len(offsets)])
            if i in (2, 5):  # a later assessment decides, not the first one
                later = RiskAssessment(case_id=rows[0].case_id, case_public_id=rows[0].case_public_id,
                                       checklist_id=rows[0].checklist_id, assessed_by_id=counsellor.id,
                                       assessed_at=rows[0].assessed_at + dt.timedelta(days=1), score=1,
                                       computed_level=rows[0].level, level=rows[0].level,
                                       review_due_on=today + dt.timedelta(days=30 if i == 2 else -2))
                rows[0].review_due_on = today - dt.timedelta(days=2 if i == 2 else -30)
                db.session.add(later)
            if i in (1, 8, 12):  # asked for again (one assessed recently, one never assessed)
                db.session.add(RiskReassessmentPrompt(case_id=case.id, reason="new-incident"))
            if i == 3:  # a prompt already answered counts for nothing
                db.session.add(RiskReassessmentPrompt(case_id=case.id, reason="other",
                                                      resolved_at=dt.datetime.now(dt.UTC)))
            if i in (6, 13):
                db.session.get(Case, case.id).status = CaseStatus.CLOSED  # type: ignore[union-attr]
        db.session.commit()

        user = db.session.get(User, counsellor.id)
        mine = db.session.scalars(policies.visible_cases_query(user).where(Case.status != CaseStatus.CLOSED)).all()
        ids = [c.id for c in mine]
        expected = _reference_due(
            mine, db.session.scalars(sa.select(RiskAssessment).where(RiskAssessment.case_id.in_(ids))).all(),
            db.session.scalars(sa.select(RiskReassessmentPrompt).where(
                RiskReassessmentPrompt.case_id.in_(ids))).all(), today, 7)
        assert 5 <= len(expected) < len(mine)  # the data has due and not-due cases
        listed = risk_service.assessments_due(policies.visible_cases_query(user), 7, today)
        assert [(d.case.number, d.due_on, d.prompted, d.overdue) for d in listed] == expected
        for limit in (1, 3, 20):
            summary = risk_service.assessments_due_summary(policies.visible_cases_query(user), 7, today, limit)
            assert summary.total == len(expected)
            assert summary.overdue == sum(1 for _, on, prompted, _o in expected if prompted or on is None
                                          or on < today)
            assert [(d.case.number, d.due_on, d.prompted, d.overdue) for d in summary.first] == expected[:limit]

    with app.test_request_context("/"):
        user = db.session.get(User, counsellor.id)
        tasks = collect_tasks(user, today)
        assert len([t for t in tasks if t.kind == "reassessment"]) == len(expected)
        count = count_tasks(user, today)
        assert (count.total, count.overdue) == (len(tasks), sum(1 for t in tasks if t.overdue))
        assert plans_panels.counsellor_plans_panel(user)[1]["due_total"] == len(expected)  # type: ignore[index]
