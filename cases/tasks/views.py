"""The task list: ``/cases/tasks`` (counsellor: hers; supervisor: her centre's, by counsellor and kind; coordinator:
her shelters'). Computed on each visit; a done task is simply no longer there."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import access
from app.dates import local_today
from app.db import db
from app.tasks import task_kinds
from app.users.models import Role, User
from cases.core.blueprint import bp
from cases.lifecycle.services import centre_counsellors
from cases.tasks import services as tasks_service
from cases.tasks.forms import TaskFilterForm


@bp.get("/tasks")
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR, Role.COORDINATOR)
def list_tasks():  # type: ignore[no-untyped-def]
    kinds = task_kinds()
    form = TaskFilterForm(request.args, meta={"csrf": False})
    form.kind.choices = [SelectChoice("", _("All kinds")), *(SelectChoice(k, str(v)) for k, v in kinds.items())]
    counsellors = centre_counsellors(current_user.centre_id) if current_user.role == Role.SUPERVISOR else []
    form.counsellor.choices = [SelectChoice("", _("Everyone")),
                               *(SelectChoice(str(u.public_id), u.name) for u in counsellors)]
    counsellor: User | None = None
    kind: str | None = None
    status = 200
    if request.args and not form.validate():
        status = 422  # an unknown counsellor or kind: show everything, with the message
    else:
        kind = form.kind.data or None
        if form.counsellor.data:
            # SECURITY: only a counsellor of the supervisor's own centre can be chosen (the choices say so too).
            counsellor = db.session.scalar(sa.select(User).where(
                User.public_id == uuid.UUID(form.counsellor.data), User.centre_id == current_user.centre_id))
    tasks = tasks_service.tasks_for(current_user, local_today(), counsellor=counsellor, kind=kind)
    return render_template("cases/tasks/list.html", tasks=tasks, kinds=kinds, form=form,
                           is_supervisor=current_user.role == Role.SUPERVISOR), status
