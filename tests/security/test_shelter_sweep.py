"""Writes across shelters are swept like cases are (issue 12 §1): every POST under a shelter I may work in, carrying
another shelter's room, bed, stay, request, extension, outage or coordinator id, answers an audited 404 and changes
nothing. And no form can be mass-assigned: views read declared form fields only (pinned below)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app import access
from tests import factories
from tests.shelters.helpers import admit, make_shelter, request_for

SHELTER_TABLES = ("shelters", "shelter_coordinators", "shelter_rooms", "shelter_beds", "shelter_outages",
                  "shelter_admission_requests", "shelter_stays", "shelter_bed_assignments",
                  "shelter_extension_requests")


def _digest(app: Any) -> str:
    from app.db import db

    with app.app_context():
        rows = [repr(db.session.execute(sa.text(f"SELECT * FROM {t} ORDER BY id")).all())  # noqa: S608
                for t in SHELTER_TABLES]
        db.session.rollback()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _theirs(app: Any, shelter: Any, counsellor: Any, coordinator: Any, make_case: Any) -> dict[str, str]:
    """Real ids of every kind, all belonging to ``shelter`` (not the one in the URL)."""
    from app.db import db
    from app.users.models import User
    from shelters.admissions import services as stays
    from shelters.core.models import AdmissionRequest, Room, Shelter
    from shelters.setup import services as setup

    started = date.today() - timedelta(days=10)
    housed = make_case(counsellor, applicant_name="Gizli Başka")
    waiting = make_case(counsellor, applicant_name="Gizli Bekleyen", tckn=None, phone=None)
    housed_req = request_for(app, housed, shelter, counsellor)
    stay_ids = admit(app, shelter, housed_req, coordinator, [0], started, today=started)
    waiting_req = request_for(app, waiting, shelter, counsellor)
    with app.app_context():
        actor = db.session.get(User, coordinator.id)
        s = db.session.get(Shelter, shelter.id)
        req = db.session.scalars(sa.select(AdmissionRequest).where(AdmissionRequest.public_id == housed_req)).one()
        extension = stays.request_extension(req, new_end_on=started + timedelta(days=300), reason="other",
                                            note=None, actor=actor)
        room = db.session.scalars(sa.select(Room).where(Room.public_id == shelter.room_ids[-1])).one()
        outage = setup.mark_out_of_service(room, None, reason="repair", starts_on=date.today(), ends_on=None,
                                           actor=actor)
        db.session.commit()
        ids = {"extension_id": str(extension.public_id), "outage_id": str(outage.public_id)}
        assert s is not None
    return {**ids, "room_id": str(shelter.room_ids[0]), "bed_id": str(shelter.bed_ids[1]),
            "stay_id": str(stay_ids[0]), "request_id": str(waiting_req), "user_id": str(coordinator.public_id),
            "_household": str(housed_req)}


def test_every_shelter_post_with_another_shelters_ids_is_an_audited_404_and_changes_nothing(
        app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, supervisor = make_user("counsellor"), make_user("supervisor")
    mine_coordinator, their_coordinator = make_user("coordinator"), make_user("coordinator")
    mine = make_shelter(app, supervisor, coordinators=(mine_coordinator,), name="Papatya Evi")
    theirs = make_shelter(app, supervisor, coordinators=(their_coordinator,), name="Lale Evi")
    ids = _theirs(app, theirs, counsellor, their_coordinator, make_case)
    clients = {}
    for name, user in (("coordinator", mine_coordinator), ("supervisor", supervisor)):
        clients[name] = app.test_client()
        factories.login_as(clients[name], user)
    tokens = {n: re.search(r'name="csrf_token"[^>]*value="([^"]+)"',  # type: ignore[union-attr]
                           c.get("/").get_data(as_text=True)).group(1) for n, c in clients.items()}
    before = _digest(app)
    checked = []
    for rule in app.url_map.iter_rules():
        policy = access.policy_of(app, rule.endpoint) or ""
        nested = rule.arguments - {"shelter_id"}
        if "POST" not in (rule.methods or ()) or not policy.startswith("object:shelter:") or not nested:
            continue
        action = policy.split(":")[2]
        who = "supervisor" if action in ("approve", "manage") else "coordinator"
        values = {"shelter_id": str(mine.public_id), **ids}
        if rule.endpoint.endswith(("request_extension", "discharge")):
            values["request_id"] = ids["_household"]
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(rf"<(?:[^>:]+:)?{name}>", values[name], url)
        from app.audit import AuditEvent, AuditHead
        from app.db import db

        with app.app_context():
            head = db.session.scalar(sa.select(AuditHead.seq))
        r = clients[who].post(url, data={"csrf_token": tokens[who], "name": "Sahte", "label": "Sahte",
                                         "reason": "other", "bed": ids["bed_id"], "on": date.today().isoformat()})
        with app.app_context():
            refused = db.session.execute(sa.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.object_id)
                                         .where(AuditEvent.seq > head)).all()
        if rule.endpoint == "shelters.remove_coordinator":
            # A colleague is a user of the centre, not another shelter's object: "she does not coordinate this
            # shelter" is said plainly (the manager sees the coordinators anyway), and the refusal is on record.
            assert r.status_code == 302 and ("shelter.refused", "failure", str(mine.public_id)) in refused
        else:
            assert r.status_code == 404, (rule.rule, r.status_code)
            assert any(o == "denied" and oid in (values[n] for n in nested) for _, o, oid in refused), \
                (rule.rule, refused)
        assert _digest(app) == before, rule.rule  # and nothing changed in any shelter table
        checked.append(rule.rule)
    assert len(checked) >= 12, checked


def test_views_read_declared_form_fields_only() -> None:
    """Mass assignment (posting ``centre_id``, ``status``, ``primary_counsellor_id`` …) needs a view or service that
    copies request data onto a model wholesale. None does: no ``populate_obj``, no ``request.form``/``values``/JSON
    read outside a form, in any feature or app module (the one exception derives a rate-limit key from the email)."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"populate_obj|request\.(form|values|json|get_json)\b|\*\*request\.")
    allowed = {("app/auth/views.py", 'request.form.get("email"'),
               ("shelters/admissions/views.py", "formdata=request.form if")}
    found = []
    for package in ("app", "cases", "shelters"):
        for path in (root / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                rel = str(path.relative_to(root))
                if pattern.search(line) and not any(rel == f and snippet in line for f, snippet in allowed):
                    found.append(f"{rel}: {line.strip()}")
    assert found == []
