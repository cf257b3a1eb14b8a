"""Protective orders (6284): recording, the police-order approval watch, extensions and violations.

Expiry is computed, never typed: ``expires_on = starts_on + duration_days - 1`` (the last day in force; a 180-day
order starting 1 March is in force through 27 August). A police order must be approved by the governor / district
governor or a judge within 48 hours of issue or it lapses (6284 and its regulation, m.29): ``approval_deadline``.
A violation is a re-assessment trigger (DESIGN.md §2): ``record_violation`` asks the risk module for a re-assessment
(``cases.risk.services.request_reassessment``) and, while that module is absent, records the audited prompt
``case.reassessment-prompt`` instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import local_today
from app.db import db, utcnow
from app.numbers import number
from app.users.models import User
from cases.core.errors import CaseClosed, CaseError
from cases.core.models import Case
from cases.orders.models import (
    DEFAULT_DURATION_DAYS,
    MAX_DURATION_DAYS,
    ORDER_ISSUERS,
    ORDER_KINDS,
    ORDER_MEASURES,
    POLICE_APPROVAL_WINDOW,
    OrderExtension,
    OrderViolation,
    ProtectiveOrder,
)

KIND_LABELS = {"protective": _l("Protective (koruyucu), for her"),
               "preventive": _l("Preventive (önleyici), against the person using violence")}
ISSUER_LABELS = {
    "governor": _l("Governor / district governor"),
    "family-court": _l("Family court judge"),
    "police": _l("Police in an emergency"),
}
MEASURE_LABELS = {
    "shelter": _l("Shelter (barınma yeri)"),
    "financial-aid": _l("Temporary financial aid"),
    "guidance": _l("Psychological, vocational, legal or social guidance"),
    "protective-custody": _l("Temporary protection (geçici koruma)"),
    "daycare": _l("Day-care fee"),
    "workplace-change": _l("Change of workplace"),
    "separate-domicile": _l("Separate domicile"),
    "family-home-annotation": _l("Family home annotation on the title deed"),
    "identity-change": _l("Identity change / records kept confidential"),
    "no-threats": _l("No threats, insults or humiliation"),
    "leave-shared-home": _l("Leave the shared home"),
    "restraining-distance": _l("Keep away from her, her home, school or workplace"),
    "no-approach-relatives": _l("Keep away from relatives, witnesses and children"),
    "no-contact": _l("No contact by phone or other means"),
    "child-contact-supervised": _l("Contact with children supervised or suspended"),
    "weapon-surrender": _l("Surrender weapons"),
    "no-substances": _l("No alcohol or drugs near her"),
    "treatment": _l("Treatment or counselling"),
    "temporary-custody": _l("Temporary custody"),
    "temporary-alimony": _l("Temporary alimony"),
}
PROTECTIVE_MEASURES = frozenset(ORDER_MEASURES[:9])  # 6284 art. 3–4: for her; the rest (art. 5) are about him


def kind_mismatch(kind: str, measures: list[str]) -> str | None:
    """A warning when the kind of order and every measure chosen point different ways (a protective order for her
    with only measures against him, or the reverse): usually a slip, sometimes what the decision really says."""
    if not measures:
        return None
    protective = [m for m in measures if m in PROTECTIVE_MEASURES]
    if kind == "protective" and not protective:
        return str(_l("A protective order (for her) with only preventive measures (about the person using violence): "
                      "check the kind of order and the measures against the decision."))
    if kind == "preventive" and len(protective) == len(measures):
        return str(_l("A preventive order (about the person using violence) with only protective measures (for her): "
                      "check the kind of order and the measures against the decision."))
    return None


STATUS_LABELS = {
    "awaiting-approval": _l("Awaiting approval"), "lapsed": _l("Lapsed: not approved in time"),
    "upcoming": _l("Not started yet"), "active": _l("In force"), "expired": _l("Expired"),
}


class OrderError(CaseError):
    """A protective-order rule was broken (messages are safe to show)."""


def compute_expiry(starts_on: date, duration_days: int) -> date:
    return starts_on + timedelta(days=duration_days - 1)


def _ensure_open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(_("The case is closed; reopen it first."))


def record_order(
    case: Case,
    *,
    actor: User,
    kind: str,
    issuer: str,
    measures: list[str],
    issued_at: datetime,
    starts_on: date,
    duration_days: int = DEFAULT_DURATION_DAYS,
    details: str | None = None,
    now: datetime | None = None,
) -> ProtectiveOrder:
    _ensure_open(case)
    now = now or utcnow()
    if kind not in ORDER_KINDS:
        raise OrderError(_("Choose the kind of order."))
    if issuer not in ORDER_ISSUERS:
        raise OrderError(_("Choose who issued the order."))
    unknown = set(measures) - set(ORDER_MEASURES)
    if unknown or not measures:
        raise OrderError(_("Choose at least one measure."))
    if not 1 <= duration_days <= MAX_DURATION_DAYS:
        raise OrderError(_("The duration must be between 1 and %(max)s days.", max=number(MAX_DURATION_DAYS)))
    if issued_at > now + timedelta(minutes=5):
        raise OrderError(_("The order cannot be issued in the future."))
    order = ProtectiveOrder(
        case=case, case_id=case.id, case_public_id=case.public_id, kind=kind, issuer=issuer,
        measures=[m for m in ORDER_MEASURES if m in measures], issued_at=issued_at, starts_on=starts_on,
        duration_days=duration_days, expires_on=compute_expiry(starts_on, duration_days), created_by_id=actor.id,
        approval_deadline=issued_at + POLICE_APPROVAL_WINDOW if issuer == "police" else None,
    )
    order.details = (details or "").strip() or None
    db.session.add(order)
    db.session.flush()
    audit.record("case.order-record", object_type="protective-order", object_id=order.public_id,
                 case_number=case.number, actor=actor,
                 details={"kind": kind, "issuer": issuer, "measures": order.measures,
                          "duration_days": duration_days})
    return order


def record_approval(order: ProtectiveOrder, *, actor: User, approved_at: datetime,
                    now: datetime | None = None) -> ProtectiveOrder:
    """Record that the governor / judge approved a police order (the approval date as the decision says)."""
    _ensure_open(order.case)
    now = now or utcnow()
    if not order.needs_approval:
        raise OrderError(_("This order does not wait for an approval."))
    if approved_at < order.issued_at or approved_at > now + timedelta(minutes=5):
        raise OrderError(_("The approval must be between the order's issue and now."))
    order.approved_at = approved_at
    order.approved_by_id = actor.id
    db.session.flush()
    audit.record("case.order-approval", object_type="protective-order", object_id=order.public_id,
                 case_number=order.case.number, actor=actor,
                 details={"within_deadline": bool(order.approval_deadline and approved_at <= order.approval_deadline)})
    return order


def extend_order(order: ProtectiveOrder, *, actor: User, new_expires_on: date, reason: str | None) -> OrderExtension:
    _ensure_open(order.case)
    if new_expires_on <= order.expires_on:
        raise OrderError(_("The new end date must be after the current one."))
    if (new_expires_on - order.expires_on).days > MAX_DURATION_DAYS:
        raise OrderError(_("An extension can add at most %(max)s days.", max=number(MAX_DURATION_DAYS)))
    if not (reason or "").strip():
        raise OrderError(_("Give the reason for the extension."))
    extension = OrderExtension(order=order, order_id=order.id, case_public_id=order.case_public_id,
                               previous_expires_on=order.expires_on, new_expires_on=new_expires_on,
                               created_by_id=actor.id)
    extension.reason = (reason or "").strip()
    order.expires_on = new_expires_on
    db.session.add(extension)
    db.session.flush()
    audit.record("case.order-extend", object_type="protective-order", object_id=order.public_id,
                 case_number=order.case.number, actor=actor,
                 details={"added_days": (new_expires_on - extension.previous_expires_on).days})
    return extension


def record_violation(order: ProtectiveOrder, *, actor: User, occurred_on: date, description: str | None,
                     today: date | None = None) -> OrderViolation:
    """A breach of the order: recorded, the order flagged, and a risk re-assessment requested."""
    case = order.case
    _ensure_open(case)
    today = today or local_today()
    if occurred_on > today:
        raise OrderError(_("The violation date cannot be in the future."))
    if not (description or "").strip():
        raise OrderError(_("Describe what happened."))
    violation = OrderViolation(order=order, order_id=order.id, case_public_id=order.case_public_id,
                               occurred_on=occurred_on, recorded_by_id=actor.id)
    violation.description = (description or "").strip()
    if order.last_violation_on is None or occurred_on > order.last_violation_on:
        order.last_violation_on = occurred_on
    db.session.add(violation)
    db.session.flush()
    audit.record("case.order-violation", object_type="protective-order", object_id=order.public_id,
                 case_number=case.number, actor=actor, details={"kind": order.kind, "issuer": order.issuer})
    prompt_reassessment(case, reason="order-violation", actor=actor)
    return violation


def prompt_reassessment(case: Case, *, reason: str, actor: User) -> bool:
    """Ask the risk module for a re-assessment; True when it took the request.

    The risk module is built in parallel: while ``cases.risk.services.request_reassessment`` cannot be imported,
    an audited ``case.reassessment-prompt`` event is the prompt (the case page's orders partial shows the breach).
    """
    try:
        from cases.risk.services import request_reassessment
    except ImportError:
        audit.record("case.reassessment-prompt", object_type="case", object_id=case.public_id,
                     case_number=case.number, actor=actor, details={"trigger": reason})
        return False
    request_reassessment(case, reason, actor)
    return True


def case_orders(case: Case) -> list[ProtectiveOrder]:
    return list(db.session.scalars(
        sa.select(ProtectiveOrder).where(ProtectiveOrder.case_id == case.id)
        .order_by(ProtectiveOrder.expires_on.desc(), ProtectiveOrder.id.desc())
    ))


def find_order(case: Case, public_id: object) -> ProtectiveOrder | None:
    return db.session.scalar(
        sa.select(ProtectiveOrder).where(ProtectiveOrder.case_id == case.id, ProtectiveOrder.public_id == public_id)
    )
