"""Handover (issue 18 §6): a supervisor moves a counsellor's open caseload, or a chosen part, to colleagues in one
audited step; her tasks (risk assessments, support actions she owns, a closure request returned to her) move too."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_lifecycle import CHECKLIST, _client
from tests.cases.test_tasks_alerts import _alerts, _task_rows

URL = "/cases/handover"


def _own_action(app, case, user) -> None:  # type: ignore[no-untyped-def]
    """An open support action owned by ``user``, due today."""
    from app.dates import local_today
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.plans import services as plans_service
    from cases.plans.models import ActionOwner

    with app.app_context():
        c, u = db.session.get(Case, case.id), db.session.get(User, user.id)
        goal = plans_service.add_goal(c, domain="housing", goal="Ev", need=None, actor=u)
        plans_service.add_action(goal, description="Kira yardımı başvurusu", owner_kind=ActionOwner.STAFF,
                                 owner_user_id=u.id, due_on=local_today(), actor=u)
        db.session.commit()


def _primary(app, case) -> tuple[int | None, set[int]]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        c = db.session.get(Case, case.id)
        return c.primary_counsellor_id, {m.user_id for m in c.members}  # type: ignore[union-attr]


def test_whole_caseload_moves_with_her_tasks_in_one_audited_step(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    leaving, ayla, berna = make_user("counsellor"), make_user("counsellor"), make_user("counsellor")
    first, second = make_case(leaving), make_case(leaving)
    on_team = make_case(berna, team=(leaving,))
    closed = make_case(leaving, status="closed")
    _own_action(app, first, leaving)
    sup = _client(app, make_user("supervisor"))
    # a closure request of hers was returned: it is her task
    close = f"/cases/{second.public_id}/close"
    c = _client(app, leaving)
    assert post(c, close, {"reason": "goals-met", "checklist": CHECKLIST, "risk_at_closure": "standard"},
                token_url=close).status_code == 302
    decide = f"/cases/{second.public_id}/closure-request"
    assert post(sup, decide, {"decision": "return", "note": "Önce yönlendirmeyi takip edin."},
                token_url=decide).status_code == 302
    rows = _task_rows(c)
    assert {("support-action", first.number), ("closure-returned", second.number),
            ("reassessment", first.number)} <= set(rows)

    page_url = f"{URL}?counsellor={leaving.public_id}"
    html = factories.page(sup, page_url).get_data(as_text=True)
    assert first.number in html and on_team.number in html and closed.number not in html
    assert "Yılmaz" not in html  # numbers only, never the applicant's name
    r = post(sup, page_url, {"everyone": str(ayla.public_id)}, token_url=page_url)
    assert r.status_code == 302
    assert _primary(app, first) == (ayla.id, set()) and _primary(app, second)[0] == ayla.id
    assert _primary(app, on_team) == (berna.id, {ayla.id})  # she was on the team: her colleague takes her place
    assert _primary(app, closed)[0] == leaving.id  # closed cases stay as they were
    assert _task_rows(c) == []  # nothing is hers any more
    rows = _task_rows(_client(app, ayla))
    assert {("support-action", first.number), ("closure-returned", second.number),
            ("reassessment", first.number)} <= set(rows)
    assert ("handed-over", first.number, True) in _alerts(app, ayla)
    assert c.get(f"/cases/{first.public_id}").status_code == 404  # she no longer reaches the case
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("%handover"))))
    assert actions.count("case.handover") == 3 and actions.count("user.handover") == 1
    assert "She has no open case." in factories.page(sup, page_url).get_data(as_text=True)


def test_a_chosen_part_goes_to_different_colleagues_and_bad_choices_change_nothing(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    leaving, ayla, berna = make_user("counsellor"), make_user("counsellor"), make_user("counsellor")
    inactive = make_user("counsellor", active=False)
    first, second, kept = make_case(leaving), make_case(leaving), make_case(leaving)
    other_centre = factories.make_centre(app, code="KDK")
    stranger = factories.make_user(app, "counsellor", centre=other_centre)
    sup = _client(app, make_user("supervisor"))
    page_url = f"{URL}?counsellor={leaving.public_id}"
    factories.page(sup, page_url)
    field = f"case_{first.public_id.hex}"
    for bad in ({}, {field: str(stranger.public_id)}, {field: str(inactive.public_id)},
                {field: str(leaving.public_id)}, {"everyone": "not-a-uuid"}):
        assert post(sup, page_url, bad, token_url=page_url).status_code == 422, bad
    assert _primary(app, first)[0] == leaving.id
    data = {field: str(ayla.public_id), f"case_{second.public_id.hex}": str(berna.public_id)}
    assert post(sup, page_url, data, token_url=page_url).status_code == 302
    assert [_primary(app, x)[0] for x in (first, second, kept)] == [ayla.id, berna.id, leaving.id]
    # another centre's counsellor, a non-counsellor, a counsellor herself: 404 or refused
    assert sup.get(f"{URL}?counsellor={stranger.public_id}").status_code == 422
    assert sup.get(f"{URL}?counsellor=garbage").status_code == 422
    assert _client(app, leaving).get(URL).status_code == 404
    other_sup = _client(app, factories.make_user(app, "supervisor", centre=other_centre))
    r = post(other_sup, page_url, {"everyone": str(stranger.public_id)}, token_url=URL)
    assert r.status_code == 422 and _primary(app, kept)[0] == leaving.id


def test_the_caseload_shown_is_on_record_and_a_refused_handover_needs_no_extra_commit(  # type: ignore[no-untyped-def]
        app, make_user, make_case) -> None:
    """The numbers and risk levels of her caseload are a read (one ``case.list`` event naming them, as the case list
    does); an invalid handover answers 422 with that event already committed (the guard would refuse otherwise)."""
    import json

    from app.audit import AuditEvent
    from app.db import db

    leaving = make_user("counsellor")
    first, second = make_case(leaving), make_case(leaving)
    sup = _client(app, make_user("supervisor"))
    url = f"{URL}?counsellor={leaving.public_id}"
    assert factories.page(sup, url).status_code == 200
    r = post(sup, url, {"everyone": ""}, token_url=url)  # nobody chosen: refused
    assert r.status_code == 422
    with app.app_context():
        listed = [json.loads(d or "{}") for d in db.session.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "case.list"))]
        db.session.rollback()
    shown = [d["cases"] for d in listed if d.get("panel") == "handover"]
    assert shown == [[first.number, second.number]] * 3  # the page, the page again for the token, the 422
