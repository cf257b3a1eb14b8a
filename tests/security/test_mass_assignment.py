"""No form accepts fields it does not show (issue 12 §1, mass assignment).

The test crawls the pages of a case and of a shelter as the people who work on them (counsellor, supervisor,
coordinator), and submits every POST form it finds the way a user would (its own values, required fields filled)
plus fields the form does not show: ``centre_id``, ``primary_counsellor_id``, ``counsellor_id``, ``status``,
``author_id``, ``user_id``, ``case_id``, ``shelter_id``, ``public_id``, ``role`` … pointing at another centre, its
counsellor, its case and its shelter. After every post: no row anywhere refers to those outsiders (foreign keys) or
carries the hostile public id; the case's and the shelter's owners, the case status and every user's role and centre
are unchanged (except where the form itself is about them: team, transfer, closing). Enough forms must be accepted
for real (a redirect and a change in the database) that the check is not vacuous.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask

from app import access
from tests import factories
from tests.shelters.helpers import admit, make_shelter, request_for

HOSTILE_UUID = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890"

# Forms whose own declared fields legitimately change the protected columns checked below.
CHANGES_OWNERS = {"cases.update_team", "cases.transfer_case"}
CHANGES_STATUS = {"cases.close_case", "cases.decide_closure", "cases.reopen_case"}
# Submitted last (after them the case or the household is gone from the forms the others need).
LAST = ("discharge", "decline", "remove", "close", "transfer", "team", "decide_closure", "end_outage",
        "deactivate", "withdraw")
FUTURE_DATES = ("due", "until", "review", "end", "expire")


class _Forms(HTMLParser):
    """Every ``<form method=post>`` of a page: its action and its fields as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = {"action": a.get("action", ""), "fields": []}
                self.forms.append(self._form)
            return
        if self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._select["options"].append((a.get("value", ""), "selected" in a))
            return
        if tag == "input":
            self._form["fields"].append({"tag": "input", "type": a.get("type", "text").lower(), "name": a["name"],
                                         "value": a.get("value", ""), "checked": "checked" in a,
                                         "required": "required" in a, "min": a.get("min", ""),
                                         "placeholder": a.get("placeholder", "")})
        elif tag == "select":
            self._select = {"tag": "select", "name": a["name"], "options": [], "multiple": "multiple" in a,
                            "required": "required" in a}
            self._form["fields"].append(self._select)
        elif tag == "textarea":
            self._textarea = {"tag": "textarea", "name": a["name"], "value": "", "required": "required" in a}
            self._form["fields"].append(self._textarea)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data


def _fill(fields: list[dict[str, Any]], avoid: set[str]) -> dict[str, list[str]]:
    """What a careful user submits: the form's own values, every required field filled plausibly."""
    data: dict[str, list[str]] = {}
    radios: dict[str, list[dict[str, Any]]] = {}
    used: set[str] = set()  # one bed per person: a select takes an option no other select of the form took
    today = date.today()
    for f in fields:
        name = f["name"]
        if f["tag"] == "select":
            chosen = [v for v, sel in f["options"] if sel and v]
            usable = [v for v, _ in f["options"] if v and v not in avoid]
            usable = [v for v in usable if v not in used] + [v for v in usable if v in used]
            blank_kept = not f["required"] and any(sel and not v for v, sel in f["options"])  # "No decision yet"
            if not chosen and usable and not blank_kept and (f["required"] or not f["multiple"]):
                chosen = usable[:1]
            used.update(chosen)
            data[name] = chosen
        elif f["tag"] == "textarea":
            data[name] = [f["value"].strip() or ("Görüşme yapıldı, plan birlikte gözden geçirildi."
                                                   if f["required"] else "")]
        elif f["type"] == "radio":
            radios.setdefault(name, []).append(f)
        elif f["type"] == "checkbox":
            if f["checked"] or (f["required"] and name not in data):
                data.setdefault(name, []).append(f["value"] or "y")
        elif f["type"] in ("submit", "button", "file", "image", "reset"):
            continue
        else:
            value = f["value"]
            if not value and f["required"]:
                # dates are typed by hand (app/date_fields.py: a text input hinted dd.mm.yyyy); ISO is read too
                is_date = f["type"] == "date" or "yyyy" in f["placeholder"]
                ahead = f["min"] > today.isoformat() or any(w in name for w in FUTURE_DATES)
                kind = "date" if is_date else f["type"]
                later = today + timedelta(days=300 if "end" in name else 30)
                value = {"date": (later if ahead else today).isoformat(),
                         "number": "1", "email": "deneme@example.org", "tel": "0532 000 00 00",
                         "time": "10:00"}.get(kind, "Deneme kaydı")
            data.setdefault(name, []).append(value)
    for name, group in radios.items():
        chosen = [g["value"] for g in group if g["checked"]] or [group[0]["value"]]
        data[name] = chosen[:1]
    return data


