"""Mass assignment on the forms the generic sweep cannot fill by itself (issue 12 §1).

``test_mass_assignment`` crawls every case and shelter form and fills it the way a careless user would; some forms
have rules across fields (reported → to whom; an order's kind against its measures; at least one type of violence;
a risk checklist of 24 answers) that such a fill does not meet, so the sweep sees them refused (422) and never
reaches their write path. Here each of them is posted with valid values *and* the fields they do not show — who
decided or recorded it, the case, the centre, the status, the public id — pointing at another centre's counsellor and
case. The row written must name the signed-in user and this case; nothing may point at the outsider. The last test
plants the classic bug (copying ``decided_by_id`` from the request) and shows that the check catches it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.plans_helpers import form_data
from tests.cases.test_incidents import _incident
from tests.cases.test_orders import order_data
from tests.security.test_mass_assignment import HOSTILE_UUID, _hostile, _references


def _today() -> dt.date:
    from app.dates import local_today

    return local_today()


# form name → (path under the case, valid data, table written, column naming who did it)
FORMS: dict[str, tuple[str, Any, str, str]] = {
    "report-decision": ("/legal/report-decisions/new",
                        lambda: {"learned_on": _today().isoformat(), "concern": "child-abuse",
                                 "decision": "reported", "reported_to": ["prosecutor"], "she_was_told_first": "y"},
                        "report_decisions", "decided_by_id"),
    "incident-record": ("/incidents/new", lambda: _incident(occurred_on=_today().isoformat()),
                        "incidents", "recorded_by_id"),
    "custody-record": ("/legal/custody/new",
                       lambda: {"status": "detained", "release_on": ""}, "custody_records", "recorded_by_id"),
    "order": ("/orders", lambda: order_data(), "protective_orders", "created_by_id"),
    "risk-assessment": ("/risk/new", lambda: form_data(14), "risk_assessments", "assessed_by_id"),
}


def _setting(app: Any, make_user: Any, make_case: Any) -> dict[str, Any]:
    counsellor = make_user("counsellor")
    other_centre = factories.make_centre(app)
    their_counsellor = factories.make_user(app, "counsellor", centre=other_centre)
    their_case = factories.make_case(app, their_counsellor, applicant_name="Başka Merkez")
    case = make_case(counsellor, risk_level="high")
    outsider = {"centre": str(other_centre.id), "user": str(their_counsellor.id), "case": str(their_case.id),
                "shelter": "0"}
    client = app.test_client()
    factories.login_as(client, counsellor)
    return {"counsellor": counsellor, "case": case, "client": client, "outsider": outsider,
            "targets": {"centres": other_centre.id, "users": their_counsellor.id, "cases": their_case.id}}


def _post_with_extras(app: Any, s: dict[str, Any], form: str) -> None:
    """Post ``form`` with valid values and hostile extras; assert the write happened and only as shown."""
    from app.db import db

    path, data, table, actor_column = FORMS[form]
    case = s["case"]
    url = f"/cases/{case.public_id}{path}"
    refs_before = _references(app, s["targets"])
    protected_before = _protected(app, case.id)
    with app.app_context():
        before = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (names from FORMS)
    payload = {**_hostile(s["outsider"]), **data()}
    r = post(s["client"], url, payload, token_url=url)
    assert r.status_code == 302, (form, r.status_code)  # accepted: the write path ran with the extras
    with app.app_context():
        rows = db.session.execute(sa.text(
            f"SELECT {actor_column}, case_id, public_id FROM {table} ORDER BY id")).all()  # noqa: S608
    assert len(rows) == before + 1, form
    actor_id, case_id, public_id = rows[-1]
    assert actor_id == s["counsellor"].id, (form, actor_column, "taken from the request")
    assert case_id == case.id, (form, "case_id taken from the request")
    assert str(public_id).replace("-", "") != HOSTILE_UUID.replace("-", ""), (form, "public_id taken")
    assert _references(app, s["targets"]) == refs_before, (form, "a row points at the outsider")
    now = _protected(app, case.id)
    assert now["owners"] == protected_before["owners"] and now["users"] == protected_before["users"], form
    assert now["status"] in (protected_before["status"], "active"), (form, "the case status changed")
    if form == "risk-assessment":  # 14 of 24 is high, whatever ``risk_level=standard`` rode along
        with app.app_context():
            level = db.session.scalar(sa.text("SELECT risk_level FROM cases WHERE id = :i"), {"i": case.id})
            db.session.rollback()
        assert str(level).lower().endswith("high"), level


def _protected(app: Any, case_id: int) -> dict[str, Any]:
    from app.db import db

    with app.app_context():
        case = db.session.execute(sa.text("SELECT centre_id, primary_counsellor_id, number, status FROM cases "
                                          "WHERE id = :i"), {"i": case_id}).one()
        users = db.session.execute(sa.text("SELECT id, role, centre_id, is_active FROM users ORDER BY id")).all()
        db.session.rollback()
    return {"owners": tuple(case[:3]), "status": case[3], "users": [tuple(u) for u in users]}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_writes_only_what_it_shows(app, make_user, make_case, form) -> None:  # type: ignore[no-untyped-def]
    _post_with_extras(app, _setting(app, make_user, make_case), form)


def test_the_check_catches_a_form_that_copies_decided_by_from_the_request(  # type: ignore[no-untyped-def]
        app, make_user, make_case, monkeypatch) -> None:
    """A deliberately broken decision view (``decided_by_id`` from ``request.form``) fails the check above."""
    from flask import request

    from cases.legal import services as legal_service

    original = legal_service.record_report_decision

    def careless(*args, **kwargs):  # type: ignore[no-untyped-def]
        row = original(*args, **kwargs)
        row.decided_by_id = int(request.form["decided_by_id"])  # the bug the sweep exists to catch
        return row

    monkeypatch.setattr(legal_service, "record_report_decision", careless)
    with pytest.raises(AssertionError, match="decided_by_id"):
        _post_with_extras(app, _setting(app, make_user, make_case), "report-decision")
