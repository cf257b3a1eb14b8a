"""Dashboard panels of case work (registered by ``cases.registry``).

Counsellor: her open cases with risk badges, and the break-glass access she currently holds.
Supervisor: caseloads per counsellor and break-glass grants awaiting her review (high-risk cases without an approved
safety plan are in the plans panel, ``cases.plans.panels``).
Next to each case number, the applicant's name (so she finds her client at a glance): showing them makes the panel
an audited read (``case.list`` with ``panel`` and the case numbers shown), committed before the page leaves.
"""

from __future__ import annotations

import functools
from typing import Any, cast

import sqlalchemy as sa

from app import access, audit
from app.db import db, utcnow
from app.per_request import once_per_request
from app.users.models import Role, User
from cases.casefile.services import applicant_names
from cases.core import policies
from cases.core.models import BreakGlassGrant, Case, CaseStatus, RiskLevel

PANEL_LIMIT = 20


# The panels' statements are built once per process (issue 20): the user (policies.BoundViewer) and the time are
# bound parameters.
@functools.cache
def _open_cases_statement(role: Role) -> sa.Select[tuple[Case]]:
    visible = policies.visible_cases_query(cast(User, policies.bound_viewer(role)))
    return (visible.where(Case.status != CaseStatus.CLOSED)
            .order_by(Case.opened_at.desc()).limit(sa.bindparam("open_cases_limit", type_=sa.Integer)))


def my_open_cases(user: User, limit: int = PANEL_LIMIT) -> list[Case]:
    return list(db.session.scalars(_open_cases_statement(user.role),
                                   {**policies.viewer_params(user), "open_cases_limit": limit}))


@functools.cache
def _held_grants_statement() -> sa.Select[tuple[BreakGlassGrant]]:
    viewer = policies.bound_viewer(Role.COUNSELLOR)
    now = sa.bindparam("grants_now", type_=BreakGlassGrant.__table__.c.expires_at.type)
    return (sa.select(BreakGlassGrant).join(Case, Case.id == BreakGlassGrant.case_id)
            .where(BreakGlassGrant.user_id == viewer.id,
                   BreakGlassGrant.expires_at > now,
                   Case.centre_id == viewer.centre_id)
            .order_by(BreakGlassGrant.expires_at))


def held_grants(user: User) -> list[BreakGlassGrant]:
    return list(db.session.scalars(_held_grants_statement(), {**policies.viewer_params(user), "grants_now": utcnow()}))


@functools.cache
def _case_counts_statement() -> sa.Select[tuple[int | None, int, int]]:
    """Open-or-active cases of the centre (``supervisor_centre_id``) per primary counsellor (None: unassigned), and
    how many of them are high risk: one statement, built once per process (issue 20)."""
    return (sa.select(Case.primary_counsellor_id, sa.func.count(),
                      sa.func.count(sa.case((Case.risk_level == RiskLevel.HIGH, 1))))
            .where(Case.centre_id == sa.bindparam("supervisor_centre_id", type_=sa.Integer),
                   Case.status != CaseStatus.CLOSED)
            .group_by(Case.primary_counsellor_id))


def _case_counts(supervisor: User) -> dict[int | None, tuple[int, int]]:
    """{primary counsellor id or None: (open-or-active cases, of which high risk)}, once per request (the caseloads
    and the unassigned count share it)."""
    return once_per_request(("casefile.case_counts", supervisor.centre_id), lambda: {
        counsellor: (count, high) for counsellor, count, high in db.session.execute(
            _case_counts_statement(), {"supervisor_centre_id": supervisor.centre_id})})


@functools.cache
def _counsellors_statement() -> sa.Select[tuple[User]]:
    return sa.select(User).where(User.centre_id == sa.bindparam("supervisor_centre_id", type_=sa.Integer),
                                 User.role == Role.COUNSELLOR, User.is_active.is_(True)).order_by(User.name)


def caseloads(supervisor: User) -> list[tuple[User, int, int]]:
    """(counsellor, open-or-active cases as primary, of which high risk) for every active counsellor of the centre."""
    counts = _case_counts(supervisor)
    counsellors = db.session.scalars(_counsellors_statement(), {"supervisor_centre_id": supervisor.centre_id})
    return [(u, *counts.get(u.id, (0, 0))) for u in counsellors]


def unassigned_count(supervisor: User) -> int:
    return _case_counts(supervisor).get(None, (0, 0))[0]


@functools.cache
def _grants_to_review_statement() -> sa.Select[tuple[BreakGlassGrant]]:
    from cases.lifecycle.services import grants_to_review_select

    return grants_to_review_select(sa.bindparam("supervisor_centre_id", type_=sa.Integer))


def _names_on_record(panel: str, cases: list[Case]) -> dict[int, str | None]:
    """Applicant names of ``cases``; the read is audited and committed before the dashboard is returned."""
    if not cases:
        return {}
    names = applicant_names([c.id for c in cases])
    # SECURITY: names on the dashboard are a read of those cases: on record, with the numbers shown.
    audit.record("case.list", details={"cases": [c.number for c in cases], "panel": panel})
    access.commit_read()
    return names


def counsellor_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.COUNSELLOR:
        return None
    cases, grants = my_open_cases(user), held_grants(user)
    names = _names_on_record("counsellor", cases)  # not the break-glass ones: she opens those only with the reason
    return "cases/panels/counsellor.html", {"cases": cases, "grants": grants, "names": names}


def supervisor_panel(user: Any) -> tuple[str, dict[str, Any]] | None:
    if getattr(user, "role", None) != Role.SUPERVISOR:
        return None
    reviews = list(db.session.scalars(_grants_to_review_statement(), {"supervisor_centre_id": user.centre_id}))
    return "cases/panels/supervisor.html", {
        "caseloads": caseloads(user),
        "unassigned": unassigned_count(user),
        "reviews": reviews,
        "names": _names_on_record("supervisor", list({g.case.id: g.case for g in reviews[:5]}.values())),
    }
