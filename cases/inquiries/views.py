"""The inquiry pages: the quick form (every staff role, linked from every page), the supervisor's list with the
link form. The form never tells the recorder whether a woman is known beyond the cases she may already see."""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access, audit
from app.db import db
from app.users.models import Role
from cases.core.blueprint import bp
from cases.core.models import Case
from cases.core.policies import load_case_for, visible_cases_query
from cases.inquiries import services as svc
from cases.inquiries.forms import InquiryForm, LinkForm
from cases.orders.forms import aware

STAFF = (Role.COUNSELLOR, Role.COORDINATOR, Role.SUPERVISOR)


def _case_from(value: str | None) -> Case | None:
    """A case the user may see, from a public id; None for anything else (no hint whether it exists)."""
    if not value or not svc.may_search(current_user):
        return None
    try:
        return load_case_for(current_user, uuid.UUID(value), "view")
    except (ValueError, access.NotFound):
        return None


def _render(form: InquiryForm, *, candidates: list[Case] | None = None, status: int = 200) -> Any:
    return render_template("cases/inquiries/new.html", form=form, candidates=candidates or [],
                           standard_answer=svc.STANDARD_ANSWER, may_search=svc.may_search(current_user)), status


@bp.route("/inquiries/new", methods=["GET", "POST"])
@access.roles(*STAFF)
def new_inquiry():  # type: ignore[no-untyped-def]
    form = InquiryForm()
    if not form.is_submitted():
        preset = _case_from(request.args.get("case"))
        if preset is not None:
            form.case.choices = [SelectChoice(str(preset.public_id), preset.number)]
            form.case.data = str(preset.public_id)
            audit.record("case.view", object_type="case", object_id=preset.public_id, case_number=preset.number)
            access.commit_read()
        return _render(form)
    chosen = _case_from(form.case.data)
    if chosen is not None:
        form.case.choices = [SelectChoice(str(chosen.public_id), chosen.number)]
    if not form.validate():
        return _render(form, status=422)
    candidates: list[Case] = []
    if chosen is None and form.about.data:
        candidates = svc.find_cases(current_user, form.about.data)
        if len(candidates) == 1:
            chosen = candidates[0]
        elif len(candidates) > 1:
            # SECURITY: only cases she may see are offered; the search is on record with the numbers shown.
            form.case.choices = [SelectChoice(str(c.public_id), c.number) for c in candidates]
            audit.record("case.search", details={"purpose": "location-inquiry",
                                                 "shown": [c.number for c in candidates]})
            db.session.commit()
            return _render(form, candidates=candidates)
    svc.record_inquiry(current_user, channel=form.channel.data, occurred_at=aware(form.occurred_at.data),
                       asker=form.asker.data, question=form.question.data, answer=form.answer.data,
                       notes=form.notes.data, case=chosen)
    db.session.commit()
    if chosen is not None:
        flash(_("Inquiry recorded on case %(number)s; her risk is to be re-assessed.", number=chosen.number),
              "success")
        return redirect(url_for("cases.view_case", case_id=chosen.public_id))
    flash(svc.not_linked_message(), "success")
    return redirect(url_for("main.dashboard"))


@bp.get("/inquiries/")
@access.roles(Role.SUPERVISOR)
def list_inquiries():  # type: ignore[no-untyped-def]
    inquiries = svc.centre_inquiries(current_user)
    audit.record("inquiry.list", details={"shown": len(inquiries)})
    access.commit_read()
    return render_template("cases/inquiries/list.html", inquiries=inquiries, link_form=LinkForm(formdata=None),
                           channel_label=svc.channel_label)


@bp.post("/inquiries/<uuid:inquiry_id>/link")
@access.roles(Role.SUPERVISOR)
def link_inquiry(inquiry_id: uuid.UUID):  # type: ignore[no-untyped-def]
    inquiry = svc.find_inquiry(current_user, inquiry_id)
    if inquiry is None or inquiry.case_id is not None:
        access.deny("inquiry.link", object_type="location_inquiries", object_id=inquiry_id)
    assert inquiry is not None
    form = LinkForm()
    case = None
    if form.validate_on_submit() and (number := svc.case_number_of(form.case_number.data)) is not None:
        case = db.session.scalar(visible_cases_query(current_user).where(Case.number == number))
    if case is None:
        flash(_("No case with that number in your centre."), "error")
        return redirect(url_for("cases.list_inquiries")), 303
    svc.link_inquiry(inquiry, case, actor=current_user)
    db.session.commit()
    flash(_("Inquiry linked to case %(number)s.", number=case.number), "success")
    return redirect(url_for("cases.list_inquiries"))


@bp.app_template_global("inquiries_summary")
def inquiries_summary(case: Case) -> dict[str, Any]:
    """For the case page's banner: how many inquiries about her, the latest one's date and channel."""
    items = svc.case_inquiries(case)
    return {"count": len(items), "latest": items[0] if items else None, "channel_label": svc.channel_label}