def _hostile(outsider: dict[str, str]) -> dict[str, list[str]]:
    fields = {}
    for name in ("centre_id", "centre", "to_centre_id"):
        fields[name] = [outsider["centre"]]
    for name in ("primary_counsellor_id", "counsellor_id", "author_id", "user_id", "owner_id", "created_by_id",
                 "reviewed_by_id", "decided_by_id", "approved_by_id", "coordinator_id", "actor_id", "recorded_by_id",
                 "assessed_by_id", "requested_by_id"):
        fields[name] = [outsider["user"]]
    fields.update({"case_id": [outsider["case"]], "shelter_id": [outsider["shelter"]], "public_id": [HOSTILE_UUID],
                   "case_public_id": [HOSTILE_UUID],
                   "id": ["1"], "status": ["closed"], "role": ["admin"], "is_active": ["0"], "number": ["XXX-0001"],
                   "risk_level": ["standard"], "close_reason": ["erased"], "reviewed_at": ["2020-01-01"]})
    return fields


def _references(app: Flask, targets: dict[str, int]) -> dict[str, int]:
    """For every foreign-key column of every table: how many rows point at one of the outsiders. One UNION ALL of
    counts per hundred columns (it runs after every post; a query per column was a quarter of the test's time)."""
    from app.db import Base, db

    counts: list[Any] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                if target in targets:
                    counts.append(sa.select(sa.cast(sa.literal(f"{table.name}.{column.name}"), sa.String),
                                            sa.func.count()).select_from(table).where(column == targets[target]))
        if "public_id" in table.columns:
            counts.append(sa.select(sa.cast(sa.literal(f"{table.name}.public_id"), sa.String), sa.func.count())
                          .select_from(table)
                          .where(sa.cast(table.c.public_id, sa.String).in_([HOSTILE_UUID,
                                                                             HOSTILE_UUID.replace("-", "")])))
    found: dict[str, int] = {}
    with app.app_context():
        for i in range(0, len(counts), 100):
            found.update({label: n for label, n in db.session.execute(sa.union_all(*counts[i:i + 100])).all()})
        db.session.rollback()
    assert len(found) == len(counts) > 50
    return found


def _protected(app: Flask, case_id: int, shelter_id: int) -> dict[str, Any]:
    from app.db import db

    with app.app_context():
        case = db.session.execute(sa.text("SELECT centre_id, primary_counsellor_id, number, status, public_id "
                                          "FROM cases WHERE id = :i"), {"i": case_id}).one()
        shelter = db.session.execute(sa.text("SELECT centre_id, public_id FROM shelters WHERE id = :i"),
                                     {"i": shelter_id}).one()
        users = db.session.execute(sa.text("SELECT id, role, centre_id, is_active FROM users ORDER BY id")).all()
        db.session.rollback()
    return {"owners": tuple(case[:3]), "status": case[3], "case_public_id": str(case[4]),
            "shelter": tuple(map(str, shelter)), "users": [tuple(u) for u in users]}


