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
from werkzeug.exceptions import NotFound

from app import access, audit
from app.users.models import Role
from tests.conftest import make_app
from tests.factories import login_as

SECRET_OBJECTS: dict[uuid.UUID, dict[str, object]] = {}


class Thing:
    def __init__(self, public_id: uuid.UUID, centre_id: int) -> None:
        self.public_id = public_id
        self.centre_id = centre_id
        self.audit_case_number = "TST-2026-0001"


def load_thing_for(user, thing_id: uuid.UUID, action: str) -> Thing:  # type: ignore[no-untyped-def]
    """A scoped loader: a thing of another centre is treated exactly like a missing one."""
    data = SECRET_OBJECTS.get(thing_id)
    if data is None or data["centre_id"] != user.centre_id:
        raise NotFound()
    return Thing(thing_id, int(data["centre_id"]))  # type: ignore[call-overload]


@pytest.fixture
def thing_app(db_url: str, tmp_path) -> Flask:  # type: ignore[no-untyped-def]
    app = make_app(db_url, tmp_path)

    @app.get("/things/<uuid:thing_id>")
    @access.object_access("things", load_thing_for, "view", id_arg="thing_id", obj_arg="thing",
                          allowed_roles=[Role.COUNSELLOR, Role.SUPERVISOR])
    def view_thing(thing: Thing):  # type: ignore[no-untyped-def]
        return f"thing of centre {thing.centre_id}"

    @app.get("/supervisors-only")
    @access.roles(Role.SUPERVISOR)
    def supervisors_only():  # type: ignore[no-untyped-def]
        return "ok"

    return app


def _events(app: Flask) -> list[tuple[str, str, str | None, str | None]]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.not_like("auth.%"))
                                  .order_by(AuditEvent.seq))
        return [(e.action, e.outcome, e.object_id, e.case_number) for e in rows]


def test_object_policy_allows_own_centre_and_audits_the_read(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    me = make_user("counsellor")
    thing_id = uuid.uuid4()
    SECRET_OBJECTS[thing_id] = {"centre_id": me.centre_id}
    client = thing_app.test_client()
    login_as(client, me)
    assert client.get(f"/things/{thing_id}").status_code == 200
    assert ("things.view", "success", str(thing_id), "TST-2026-0001") in _events(thing_app)

    # another centre's thing, and a thing that does not exist, answer the same 404; both denials are audited
    other_centre = factories.make_centre(thing_app)
    theirs = uuid.uuid4()
    SECRET_OBJECTS[theirs] = {"centre_id": other_centre.id}
    missing = uuid.uuid4()
    r1, r2 = client.get(f"/things/{theirs}"), client.get(f"/things/{missing}")
    assert r1.status_code == r2.status_code == 404
    def without_tokens(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html)

    assert without_tokens(r1.get_data(as_text=True)) == without_tokens(r2.get_data(as_text=True))
    events = _events(thing_app)
    assert ("things.view", "denied", str(theirs), None) in events
    assert ("things.view", "denied", str(missing), None) in events


def test_object_policy_refuses_other_roles_with_audited_404(thing_app, make_user) -> None:  # type: ignore[no-untyped-def]
    for role in ("coordinator", "auditor", "admin"):
        user = make_user(role)
        thing_id = uuid.uuid4()
        SECRET_OBJECTS[thing_id] = {"centre_id": user.centre_id}
        client = thing_app.test_client()
        login_as(client, user)
        assert client.get(f"/things/{thing_id}").status_code == 404, role
        assert ("things.view", "denied", str(thing_id), None) in _events(thing_app)


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
    thing_id = uuid.uuid4()
    SECRET_OBJECTS[thing_id] = {"centre_id": me.centre_id}
    client = thing_app.test_client()
    login_as(client, me)
    thing_app.config["PROPAGATE_EXCEPTIONS"] = False
    from app.db import db

    with thing_app.app_context():
        db.session.execute(sa.text("DELETE FROM audit_head"))  # the chain head is gone: audit writes fail
        db.session.commit()
    response = client.get(f"/things/{thing_id}")
    assert response.status_code == 500
    assert "thing of centre" not in response.get_data(as_text=True)


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
