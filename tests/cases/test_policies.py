"""The case rule table (role × action), scoped loading and the cross-centre / unassigned 404s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.exceptions import NotFound

from tests import factories


def _check(app, user_info, case_info, action: str) -> bool:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.policies import load_case_for

    with app.app_context():
        user = db.session.get(User, user_info.id)
        try:
            load_case_for(user, case_info.public_id, action)
        except NotFound:
            return False
        return True


ACTIONS = ("view", "edit", "close", "manage", "approve", "reopen", "access-report", "break-glass")

# who → set of allowed actions on an open case of her own centre
EXPECTED = {
    "primary": {"view", "edit", "close"},
    "team": {"view", "edit", "close"},
    "unassigned": {"break-glass"},
    "break-glass": {"view", "break-glass"},
    "supervisor": {"view", "edit", "close", "manage", "approve", "reopen", "access-report"},
    "coordinator": set(),
    "auditor": {"access-report"},  # her per-case access report: numbers and events, no content
    "admin": set(),
    "other-centre-supervisor": set(),
    "other-centre-counsellor": set(),
}


def test_role_action_table(app, centre, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.core.models import BreakGlassGrant

    primary = make_user("counsellor")
    team = make_user("counsellor")
    case = make_case(primary, team=(team,))
    other = factories.make_centre(app)
    who = {
        "primary": primary,
        "team": team,
        "unassigned": make_user("counsellor"),
        "break-glass": make_user("counsellor"),
        "supervisor": make_user("supervisor"),
        "coordinator": make_user("coordinator"),
        "auditor": make_user("auditor"),
        "admin": make_user("admin"),
        "other-centre-supervisor": factories.make_user(app, "supervisor", centre=other),
        "other-centre-counsellor": factories.make_user(app, "counsellor", centre=other),
    }
    with app.app_context():
        db.session.add(BreakGlassGrant(case_id=case.id, user_id=who["break-glass"].id, reason="x",
                                       expires_at=utcnow() + timedelta(hours=4)))
        db.session.commit()
    table = {name: {a for a in ACTIONS if _check(app, u, case, a)} for name, u in who.items()}
    assert table == EXPECTED


def test_expired_break_glass_gives_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db, utcnow
    from cases.core.models import BreakGlassGrant

    primary, colleague = make_user("counsellor"), make_user("counsellor")
    case = make_case(primary)
    with app.app_context():
        db.session.add(BreakGlassGrant(case_id=case.id, user_id=colleague.id, reason="x",
                                       expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert not _check(app, colleague, case, "view")


def test_closed_case_is_read_only_for_counsellors(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    primary = make_user("counsellor")
    case = make_case(primary, status="closed")
    assert _check(app, primary, case, "view")
    assert not _check(app, primary, case, "edit")
    supervisor = make_user("supervisor")
    assert _check(app, supervisor, case, "reopen")


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_malformed_or_unknown_ids_are_not_found(app, make_user, bad_id) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    assert not _check(app, supervisor, type("C", (), {"public_id": bad_id})(), "view")


def test_case_numbers_per_centre_and_year(app, make_user, make_case, centre) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    first, second = make_case(counsellor), make_case(counsellor)
    other = factories.make_centre(app, code="ZZZ")
    theirs = make_case(factories.make_user(app, "counsellor", centre=other))
    assert first.number == f"{centre.code}-2026-0001" and second.number == f"{centre.code}-2026-0002"
    assert theirs.number == "ZZZ-2026-0001"
