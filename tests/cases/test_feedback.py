"""Her feedback on the service (issue 18 §5): anonymous, offered at closure, never linked to her case, and counted in
the statistics only with suppression."""

from __future__ import annotations

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_kpis import _row
from tests.cases.test_lifecycle import _client

URL = "/cases/feedback"


def _audit_count(app) -> int:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0


def test_feedback_is_anonymous_and_counted_with_suppression(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.db import db

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    close = factories.page(c, f"/cases/{case.public_id}/close").get_data(as_text=True)
    assert f'href="{URL}"' in close  # offered at closure, with no case in the link
    factories.page(c, URL)
    assert post(c, URL, {"felt_safe": "maybe"}, token_url=URL).status_code == 422
    assert post(c, URL, {"helped": ["bribes"]}, token_url=URL).status_code == 422
    before = _audit_count(app)
    for i in range(6):
        data = {"felt_safe": "yes", "felt_believed": "yes" if i < 5 else "partly", "would_recommend": "yes",
                "helped": ["listening", "legal"] if i < 5 else ["shelter"]}
        assert post(c, URL, data, token_url=URL).status_code == 302
    assert post(c, URL, {}, token_url=URL).status_code == 302  # nothing answered: nothing stored
    assert _audit_count(app) == before  # no change event ties an answer to a person or a second
    with app.app_context():
        columns = {col["name"] for col in sa.inspect(db.engine).get_columns("feedback_responses")}
        months = set(db.session.execute(sa.text("SELECT month FROM feedback_responses")).scalars())
        count = db.session.scalar(sa.text("SELECT count(*) FROM feedback_responses"))
    assert not columns & {"case_id", "user_id", "created_at", "recorded_by_id"}  # nothing links it back
    assert count == 6 and len(months) == 1 and str(next(iter(months))).endswith("-01")
    sup = _client(app, make_user("supervisor"))
    this_year = local_today().year
    html = factories.page(sup, f"/cases/kpis?year={this_year}").get_data(as_text=True)
    # The running year's answers are not shown: a table that moves by one just after a closure ties her answer
    # to her. The same answers, once their year has ended, are.
    assert 'id="feedback-withheld"' in html and 'id="feedback-answers"' not in html
    with app.app_context():
        db.session.execute(sa.text("UPDATE feedback_responses SET month = :m"), {"m": f"{this_year - 1}-06-01"})
        db.session.commit()
    html = factories.page(sup, f"/cases/kpis?year={this_year - 1}").get_data(as_text=True)
    assert 'id="feedback-withheld"' not in html
    assert _row(html, "feedback-answers", "Did you feel safe here?") == ["6", "<5", "<5", "6"]
    believed = _row(html, "feedback-answers", "Did you feel believed?")
    assert believed[0] in ("5", "x") and believed[1] == "<5" and "1" not in believed
    assert _row(html, "feedback-helped", "Being listened to") == ["5"]
    assert _row(html, "feedback-helped", "A place in a shelter") == ["<5"]
    assert case.number not in html
    assert _client(app, make_user("admin")).get(URL).status_code == 404


def test_feedback_is_in_the_yearly_statistics(app, make_user, centre) -> None:  # type: ignore[no-untyped-def]
    from app.dates import local_today
    from app.reports.registry import Period, collect_tables

    c = _client(app, make_user("counsellor"))
    factories.page(c, URL)
    assert post(c, URL, {"would_recommend": "no"}, token_url=URL).status_code == 302
    with app.app_context():
        tables = {t.key: t for t in collect_tables([centre.id], Period.year(local_today().year))}
    assert tables["feedback-answers"].counts[2] == [0, 0, 1]
