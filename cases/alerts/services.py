"""Creating, listing and reading alerts; the hook that alerts a case's team when someone else changes it.

``notify(users, case, kind, actor=)`` adds (or refreshes) one unread alert per recipient; the actor is never alerted
about her own act. The ``before_flush`` hook notes which cases the signed-in user changed in this transaction;
``before_commit`` turns them into ``case-changed`` alerts for the case's primary counsellor and team, unless this
transaction already sent that person a more specific alert about the same case.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.users.models import Role, User
from cases.alerts.models import Alert
from cases.core.models import Case, CaseMember

ALERT_KINDS: dict[str, object] = {
    "case-changed": _l("Someone else changed a case you are on"),
    "referral-answered": _l("A referral was answered"),
    "closure-approved": _l("Your supervisor approved the closure"),
    "closure-returned": _l("Your supervisor returned the closure request"),
    "plan-approved": _l("Your supervisor approved the safety plan"),
    "plan-returned": _l("Your supervisor returned the safety plan"),
    "unusual-reading": _l("A colleague opened or searched many case files in a short time"),
}
LIST_LIMIT = 100

# Tables whose rows do not count as a change of the case for the team (the alert itself; an emergency read).
_NOT_A_CASE_CHANGE = frozenset({"alerts", "break_glass_grants", "audit_events"})
_CHANGED = "dayanisma.alerts.changed_cases"
_SENT = "dayanisma.alerts.sent"


def register_alert_kind(key: str, label: object) -> None:
    """Other slices add their kinds (e.g. ``location-inquiry``)."""
    ALERT_KINDS[key] = label


def case_team_ids(case: Case) -> set[int]:
    ids = set(db.session.scalars(sa.select(CaseMember.user_id).where(CaseMember.case_id == case.id)))
    if case.primary_counsellor_id is not None:
        ids.add(case.primary_counsellor_id)
    return ids


def notify(user_ids: Iterable[int], case: Case | None, kind: str, *, actor: User | None) -> int:
    """One unread alert of ``kind`` about ``case`` per recipient (an unread one is refreshed, not repeated); the
    actor is skipped. Answers how many people were alerted."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    session = db.session()
    recipients = {uid for uid in user_ids if actor is None or uid != actor.id}
    case_id = case.id if case is not None else None
    for uid in recipients:
        existing = db.session.scalar(sa.select(Alert).where(Alert.user_id == uid, Alert.case_id == case_id,
                                                            Alert.kind == kind, Alert.read_at.is_(None)))
        if existing is not None:
            existing.created_at = utcnow()
            existing.actor_id = actor.id if actor is not None else None
        else:
            db.session.add(Alert(user_id=uid, case_id=case_id, case=case, kind=kind,
                                 actor_id=actor.id if actor is not None else None))
        session.info.setdefault(_SENT, set()).add((uid, case_id))
    return len(recipients)


def alert_supervisors_of_pace(user: User, action: str) -> None:
    """``app.throttle`` listener: the supervisors of her centre are told that she opened or searched case files at
    a pace no honest day reaches (the audit log has the details, highlighted)."""
    supervisors = db.session.scalars(sa.select(User.id).where(
        User.centre_id == user.centre_id, User.role == Role.SUPERVISOR, User.is_active.is_(True)))
    notify(list(supervisors), None, "unusual-reading", actor=user)


@functools.cache
def _unread_statement() -> sa.Select[tuple[int]]:
    """Built once per process (the dashboard asks it on every visit; issue 20)."""
    return (sa.select(sa.func.count()).select_from(Alert)
            .where(Alert.user_id == sa.bindparam("alerts_user_id", type_=sa.Integer), Alert.read_at.is_(None)))


def unread_count(user: User) -> int:
    return db.session.scalar(_unread_statement(), {"alerts_user_id": user.id}) or 0


def alerts_for(user: User, limit: int = LIST_LIMIT) -> list[Alert]:
    """Her alerts, unread first, newest first. Alerts about a case she no longer works on are left out."""
    from cases.core.policies import visible_cases_query

    visible = visible_cases_query(user).with_only_columns(Case.id)
    return list(db.session.scalars(
        sa.select(Alert).where(Alert.user_id == user.id, sa.or_(Alert.case_id.is_(None), Alert.case_id.in_(visible)))
        .order_by(Alert.read_at.is_not(None), Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    ))


def find_alert(user: User, public_id: Any) -> Alert | None:
    # SECURITY: an alert is looked up among the user's own only.
    return db.session.scalar(sa.select(Alert).where(Alert.public_id == public_id, Alert.user_id == user.id))


def mark_read(user: User, alert: Alert | None = None) -> int:
    """Mark one alert (or all of hers) read; answers how many changed."""
    stmt = sa.select(Alert).where(Alert.user_id == user.id, Alert.read_at.is_(None))
    if alert is not None:
        stmt = stmt.where(Alert.id == alert.id)
    rows = list(db.session.scalars(stmt))
    now = utcnow()
    for row in rows:
        row.read_at = now
    return len(rows)


# --- the team hook ---------------------------------------------------------------------------------------------

def _acting_user() -> Any:
    if not has_request_context():
        return None
    user = current_user._get_current_object() if current_user else None  # type: ignore[attr-defined]
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _case_id_of(obj: Any) -> int | None:
    if getattr(obj, "__tablename__", None) in _NOT_A_CASE_CHANGE:
        return None
    if isinstance(obj, Case):
        return obj.id
    case_id = getattr(obj, "case_id", None)
    return case_id if isinstance(case_id, int) else None


@event.listens_for(Session, "before_flush")
def _note_changed_cases(session: Session, flush_context: Any, instances: Any) -> None:
    if _acting_user() is None:
        return
    changed = session.info.setdefault(_CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        case_id = _case_id_of(obj)
        if case_id is not None:
            changed.add(case_id)


@event.listens_for(Session, "before_commit")
def _alert_the_team(session: Session) -> None:
    changed = session.info.pop(_CHANGED, set())
    sent = session.info.pop(_SENT, set())
    actor = _acting_user()
    if not changed or actor is None:
        return
    for case in session.scalars(sa.select(Case).where(Case.id.in_(changed))):
        team = {uid for uid in case_team_ids(case) if (uid, case.id) not in sent}
        if team:
            notify(team, case, "case-changed", actor=actor)
    session.info.pop(_SENT, None)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_SENT, None)
