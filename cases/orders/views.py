"""Protective-order pages of a case: the list with the new-order form, an order's page with approval (police
orders), extension and violation forms. Also registers the referral and order dashboard panels.

Orders are looked up within the case loaded by ``case_access`` (another case's order id is a 404). Reading needs
"view", every change "edit".
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.dates import local_today
from app.db import db, utcnow
from cases.casefile.page import case_page_url
from cases.core.access import case_access
from cases.core.blueprint import bp
from cases.core.errors import CaseError
from cases.core.models import Case
from cases.core.policies import can
from cases.orders import services as svc
from cases.orders.forms import ApprovalForm, ExtensionForm, OrderForm, ViolationForm, aware
from cases.orders.models import ProtectiveOrder


def _render_list(case: Case, *, form: OrderForm | None = None, status: int = 200) -> tuple[str, int]:
    if form is None:
        form = OrderForm(formdata=None, starts_on=local_today())
    context: dict[str, Any] = {
        "case": case, "case_url": case_page_url(case), "orders": svc.case_orders(case), "form": form,
        "can_edit": can(current_user, "edit", case), "today": local_today(), "now": utcnow(), "labels": svc,
    }
    return render_template("cases/orders/list.html", **context), status


def _order_or_404(case: Case, order_id: uuid.UUID) -> ProtectiveOrder:
    order = svc.find_order(case, order_id)
    if order is None:
        access.deny("protective-order.view", object_type="protective-order", object_id=order_id,
                    reason="not in case")
    assert order is not None
    return order


def _render_order(case: Case, order: ProtectiveOrder, *, approval_form: ApprovalForm | None = None,
                  extension_form: ExtensionForm | None = None, violation_form: ViolationForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template(
        "cases/orders/view.html", case=case, order=order, case_url=case_page_url(case),
        approval_form=approval_form or ApprovalForm(formdata=None),
        extension_form=extension_form or ExtensionForm(formdata=None),
        violation_form=violation_form or ViolationForm(formdata=None),
        can_edit=can(current_user, "edit", case), today=local_today(), now=utcnow(), labels=svc,
    ), status


def _to_order(case: Case, order: ProtectiveOrder):  # type: ignore[no-untyped-def]
    return redirect(url_for("cases.view_order", case_id=case.public_id, order_id=order.public_id))


@bp.get("/<uuid:case_id>/orders")
@case_access("view")
def list_orders(case: Case):  # type: ignore[no-untyped-def]
    return _render_list(case)


@bp.post("/<uuid:case_id>/orders")
@case_access("edit")
def create_order(case: Case):  # type: ignore[no-untyped-def]
    form = OrderForm()
    if not form.validate_on_submit():
        return _render_list(case, form=form, status=422)
    warning = svc.kind_mismatch(form.kind.data or "", list(form.measures.data or []))
    if warning and not form.confirm_kind.data:  # asked once, with what she typed kept
        form.confirm_kind.errors = [warning]
        return _render_list(case, form=form, status=422)
    try:
        order = svc.record_order(
            case, actor=current_user, kind=form.kind.data or "", issuer=form.issuer.data or "",
            measures=list(form.measures.data or []), issued_at=aware(form.issued_at.data),
            starts_on=form.starts_on.data, duration_days=form.duration_days.data or 0, details=form.details.data,
        )
    except CaseError as exc:
        form.form_errors.append(str(exc))
        return _render_list(case, form=form, status=422)
    db.session.commit()
    flash(_("Protective order recorded."), "success")
    return _to_order(case, order)


@bp.get("/<uuid:case_id>/orders/<uuid:order_id>")
@case_access("view")
def view_order(case: Case, order_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _render_order(case, _order_or_404(case, order_id))


@bp.post("/<uuid:case_id>/orders/<uuid:order_id>/approval")
@case_access("edit")
def approve_order(case: Case, order_id: uuid.UUID):  # type: ignore[no-untyped-def]
    order = _order_or_404(case, order_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        return _render_order(case, order, approval_form=form, status=422)
    try:
        svc.record_approval(order, actor=current_user, approved_at=aware(form.approved_at.data))
    except CaseError as exc:
        form.approved_at.errors = [*form.approved_at.errors, str(exc)]
        return _render_order(case, order, approval_form=form, status=422)
    db.session.commit()
    flash(_("Approval recorded."), "success")
    return _to_order(case, order)


@bp.post("/<uuid:case_id>/orders/<uuid:order_id>/extension")
@case_access("edit")
def extend_order(case: Case, order_id: uuid.UUID):  # type: ignore[no-untyped-def]
    order = _order_or_404(case, order_id)
    form = ExtensionForm()
    if not form.validate_on_submit():
        return _render_order(case, order, extension_form=form, status=422)
    try:
        svc.extend_order(order, actor=current_user, new_expires_on=form.new_expires_on.data, reason=form.reason.data)
    except CaseError as exc:
        form.new_expires_on.errors = [*form.new_expires_on.errors, str(exc)]
        return _render_order(case, order, extension_form=form, status=422)
    db.session.commit()
    flash(_("Extension recorded."), "success")
    return _to_order(case, order)


@bp.post("/<uuid:case_id>/orders/<uuid:order_id>/violations")
@case_access("edit")
def record_violation(case: Case, order_id: uuid.UUID):  # type: ignore[no-untyped-def]
    order = _order_or_404(case, order_id)
    form = ViolationForm()
    if not form.validate_on_submit():
        return _render_order(case, order, violation_form=form, status=422)
    try:
        svc.record_violation(order, actor=current_user, occurred_on=form.occurred_on.data,
                             description=form.description.data)
    except CaseError as exc:
        form.occurred_on.errors = [*form.occurred_on.errors, str(exc)]
        return _render_order(case, order, violation_form=form, status=422)
    db.session.commit()
    flash(_("Violation recorded. A new risk assessment is due: re-assess her risk now."), "warning")
    return _to_order(case, order)


_LABELS: dict[str, dict[str, Any]] = {"kind": svc.KIND_LABELS, "issuer": svc.ISSUER_LABELS,
                                      "measure": svc.MEASURE_LABELS, "status": svc.STATUS_LABELS}
STATUS_BADGES = {"awaiting-approval": "warning", "lapsed": "danger", "upcoming": "muted", "active": "ok",
                 "expired": "muted"}


@bp.app_template_global("order_label")
def order_label(kind: str, key: str | None) -> str:
    """The translated label of an order vocabulary key (``kind``: kind, issuer, measure, status); ``"badge"`` gives
    the badge kind of a status."""
    if kind == "badge":
        return STATUS_BADGES.get(key or "", "")
    return str(_LABELS[kind].get(key or "", key or ""))


@bp.app_template_global("orders_summary")
def orders_summary(case: Case) -> dict[str, Any]:
    """What the case page's order card shows: orders not yet ended (and lapsed ones), with their alerts."""
    today, now = local_today(), utcnow()
    orders = svc.case_orders(case)
    current = [o for o in orders if o.status(today, now) != "expired"]
    return {"current": current, "ended_count": len(orders) - len(current), "today": today, "now": now}
