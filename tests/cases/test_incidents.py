"""Incidents as dated records (issue 18 §2): recorded with categories, injuries encrypted, shown on the case page,
and a new incident asks for a risk re-assessment that shows in the task list."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_lifecycle import _client
from tests.cases.test_risk import _record
from tests.cases.test_tasks_alerts import _task_rows

INJURY = "Boyunda morluklar GİZLİ-YARA"


def _incident(**extra):  # type: ignore[no-untyped-def]
    data = {"occurred_on": "2026-11-01", "violence_types": ["physical"], "sub_kinds": ["strangulation"],
            "place_type": "home", "reported_to": ["kades"], "forensic_report": "y", "injuries": INJURY}
    data.update(extra)
    return data


def test_incident_is_recorded_shown_and_prompts_a_reassessment(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    _record(app, case, counsellor, 2)  # assessed: no re-assessment due
    c = _client(app, counsellor)
    assert ("reassessment", case.number) not in _task_rows(c)
    url = f"/cases/{case.public_id}/incidents/new"
    factories.page(c, url)
    assert post(c, url, _incident(violence_types=[]), token_url=url).status_code == 422
    assert post(c, url, _incident(violence_types=["bogus"]), token_url=url).status_code == 422
    assert post(c, url, _incident(perpetrator="not-a-person"), token_url=url).status_code == 422
    assert post(c, url, _incident(occurred_on="2999-01-01"), token_url=url).status_code == 422
    assert post(c, url, _incident(), token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/incidents").get_data(as_text=True)
    assert "Strangulation" in html and "KADES" in html and INJURY in html and "Forensic medical report" in html
    assert ("reassessment", case.number) in _task_rows(c)  # the prompt is in her task list
    _record(app, case, counsellor, 3)  # the next assessment resolves it
    assert ("reassessment", case.number) not in _task_rows(c)
    from app.db import db

    with app.app_context():
        raw = db.session.execute(sa.text("SELECT injuries_ct, sub_kinds FROM incidents")).one()
    assert INJURY.encode() not in raw[0]


def test_only_this_cases_perpetrator_and_only_her_team(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Person, PersonKind

    counsellor, outsider = make_user("counsellor"), make_user("counsellor")
    case, other = make_case(counsellor), make_case(outsider)
    with app.app_context():
        stranger = Person(case_id=other.id, case_public_id=other.public_id, kind=PersonKind.PERPETRATOR)
        db.session.add(stranger)
        db.session.commit()
        stranger_id = str(stranger.public_id)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/incidents/new"
    r = post(c, url, _incident(perpetrator=stranger_id), token_url=url)
    assert r.status_code == 422
    assert _client(app, outsider).get(url).status_code == 404
