"""Dashboard and health check."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask_login import current_user

from app import access
from app.audit import AuditEvent
from app.db import db, utcnow
from app.users.models import Role, User

bp = Blueprint("main", __name__)


@bp.get("/")
@access.signed_in
def dashboard():  # type: ignore[no-untyped-def]
    context: dict[str, object] = {}
    if current_user.role == Role.ADMIN:
        rows = db.session.execute(
            sa.select(User.role, sa.func.count()).where(User.is_active.is_(True)).group_by(User.role)
        ).all()
        context["user_counts"] = {str(role): count for role, count in rows}
    if current_user.role == Role.AUDITOR:
        context["recent_denials"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent)
            .where(AuditEvent.outcome == "denied", AuditEvent.occurred_at >= utcnow() - timedelta(days=7))
        )
    panels = [panel for provider in current_app.extensions.get(PANELS_KEY, [])
              if (panel := provider(current_user)) is not None]
    return render_template("main/dashboard.html", panels=panels, **context)


PANELS_KEY = "dayanisma.dashboard_panels"


def register_dashboard_panel(app, provider) -> None:  # type: ignore[no-untyped-def]
    """Features add their dashboard panels without ``app`` importing them.

    ``provider(user)`` returns None (nothing for this user) or ``(template_name, context_dict)``; the template is
    included in the dashboard with that context.
    """
    app.extensions.setdefault(PANELS_KEY, []).append(provider)


@bp.get("/healthz")
@access.public
def healthz():  # type: ignore[no-untyped-def]
    """For load balancers: answers ok when the database answers; shows no data."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return {"status": "unavailable"}, 503
    return {"status": "ok"}


@bp.get("/errors/too-large")
@access.public
def too_large():  # type: ignore[no-untyped-def]
    """The 413 page for nginx: it refuses an oversized body itself (client_max_body_size) and shows this page, so the
    visitor sees the app's page in her language, not nginx's (deploy/nginx/dayanisma.conf)."""
    return render_template("errors/413.html"), 413
