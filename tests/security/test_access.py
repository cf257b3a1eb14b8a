"""The access mechanisms features will use: role policies and object policies with scoped loaders.

Denial is a 404 that looks like "not found" and is audited; allowed reads are audited before the page is returned;
a failing audit write fails the request (fail closed)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from app import access, audit
from app.users.models import Role
from cases.core.policies import CASE_ROLES, load_case_for
from shelters.core.policies import SHELTER_ROLES, load_shelter_for
from tests import factories
from tests.conftest import make_app
from tests.factories import login_as

# The mechanism is exercised through the real scoped loaders over real rows (a dictionary stand-in could not fail
# the way the loaders can: a missing centre filter, a role table that lets a coordinator read a case).


@pytest.fixture
def thing_app(db_url: str, tmp_path) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(db_url, tmp_path)

    @app.get("/probe/cases/<uuid:case_id>")
    @access.object_access("case", load_case_for, "view", id_arg="case_id", obj_arg="case", allowed_roles=CASE_ROLES)
    def probe_case(case):  # type: ignore[no-untyped-def]
        return f"case of centre {case.centre_id}"

    @app.get("/probe/shelters/<uuid:shelter_id>")
    @access.object_access("shelter", load_shelter_for, "view", id_arg="shelter_id", obj_arg="shelter",
                          allowed_roles=SHELTER_ROLES)
    def probe_shelter(shelter):  # type: ignore[no-untyped-def]
        return f"shelter of centre {shelter.centre_id}"

    @app.get("/supervisors-only")
    @access.roles(Role.SUPERVISOR)
    def supervisors_only():  # type: ignore[no-untyped-def]
        return "ok"

    return app


def _events(app: Flask) -> list[tuple[str, str, str | None, str | None]]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.not_like("auth.%"),
                                                              AuditEvent.action.not_like("data.%"))
                                  .order_by(AuditEvent.seq))
        return [(e.action, e.outcome, e.object_id, e.case_number) for e in rows]


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


def test_object_policy_allows_own_centre_and_audits_the_read(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    me = make_user("counsellor")
    mine = factories.make_case(thing_app, me)
    other_centre = factories.make_centre(thing_app)
    theirs = factories.make_case(thing_app, factories.make_user(thing_app, "counsellor", centre=other_centre))
    colleague = factories.make_case(thing_app, make_user("counsellor"))  # my centre, not assigned to me
    client = thing_app.test_client()
    login_as(client, me)
    assert client.get(f"/probe/cases/{mine.public_id}").status_code == 200
    assert ("case.view", "success", str(mine.public_id), mine.number) in _events(thing_app)

    # another centre's case, a colleague's case and a case that does not exist answer the same 404, all audited
    missing = uuid.uuid4()
    responses = [client.get(f"/probe/cases/{x}") for x in (theirs.public_id, colleague.public_id, missing)]
    assert {r.status_code for r in responses} == {404}
    assert len({_without_tokens(r.get_data(as_text=True)) for r in responses}) == 1
    events = _events(thing_app)
    for denied in (theirs.public_id, colleague.public_id, missing):
        assert ("case.view", "denied", str(denied), None) in events
    assert theirs.number not in str(events) and colleague.number not in str(events)


def test_object_policy_refuses_other_roles_with_audited_404(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    case = factories.make_case(thing_app, make_user("counsellor"))
    for role in ("coordinator", "auditor", "admin"):
        user = make_user(role)
        client = thing_app.test_client()
        login_as(client, user)
        assert client.get(f"/probe/cases/{case.public_id}").status_code == 404, role
        denials = [e for e in _events(thing_app) if e[:3] == ("case.view", "denied", str(case.public_id))]
        assert len(denials) == ("coordinator", "auditor", "admin").index(role) + 1, role


def test_shelter_policy_uses_the_real_loader(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests.shelters.helpers import make_shelter

    coordinator, supervisor = make_user("coordinator"), make_user("supervisor")
    mine = make_shelter(thing_app, supervisor, coordinators=(coordinator,), name="Papatya Evi")
    not_mine = make_shelter(thing_app, supervisor, name="Lale Evi")  # same centre, another coordinator's
    other_centre = factories.make_centre(thing_app)
    theirs = make_shelter(thing_app, factories.make_user(thing_app, "supervisor", centre=other_centre),
                          name="Gül Evi")
    client = thing_app.test_client()
    login_as(client, coordinator)
    assert client.get(f"/probe/shelters/{mine.public_id}").status_code == 200
    for shelter in (not_mine, theirs):
        assert client.get(f"/probe/shelters/{shelter.public_id}").status_code == 404
    events = _events(thing_app)
    assert ("shelter.view", "success", str(mine.public_id), None) in events
    assert ("shelter.view", "denied", str(not_mine.public_id), None) in events
    assert ("shelter.view", "denied", str(theirs.public_id), None) in events
    boss = thing_app.test_client()
    login_as(boss, supervisor)  # the centre's supervisor sees both of her centre's shelters, not the other's
    assert [boss.get(f"/probe/shelters/{s.public_id}").status_code for s in (mine, not_mine, theirs)] == \
        [200, 200, 404]


def test_role_policy(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    supervisor, counsellor = make_user("supervisor"), make_user("counsellor")
    c1, c2 = thing_app.test_client(), thing_app.test_client()
    login_as(c1, supervisor)
    login_as(c2, counsellor)
    assert c1.get("/supervisors-only").status_code == 200
    assert c2.get("/supervisors-only").status_code == 404
    assert ("view.supervisors_only", "denied", None, None) in _events(thing_app)


def test_read_fails_closed_when_audit_cannot_be_written(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    me = make_user("counsellor")
    case = factories.make_case(thing_app, me)
    client = thing_app.test_client()
    login_as(client, me)
    thing_app.config["PROPAGATE_EXCEPTIONS"] = False
    from app.db import db

    with thing_app.app_context():
        db.session.execute(sa.text("DELETE FROM audit_head"))  # the chain head is gone: audit writes fail
        db.session.commit()
    response = client.get(f"/probe/cases/{case.public_id}")
    assert response.status_code == 500
    assert "case of centre" not in response.get_data(as_text=True)


def test_change_events_record_field_names_never_values(app, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from app.users.models import User

    user = make_user("counsellor", name="Gizli İsim Soyadı")
    with app.app_context():
        db.session.get(User, user.id).name = "Yeni Gizli İsim"  # type: ignore[union-attr]
        db.session.commit()
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "data.users.update")
                                   .order_by(AuditEvent.seq.desc())).first()
        assert event is not None
        assert event.object_id == str(user.public_id)
        assert event.details is not None and '"name"' in event.details
        everything = " ".join(str(v) for e in db.session.scalars(sa.select(AuditEvent))
                              for v in (e.details, e.reason, e.object_id, e.action))
        assert "Gizli" not in everything


def test_a_change_to_encrypted_fields_only_is_recorded_under_the_field_name(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """Crypto's before_flush hook turns the plaintext into a ciphertext-column change before the audit hook looks;
    the event names the field (``phone``), never the stored columns or the value."""
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Person

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
        person = db.session.scalars(sa.select(Person).where(Person.public_id == case.applicant_public_id)).one()
        person.phone = "0533 987 65 43"
        db.session.commit()
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.seq > before)).all()
        updates = [e for e in events if e.action == f"data.{Person.__tablename__}.update"]
        assert len(updates) == 1
        assert updates[0].object_id == str(case.applicant_public_id)
        assert json.loads(updates[0].details or "{}") == {"fields": ["phone"]}
        assert all("987" not in (e.details or "") for e in events)


def test_rows_deleted_by_the_orphan_cascade_are_recorded_once(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    """``case.members.remove(m)`` deletes the row during the flush (not in session.deleted beforehand); an explicit
    ``session.delete`` is recorded by before_flush and must not be recorded a second time."""
    from app.audit import AuditEvent
    from app.db import db
    from cases.core.models import Case, CaseMember, Person

    counsellor = make_user("counsellor")
    case = make_case(counsellor, team=(make_user("counsellor"), make_user("counsellor")),
                     children=(("Çocuk Işıl", "girl", 2019),))
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
        stored = db.session.get(Case, case.id)
        assert stored is not None and len(stored.members) == 2
        stored.members.remove(stored.members[0])                      # orphan cascade
        child = next(p for p in stored.people if p.kind == "child")
        db.session.delete(child)                                      # explicit
        db.session.commit()
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.seq > before)).all()
        actions = sorted(e.action for e in events)
        assert actions.count(f"data.{CaseMember.__tablename__}.delete") == 1
        assert actions.count(f"data.{Person.__tablename__}.delete") == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseMember)
                                 .where(CaseMember.case_id == case.id)) == 1
        assert audit.verify_chain(db.session(), app.extensions["dayanisma.audit_key"]) is None
