"""The legal process (issue 18 §3): proceedings with encrypted file numbers and hearing reminders, the 6284
confidentiality measures, and the perpetrator's custody status, whose release asks for a risk re-assessment and
alerts her team — at once when recorded, or on the day through ``flask legal releases``."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post
from tests.cases.test_lifecycle import _client
from tests.cases.test_risk import _record
from tests.cases.test_tasks_alerts import _alerts, _task_rows

FILE_NO = "2026/4711 GİZLİ-ESAS"
LAWYER = "Av. Zeynep GİZLİ-AVUKAT"


def _today():  # type: ignore[no-untyped-def]
    from app.dates import local_today

    return local_today()


def _released(app, user):  # type: ignore[no-untyped-def]
    return [a for a in _alerts(app, user) if a[0] == "perpetrator-released"]


def _proceeding(**extra):  # type: ignore[no-untyped-def]
    data = {"kind": "criminal-case", "authority": "Ankara 5. Asliye Ceza", "file_number": FILE_NO,
            "lawyer": LAWYER, "has_legal_aid": "y", "next_hearing_on": (_today() + timedelta(3)).isoformat(),
            "status": "ongoing"}
    data.update(extra)
    return data


def test_proceeding_is_encrypted_shown_and_its_hearing_is_a_task(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/proceedings/new"
    factories.page(c, url)
    assert post(c, url, _proceeding(kind="bogus"), token_url=url).status_code == 422
    assert post(c, url, _proceeding(next_hearing_on="3026-01-01"), token_url=url).status_code == 422
    assert post(c, url, _proceeding(file_number="x\x00y"), token_url=url).status_code == 422
    assert ("hearing", case.number) not in _task_rows(c)
    assert post(c, url, _proceeding(), token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    assert FILE_NO in html and LAWYER in html and "Criminal case" in html and "legal aid" in html
    assert ("hearing", case.number) in _task_rows(c)  # the hearing is near
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT file_number_ct, lawyer_ct, public_id FROM legal_proceedings")).one()
    assert FILE_NO.encode() not in raw[0] and LAWYER.encode() not in raw[1]
    pid = uuid.UUID(str(raw[2]))
    edit = f"/cases/{case.public_id}/legal/proceedings/{pid}"
    assert FILE_NO in factories.page(c, edit).get_data(as_text=True)  # the form is filled in
    past = (_today() - timedelta(2)).isoformat()
    assert post(c, edit, _proceeding(next_hearing_on=past), token_url=edit).status_code == 302
    html = factories.page(c, "/cases/tasks").get_data(as_text=True)
    assert ("hearing", case.number) in _task_rows(c) and "Overdue" in html  # passed: record what happened
    assert post(c, edit, _proceeding(status="concluded"), token_url=edit).status_code == 302
    assert ("hearing", case.number) not in _task_rows(c)  # done: it leaves the list
    outsider = make_user("counsellor")
    assert _client(app, outsider).get(edit).status_code == 404
    other = make_case(outsider)
    assert c.get(f"/cases/{other.public_id}/legal/proceedings/{pid}").status_code == 404


def test_release_recorded_today_prompts_a_reassessment_and_alerts_her_team(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor, colleague = make_user("counsellor"), make_user("counsellor")
    case = make_case(counsellor, team=(colleague,))
    _record(app, case, counsellor, 2)  # assessed: nothing due
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/custody/new"
    factories.page(c, url)
    future = (_today() + timedelta(5)).isoformat()
    assert post(c, url, {"status": "released", "release_on": future}, token_url=url).status_code == 422
    assert post(c, url, {"status": "arrested", "release_on": _today().isoformat()}, token_url=url).status_code == 422
    assert post(c, url, {"status": "arrested", "perpetrator": "nobody"}, token_url=url).status_code == 422
    assert post(c, url, {"status": "arrested"}, token_url=url).status_code == 302
    assert ("reassessment", case.number) not in _task_rows(c)
    assert post(c, url, {"status": "released"}, token_url=url).status_code == 302  # released today
    assert ("reassessment", case.number) in _task_rows(c)
    assert ("perpetrator-released", case.number, True) in _alerts(app, colleague)
    assert not _released(app, counsellor)  # she did it herself
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    assert "re-assess her risk" in html
    alerts_page = factories.page(_client(app, colleague), "/cases/alerts").get_data(as_text=True)
    assert "released from custody" in alerts_page
    assert _client(app, make_user("counsellor")).get(url).status_code == 404


def test_an_expected_release_is_a_task_then_triggers_on_its_day(app, make_user, make_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cases.legal import cli as legal_cli

    counsellor = make_user("counsellor")
    supervisor = make_user("supervisor")
    case, later = make_case(counsellor), make_case(counsellor)
    _record(app, case, counsellor, 2)
    _record(app, later, counsellor, 2)
    c = _client(app, supervisor)
    for target, days in ((case, 10), (later, 12)):
        url = f"/cases/{target.public_id}/legal/custody/new"
        factories.page(c, url)
        data = {"status": "arrested", "release_on": (_today() + timedelta(days)).isoformat()}
        assert post(c, url, data, token_url=url).status_code == 302
    # a later record replaces an expected release: re-sentenced, out in a year
    url = f"/cases/{later.public_id}/legal/custody/new"
    data = {"status": "sentenced", "release_on": (_today() + timedelta(365)).isoformat()}
    assert post(c, url, data, token_url=url).status_code == 302
    mine = _client(app, counsellor)
    rows = _task_rows(mine)
    assert ("release-coming", case.number) in rows and ("release-coming", later.number) not in rows
    assert ("reassessment", case.number) not in rows and not _released(app, counsellor)

    runner = app.test_cli_runner()
    assert "0 release" in runner.invoke(args=["legal", "releases"]).output  # not yet
    monkeypatch.setattr(legal_cli, "local_today", lambda: _today() + timedelta(10))
    assert "1 release" in runner.invoke(args=["legal", "releases"]).output  # his day has come
    assert "0 release" in runner.invoke(args=["legal", "releases"]).output  # once only
    assert ("reassessment", case.number) in _task_rows(mine)
    assert ("reassessment", later.number) not in _task_rows(mine)
    assert _released(app, counsellor) == [("perpetrator-released", case.number, True)]


def test_confidentiality_measures_are_set_changed_and_cleared(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/measures"
    factories.page(c, url)
    assert post(c, url, {"address": "bogus"}, token_url=url).status_code == 422
    assert post(c, url, {"address": "requested", "school_transfer": "granted"}, token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    assert "Her address kept confidential: Requested" in html
    assert "Confidential school transfer for the children: Granted" in html
    assert re.search(r'<option selected value="requested">', factories.page(c, url).get_data(as_text=True))
    assert post(c, url, {"address": "granted"}, token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    measures = html.split('id="measures"')[1].split("</ul>")[0]
    assert "Her address kept confidential: Granted" in measures and "school transfer" not in measures
    assert _client(app, make_user("counsellor")).get(url).status_code == 404


REASON = "Kadın bildirim istemedi; GİZLİ-GEREKÇE"


def test_duty_to_report_decisions_are_logged_with_who_why_and_whether_she_was_told(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    counsellor = make_user("counsellor", name="Derya Danışman")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/report-decisions/new"
    factories.page(c, url)
    base = {"learned_on": _today().isoformat(), "concern": "child-abuse"}
    assert post(c, url, {**base, "decision": "reported"}, token_url=url).status_code == 422  # to whom?
    r = post(c, url, {**base, "decision": "not-reported"}, token_url=url)
    assert r.status_code == 422 and "Write why it is not reported." in r.get_data(as_text=True)
    assert post(c, url, {**base, "decision": "maybe"}, token_url=url).status_code == 422
    assert post(c, url, {**base, "decision": "reported", "reported_to": ["nasa"]}, token_url=url).status_code == 422
    future = (_today() + timedelta(1)).isoformat()
    assert post(c, url, {**base, "learned_on": future, "decision": "reported", "reported_to": ["prosecutor"]},
                token_url=url).status_code == 422
    assert post(c, url, {**base, "decision": "reported", "reported_to": ["prosecutor", "family-services"],
                         "she_was_told_first": "y"}, token_url=url).status_code == 302
    assert post(c, url, {"learned_on": _today().isoformat(), "concern": "crime-against-her",
                         "decision": "not-reported", "reason": REASON}, token_url=url).status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    log = html.split('id="report-decisions"')[1].split("</ul>")[0]
    assert "Abuse or neglect of a child" in log and "Public prosecutor" in log and "she was told first" in log
    assert "Not reported" in log and REASON in log and "she was not told first" in log and "Derya Danışman" in log
    with app.app_context():
        raw = list(db.session.execute(sa.text("SELECT reason_ct FROM report_decisions")).scalars())
        events = list(db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action == "case.report-decision")))
    assert all(REASON.encode() not in (ct or b"") for ct in raw) and len(events) == 2
    assert _client(app, make_user("counsellor")).get(url).status_code == 404


def test_an_undecided_report_question_is_a_task_until_decided_and_in_the_centres_log(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    counsellor, colleague = make_user("counsellor", name="Derya Danışman"), make_user("counsellor")
    case = make_case(counsellor, team=(colleague,))
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/report-decisions/new"
    yesterday = (_today() - timedelta(2)).isoformat()
    r = post(c, url, {"learned_on": yesterday, "concern": "child-abuse", "decision": "undecided",
                      "reported_to": ["police"], "reason": "Önce okulla konuşulacak GİZLİ-NOT"}, token_url=url)
    assert r.status_code == 302
    assert ("report-decision", case.number) in _task_rows(c)
    assert ("report-decision", case.number) in _task_rows(_client(app, colleague))  # her team's too
    html = factories.page(c, "/cases/tasks?kind=report-decision").get_data(as_text=True)
    assert "Overdue" in html and "Abuse or neglect of a child" in html and "GİZLİ-NOT" not in html
    link = re.search(r'href="(/cases/[0-9a-f-]+/legal/report-decisions/[0-9a-f-]+)"', html)
    assert link
    decide = link.group(1)
    with app.app_context():
        assert db.session.execute(sa.text("SELECT reported_to FROM report_decisions")).scalar() in ([], "[]")

    sup = _client(app, make_user("supervisor"))
    log = factories.page(sup, "/cases/report-decisions").get_data(as_text=True)
    assert case.number in log and "Not decided yet" in log and "GİZLİ-NOT" not in log  # no reasons in the list
    assert factories.page(sup, "/cases/report-decisions?decision=reported").get_data(as_text=True).count(
        case.number) == 0
    assert sup.get("/cases/report-decisions?decision=bogus").status_code == 422
    assert c.get("/cases/report-decisions").status_code == 404  # supervisors only
    other_sup = _client(app, factories.make_user(app, "supervisor", centre=factories.make_centre(app, code="KDK")))
    assert case.number not in factories.page(other_sup, "/cases/report-decisions").get_data(as_text=True)

    page = factories.page(c, decide).get_data(as_text=True)
    assert "GİZLİ-NOT" in page and "Abuse or neglect of a child" in page
    assert post(c, decide, {"decision": "undecided"}, token_url=decide).status_code == 422
    assert post(c, decide, {"decision": "reported"}, token_url=decide).status_code == 422  # to whom?
    assert _client(app, make_user("counsellor")).get(decide).status_code == 404
    assert post(c, decide, {"decision": "reported", "reported_to": ["prosecutor"], "she_was_told_first": "y"},
                token_url=decide).status_code == 302
    assert ("report-decision", case.number) not in _task_rows(c)  # decided: it leaves the list
    log = factories.page(sup, "/cases/report-decisions?decision=reported").get_data(as_text=True)
    assert case.number in log and "Public prosecutor" in log and "Derya Danışman" in log
    r = post(c, decide, {"decision": "not-reported", "reason": "x"}, token_url=f"/cases/{case.public_id}")
    assert r.status_code == 422 and "already made" in r.get_data(as_text=True)  # not rewritten
    assert c.get(decide).status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action.in_(("case.report-decision", "case.report-decision-log")))))
    assert actions.count("case.report-decision") == 2 and actions.count("case.report-decision-log") >= 3


COURT_NO = "2026/99 GİZLİ-MAHKEME-ESAS"
HEARING_NOTE = "Tanık dinlendi; GİZLİ-DURUŞMA"


def test_outcome_and_appeal_deadline_are_a_task_until_the_appeal_is_recorded(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db

    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/proceedings/new"
    deadline = (_today() + timedelta(10)).isoformat()
    # an outcome ends the proceeding; the deadline goes with an outcome; unknown keys are refused
    assert post(c, url, _proceeding(outcome="conviction"), token_url=url).status_code == 422
    assert post(c, url, _proceeding(status="concluded", appeal_deadline_on=deadline), token_url=url).status_code == 422
    assert post(c, url, _proceeding(status="concluded", outcome="guilty-ish"), token_url=url).status_code == 422
    r = post(c, url, _proceeding(status="concluded", outcome="conviction", appeal_deadline_on=deadline,
                                 court_file_number=COURT_NO), token_url=url)
    assert r.status_code == 302
    html = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    legal = html.split('id="proceedings"')[1].split("</ul>")[0]
    assert "Conviction" in legal and COURT_NO in legal and FILE_NO in legal and "Last day to appeal" in legal
    assert ("appeal-deadline", case.number) in _task_rows(c)
    assert "Overdue" not in factories.page(c, "/cases/tasks?kind=appeal-deadline").get_data(as_text=True)
    with app.app_context():
        raw, pid = db.session.execute(sa.text("SELECT court_file_number_ct, public_id FROM legal_proceedings")).one()
        from cases.legal.models import LegalProceeding

        row = db.session.scalar(sa.select(LegalProceeding))
        assert row is not None
        row.appeal_deadline_on = _today() - timedelta(1)  # the day passed with nothing recorded
        db.session.commit()
    assert COURT_NO.encode() not in raw
    html = factories.page(c, "/cases/tasks?kind=appeal-deadline").get_data(as_text=True)
    assert "Overdue" in html and case.number in html
    edit = f"/cases/{case.public_id}/legal/proceedings/{uuid.UUID(str(pid))}"
    assert post(c, edit, _proceeding(status="concluded", outcome="conviction", appeal="filed",
                                     appeal_deadline_on=(_today() - timedelta(1)).isoformat()),
                token_url=edit).status_code == 302
    assert ("appeal-deadline", case.number) not in _task_rows(c)  # recorded: it leaves the list
    legal = factories.page(c, f"/cases/{case.public_id}/sections/legal").get_data(as_text=True)
    assert "Objection or appeal filed" in legal


def test_a_hearing_whose_day_came_joins_the_history_with_what_happened(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.legal.models import LegalProceeding

    counsellor = make_user("counsellor", name="Derya Danışman")
    case = make_case(counsellor)
    c = _client(app, counsellor)
    url = f"/cases/{case.public_id}/legal/proceedings/new"
    assert post(c, url, _proceeding(), token_url=url).status_code == 302
    with app.app_context():
        pid = db.session.scalar(sa.select(LegalProceeding.public_id))
    edit = f"/cases/{case.public_id}/legal/proceedings/{pid}"
    page = factories.page(c, edit).get_data(as_text=True)
    assert "None recorded yet." in page and 'name="hearing_note"' not in page  # the hearing is still ahead
    # a note before the day has come has nothing to go with
    r = post(c, edit, _proceeding(hearing_note=HEARING_NOTE), token_url=edit)
    assert r.status_code == 422
    held = _today() - timedelta(1)
    with app.app_context():
        row = db.session.scalar(sa.select(LegalProceeding))
        assert row is not None
        row.next_hearing_on = held
        db.session.commit()
    assert 'name="hearing_note"' in factories.page(c, edit).get_data(as_text=True)
    assert post(c, edit, _proceeding(next_hearing_on=held.isoformat()), token_url=edit).status_code == 302
    assert "None recorded yet." in factories.page(c, edit).get_data(as_text=True)  # same date: not held yet
    nxt = (_today() + timedelta(30)).isoformat()
    assert post(c, edit, _proceeding(next_hearing_on=nxt, hearing_note=HEARING_NOTE), token_url=edit).status_code == 302
    page = factories.page(c, edit).get_data(as_text=True)
    history = page.split('id="hearings"')[1].split("</ul>")[0]
    assert HEARING_NOTE in history and "Derya Danışman" in history and held.isoformat() in history
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT held_on, note_ct FROM legal_hearings")).all()
    assert len(raw) == 1 and HEARING_NOTE.encode() not in raw[0][1]
    assert ("hearing", case.number) not in _task_rows(c)  # the next one is a month away
