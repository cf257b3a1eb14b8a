"""A session started in a request is that request's user (issue 20, fourth pass).

Hooks that run inside a flush (``cases.alerts`` names the acting user in ``before_flush``) can be the first to look
up ``current_user`` after ``start_session`` put the new token in the cookie but before the new session's row is
written (no autoflush inside a flush). The loader then found no row and cleared the cookie: she was sent back to
sign-in on the next request. With the audit event no longer an ORM flush of its own, this is what happened."""

from __future__ import annotations


def test_a_session_started_in_the_request_is_its_user_before_its_row_is_written(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from flask import session
    from flask_login import current_user

    from app.auth import sessions
    from app.db import db
    from app.users.models import User

    info = make_user("counsellor")
    with app.test_request_context("/"):
        user = db.session.get(User, info.id)
        assert user is not None
        sessions.start_session(user)
        with db.session.no_autoflush:  # as inside a flush: the new row is not in the database yet
            assert current_user.is_authenticated and current_user.id == info.id
        assert session.get(sessions.SESSION_KEY)  # the new cookie is kept
        db.session.rollback()
