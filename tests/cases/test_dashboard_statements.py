"""The dashboards' statements built once per process (issue 20, fourth pass) answer what the straightforward ones do.

The counsellor's and supervisor's dashboards build their statements once, the user, centre and day bound as
parameters (``cases.core.policies.BoundViewer``), and count the tasks from the rows instead of building them. Here
the same questions are asked both ways on generated cases (``flask demo generate``), for every case-work user of
the centre, on days around today (so the date edges move), and must give the same rows and the same counts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Flask

DAYS = (-30, -8, -1, 0, 1, 6, 7, 13, 30)  # around today: the 7- and 14-day windows move over the generated dates


def _generate(app: Flask, n: int) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    result = runner.invoke(args=["demo", "generate", "--cases", str(n), "--seed", "20"])
    assert result.exit_code == 0, result.output


def _ids(rows: Any) -> list[Any]:
    return [row.id for row in rows]


def _straightforward_follow_ups(user: Any, today: dt.date) -> list[Any]:
    """The referral follow-ups as the panel read them before (a statement built for the request)."""
    from app.db import db
    from cases.core.models import Case
    from cases.core.policies import open_visible_case_ids
    from cases.referrals import panels
    from cases.referrals.models import OPEN_REFERRAL_STATUSES, Referral

    rows = db.session.execute(
        sa.select(Referral, Case.number).join(Case, Case.id == Referral.case_id)
        .where(Referral.case_id.in_(open_visible_case_ids(user)), Referral.status.in_(OPEN_REFERRAL_STATUSES),
               Referral.follow_up_on.is_not(None),
               Referral.follow_up_on <= today + dt.timedelta(days=panels.FOLLOW_UP_WINDOW_DAYS))
        .order_by(Referral.follow_up_on, Referral.id).limit(panels.PANEL_LIMIT)).all()
    return [(r.public_id, number, r.follow_up_overdue(today)) for r, number in rows]


def _straightforward_closures(user: Any) -> list[int]:
    from app.db import db
    from app.users.models import Role
    from cases.core import policies
    from cases.core.models import Case
    from cases.lifecycle import services as lifecycle
    from cases.lifecycle.models import ClosureRequest, ClosureStatus

    if user.role == Role.SUPERVISOR:
        return _ids(lifecycle.closures_awaiting_decision(user.centre_id))
    newer = sa.orm.aliased(ClosureRequest)
    return _ids(db.session.scalars(sa.select(ClosureRequest).join(Case, Case.id == ClosureRequest.case_id).where(
        policies.returned_to(ClosureRequest.requested_by_id, user),
        ClosureRequest.status == ClosureStatus.RETURNED.value,
        ClosureRequest.case_id.in_(policies.open_visible_case_ids(user)),
        ~sa.exists().where(newer.case_id == ClosureRequest.case_id, newer.id > ClosureRequest.id))))


def _compare(user: Any, today: dt.date, seen: dict[str, int]) -> None:
    from flask import g

    from app.db import db
    from app.per_request import _MEMO
    from app.tasks import collect_tasks, count_tasks
    from app.users.models import Role
    from cases.casefile import panels as casefile_panels
    from cases.core import policies
    from cases.core.models import Case, CaseStatus
    from cases.legal import panels as legal_panels
    from cases.legal import services as legal_service
    from cases.orders import panels as orders_panels
    from cases.plans import panels as plans_panels
    from cases.plans import services as plans_service
    from cases.plans.models import SupportAction
    from cases.referrals import panels as referrals_panels
    from cases.risk import services as risk_service
    from cases.tasks import services as tasks_service

    g.pop(_MEMO, None)  # each day its own "request": nothing shared with the previous day's answers
    ids = policies.open_visible_case_ids(user)
    due = plans_panels.assessments_due_summary(user, today)
    reference = risk_service.assessments_due_summary(policies.visible_cases_query(user), 7, today, 20)
    assert (due.total, due.overdue) == (reference.total, reference.overdue)
    assert [(d.case.id, d.due_on, d.prompted) for d in due.first] == \
        [(d.case.id, d.due_on, d.prompted) for d in reference.first]
    reviews = plans_panels.safety_plan_reviews_due(user, today)
    assert _ids(reviews) == _ids(plans_service.safety_plan_reviews_due(ids, 7, today))
    assert _ids(plans_panels.plans_returned_to(user)) == _ids(plans_service.plans_returned_to(user))
    assert _ids(plans_panels.plans_awaiting_review(user.centre_id)) == \
        _ids(plans_service.plans_awaiting_review(user.centre_id))
    if user.role == Role.COUNSELLOR:
        actions = plans_panels.actions_due_for(user, today)
        assert _ids(actions) == _ids(plans_service.actions_due_for(user, 7, today))
    else:
        actions = plans_panels.centre_actions_due(user.centre_id, today)
        assert _ids(actions) == _ids(plans_service.actions_due(SupportAction.owner_user_id.is_not(None),
                                                               user.centre_id, 7, today))
    follow_ups = referrals_panels.follow_ups_due(user, today)
    assert [(r.referral_public_id, r.case_number, r.overdue) for r in follow_ups] == \
        _straightforward_follow_ups(user, today)
    expiring, awaiting = orders_panels.orders_for(user, today)
    assert [(o.order_public_id, o.days_left) for o in expiring] == \
        [(o.order_public_id, o.days_left) for o in orders_panels.orders_expiring(ids, today)]
    assert [(o.order_public_id, o.approval_overdue) for o in awaiting] == \
        [(o.order_public_id, o.approval_overdue) for o in orders_panels.orders_awaiting_approval(ids, today)]
    assert _ids(tasks_service._closures(user)) == _straightforward_closures(user)
    assert legal_panels._legal_due(user, today) == legal_service.legal_due(ids, today=today)
    # the counts the dashboard shows, against counting every task the list shows
    tasks = collect_tasks(user, today)
    count = count_tasks(user, today)
    assert (count.total, count.overdue) == (len(tasks), sum(1 for t in tasks if t.overdue)), today
    seen["tasks"] += count.total
    seen["overdue"] += count.overdue
    for kind in {t.kind for t in tasks}:
        seen[kind] = seen.get(kind, 0) + 1
    if user.role == Role.COUNSELLOR:
        assert _ids(casefile_panels.my_open_cases(user)) == _ids(db.session.scalars(
            policies.visible_cases_query(user).where(Case.status != CaseStatus.CLOSED)
            .order_by(Case.opened_at.desc()).limit(casefile_panels.PANEL_LIMIT)))


def _add_closures_and_hearings(app: Flask) -> None:
    """What the generator does not make: closure requests (pending, returned) and hearings and appeal deadlines on
    days around today."""
    from app.dates import local_today
    from app.db import db
    from cases.core.models import Case, CaseStatus
    from cases.legal.models import LegalProceeding
    from cases.lifecycle.models import ClosureRequest, ClosureStatus

    with app.app_context():
        today = local_today()
        cases = db.session.scalars(sa.select(Case).where(Case.status != CaseStatus.CLOSED).order_by(Case.id)).all()
        assert len(cases) >= 12
        for i, case in enumerate(cases[:4]):
            db.session.add(ClosureRequest(
                case_id=case.id, case_public_id=case.public_id, requested_by_id=case.primary_counsellor_id,
                reason="goals-met", risk_at_closure="standard",
                status=ClosureStatus.PENDING.value if i % 2 else ClosureStatus.RETURNED.value))
        for i, case in enumerate(cases[4:12]):
            offset = (-3, 0, 5, 7, 8, 14, 15, 30)[i]
            db.session.add(LegalProceeding(
                case_id=case.id, case_public_id=case.public_id, kind="criminal-case", recorded_by_id=case.created_by_id,
                next_hearing_on=today + dt.timedelta(days=offset) if i % 2 else None,
                appeal_deadline_on=None if i % 2 else today + dt.timedelta(days=offset)))
        db.session.commit()


def test_the_dashboards_fast_statements_answer_what_the_straightforward_ones_do(app: Flask) -> None:
    from app.dates import local_today
    from app.db import db
    from app.users.models import Role, User

    _generate(app, 120)
    _add_closures_and_hearings(app)
    with app.test_request_context("/"):
        users = db.session.scalars(sa.select(User).where(User.role.in_([Role.COUNSELLOR, Role.SUPERVISOR]))
                                   .order_by(User.id)).all()
        assert {u.role for u in users} == {Role.COUNSELLOR, Role.SUPERVISOR}
        seen = {"tasks": 0, "overdue": 0}
        for user in users:
            for offset in DAYS:
                _compare(user, local_today() + dt.timedelta(days=offset), seen)
    # the generated data gives tasks of several kinds, some overdue: a wrong count has something to be wrong about
    assert seen["tasks"] > 0 and seen["overdue"] > 0
    assert {"reassessment", "safety-plan-review", "referral-follow-up", "closure-returned", "closure-decision",
            "hearing", "appeal-deadline"} <= set(seen), seen


def test_the_supervisors_caseloads_count_what_a_count_per_case_gives(app: Flask) -> None:
    from collections import Counter

    from app.db import db
    from app.users.models import Role, User
    from cases.casefile import panels
    from cases.core.models import Case, CaseStatus, RiskLevel

    _generate(app, 60)
    with app.test_request_context("/"):
        supervisor = db.session.scalar(sa.select(User).where(User.role == Role.SUPERVISOR))
        assert supervisor is not None
        counsellor = db.session.scalar(sa.select(User).where(User.role == Role.COUNSELLOR))
        cases = db.session.scalars(sa.select(Case).where(Case.centre_id == supervisor.centre_id,
                                                         Case.status != CaseStatus.CLOSED)).all()
        some = [c for c in cases if c.primary_counsellor_id == counsellor.id][:3]  # type: ignore[union-attr]
        for case in some[:2]:
            case.primary_counsellor_id = None  # unassigned
        db.session.flush()
        total = Counter(c.primary_counsellor_id for c in cases)
        high = Counter(c.primary_counsellor_id for c in cases if c.risk_level == RiskLevel.HIGH)
        loads = panels.caseloads(supervisor)
        assert loads and all((count, risky) == (total[u.id], high[u.id]) for u, count, risky in loads)
        assert sum(count for _, count, _ in loads) > 0 and sum(risky for _, _, risky in loads) > 0
        assert panels.unassigned_count(supervisor) == total[None] == 2
        db.session.rollback()