def _digest(app: Flask) -> str:
    from app.db import Base, db

    with app.app_context():
        rows = []
        for table in Base.metadata.sorted_tables:
            if table.name in ("audit_events", "audit_head", "sessions", "user_sessions"):
                continue
            rows.append(repr(db.session.execute(sa.select(table)).all()))
        db.session.rollback()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def test_no_case_or_shelter_form_writes_a_field_it_does_not_show(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, supervisor, coordinator = make_user("counsellor"), make_user("supervisor"), make_user("coordinator")
    other_centre = factories.make_centre(app)
    their_counsellor = factories.make_user(app, "counsellor", centre=other_centre)
    their_supervisor = factories.make_user(app, "supervisor", centre=other_centre)
    their_case = factories.make_case(app, their_counsellor, applicant_name="Başka Merkez")
    their_shelter = make_shelter(app, their_supervisor, name="Başka Ev")
    outsider = {"centre": str(other_centre.id), "user": str(their_counsellor.id), "case": str(their_case.id),
                "shelter": str(their_shelter.id)}
    hostile = _hostile(outsider)
    avoid = {str(other_centre.public_id), str(their_counsellor.public_id), str(their_case.public_id),
             str(their_shelter.public_id), *outsider.values()}
    targets = {"centres": other_centre.id, "users": their_counsellor.id, "cases": their_case.id,
               "shelters": their_shelter.id}

    case = make_case(counsellor, risk_level="high", children=(("Çocuk Ece", "girl", 2017),))
    housed = make_case(counsellor, applicant_name="Evde Kalan", tckn=None, phone=None,
                       children=(("Çocuk Can", "boy", 2020),))
    shelter = make_shelter(app, supervisor, coordinators=(coordinator,))
    admit(app, shelter, request_for(app, housed, shelter, counsellor), coordinator, [0, 1], date.today())
    request_for(app, case, shelter, counsellor)

    clients = {}
    for name, user in (("counsellor", counsellor), ("supervisor", supervisor), ("coordinator", coordinator)):
        clients[name] = app.test_client()
        factories.login_as(clients[name], user)
    starts = {"counsellor": [f"/cases/{case.public_id}", f"/cases/{housed.public_id}"],
              "supervisor": [f"/cases/{case.public_id}", f"/shelters/{shelter.public_id}"],
              "coordinator": [f"/shelters/{shelter.public_id}"]}
    scope = (f"/cases/{case.public_id}", f"/cases/{housed.public_id}", f"/shelters/{shelter.public_id}",
             "/shelters/requests/new")
    adapter = app.url_map.bind("localhost")

    refs_before, protected_before = _references(app, targets), _protected(app, case.id, shelter.id)
    posted: dict[str, int] = {}
    accepted: set[str] = set()
    changed: set[str] = set()
    for _round in range(3):  # objects made by one round's forms (a note, a goal, an order …) have forms of their own
        found: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = {}
        for who, client in clients.items():
            queue, seen = list(starts[who]), set[str]()
            while queue and len(seen) < 80:
                url = queue.pop(0)
                if url in seen:
                    continue
                seen.add(url)
                r = client.get(url)
                if r.status_code != 200 or "text/html" not in r.content_type:
                    continue
                parser = _Forms()
                parser.feed(r.get_data(as_text=True))
                for form in parser.forms:
                    target = form["action"] or url
                    if urlsplit(target).path.startswith(scope):
                        found.setdefault((who, target), (url, form["fields"]))
                for link in parser.links:
                    path = urlsplit(link).path
                    if path.startswith(scope) and not path.endswith((".csv", "/print")) and path not in seen:
                        queue.append(link)
        todo = sorted(found.items(), key=lambda item: any(w in item[0][1] for w in LAST))
        for (who, action), (_page, fields) in todo:
            try:
                endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
            except Exception:  # noqa: BLE001  (a form posting elsewhere than a route: not ours to check)
                continue
            policy = access.policy_of(app, endpoint) or ""
            if endpoint in posted and posted[endpoint] >= 2 or policy.startswith("public"):
                continue
            posted[endpoint] = posted.get(endpoint, 0) + 1
            data = _fill(fields, avoid)
            for name, values in hostile.items():
                if name not in data:
                    data[name] = values
            before = _digest(app)
            r = clients[who].post(action, data=data)
            assert r.status_code < 500, (endpoint, r.status_code)
            if r.status_code in (302, 303):  # the form passed: the view's write path ran with the extras
                accepted.add(endpoint)
                if _digest(app) != before:
                    changed.add(endpoint)
            assert _references(app, targets) == refs_before, (endpoint, "points at the outsider")
            now = _protected(app, case.id, shelter.id)
            assert now["users"] == protected_before["users"], (endpoint, "a user's role or centre changed")
            assert now["shelter"] == protected_before["shelter"], (endpoint, "the shelter's owner changed")
            assert now["case_public_id"] == protected_before["case_public_id"], endpoint
            if endpoint not in CHANGES_OWNERS:
                assert now["owners"] == protected_before["owners"], (endpoint, "the case's owners changed")
            else:
                protected_before["owners"] = now["owners"]
            if endpoint not in CHANGES_STATUS:  # the first piece of work makes an open case active, nothing more
                assert now["status"] in (protected_before["status"], "active"), (endpoint, "the case status changed")
            protected_before["status"] = now["status"]

    case_posts = [e for e in posted if (access.policy_of(app, e) or "").startswith("object:case:")]
    shelter_posts = [e for e in posted if (access.policy_of(app, e) or "").startswith("object:shelter:")]
    assert len(case_posts) >= 15 and len(shelter_posts) >= 8, sorted(posted)
    assert len(accepted) >= 20, sorted(accepted)  # the hostile fields rode along with valid data
    assert len(changed) >= 15, sorted(changed)  # … and a real write happened
    assert any(e.startswith("shelters.") for e in accepted), sorted(accepted)
