"""Contact notes: adding (open → active), the author's edit window, corrections, who may edit."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.cases.core_helpers import post


def _add_note(client, case, text="İlk görüşme: güvende.", kind="psychological"):  # type: ignore[no-untyped-def]
    return post(client, f"/cases/{case.public_id}/notes", {"kind": kind, "occurred_on": "2026-11-03", "text": text},
                token_url=f"/cases/{case.public_id}")


def _note(app, text):  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.notes.models import ContactNote

    with app.app_context():
        for note in db.session.scalars(sa.select(ContactNote)):
            if note.text == text:
                return note.public_id, note.id
    raise AssertionError(text)


def _age_note(app, note_id: int, minutes: int) -> None:
    from app.db import db, utcnow
    from cases.notes.models import ContactNote

    with app.app_context():
        note = db.session.get(ContactNote, note_id)
        note.created_at = utcnow() - timedelta(minutes=minutes)
        db.session.commit()


def test_first_note_activates_case_and_timeline_is_newest_first(app, client, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    factories.login_as(client, counsellor)
    r = _add_note(client, case, "Birinci not ŞÇĞ")
    assert r.status_code == 302
    post(client, f"/cases/{case.public_id}/notes", {"kind": "legal", "occurred_on": "2026-11-05",
                                                     "text": "İkinci not"}, token_url=f"/cases/{case.public_id}")
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert html.index("İkinci not") < html.index("Birinci not ŞÇĞ")
    assert "Active" in html
    from app.db import db
    from cases.core.models import Case, CaseStatus

    with app.app_context():
        assert db.session.get(Case, case.id).status == CaseStatus.ACTIVE


def test_invalid_notes_are_422_and_not_saved(app, client, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    factories.login_as(client, counsellor)
    for data in ({"kind": "gossip", "occurred_on": "2026-11-03", "text": "x"},
                 {"kind": "legal", "occurred_on": "2026-11-03", "text": ""},
                 {"kind": "legal", "occurred_on": "3026-11-03", "text": "gelecek"},
                 {"kind": "legal", "occurred_on": "yesterday", "text": "x"},
                 {"kind": "legal", "occurred_on": "2026-11-03", "text": "ş" * 20_001},
                 {"kind": "legal", "occurred_on": "2026-11-03", "text": "a\x00b"}):
        r = post(client, f"/cases/{case.public_id}/notes", data, token_url=f"/cases/{case.public_id}")
        assert r.status_code == 422, data
        assert "There is a problem" in r.get_data(as_text=True)
    from app.db import db
    from cases.notes.models import ContactNote

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactNote)) == 0


def test_author_edits_within_window_then_not(app, client, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    factories.login_as(client, counsellor)
    _add_note(client, case, "Yazım hatası vardı")
    note_public_id, note_id = _note(app, "Yazım hatası vardı")
    url = f"/cases/{case.public_id}/notes/{note_public_id}/edit"
    page(client, url)
    r = post(client, url, {"kind": "social", "occurred_on": "2026-11-03", "text": "Düzeltilmiş metin"}, token_url=url)
    assert r.status_code == 302
    html = page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Düzeltilmiş metin" in html and "Yazım hatası vardı" not in html and "(edited)" in html
    _age_note(app, note_id, 16)
    r = client.get(url)
    assert r.status_code == 403
    assert "This note cannot be edited" in r.get_data(as_text=True)
    r = post(client, url, {"kind": "social", "occurred_on": "2026-11-03", "text": "Geç değişiklik"},
             token_url=f"/cases/{case.public_id}")
    assert r.status_code == 403
    assert "Geç değişiklik" not in page(client, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Edit (until" not in page(client, f"/cases/{case.public_id}").get_data(as_text=True)


def test_non_author_cannot_edit_but_can_correct(app, make_user, make_case, page) -> None:  # type: ignore[no-untyped-def]
    author = make_user("counsellor")
    teammate = make_user("counsellor")
    case = make_case(author, team=(teammate,))
    a = app.test_client()
    factories.login_as(a, author)
    _add_note(a, case, "Asıl not")
    note_public_id, _ = _note(app, "Asıl not")
    t = app.test_client()
    factories.login_as(t, teammate)
    edit_url = f"/cases/{case.public_id}/notes/{note_public_id}/edit"
    assert t.get(edit_url).status_code == 403
    r = post(t, edit_url, {"kind": "legal", "occurred_on": "2026-11-03", "text": "Başkası değiştirdi"},
             token_url=f"/cases/{case.public_id}")
    assert r.status_code == 403
    corr_url = f"/cases/{case.public_id}/notes/{note_public_id}/correction"
    page(t, corr_url)
    r = post(t, corr_url, {"kind": "legal", "occurred_on": "2026-11-04", "text": "Düzeltme: tarih 4 Kasım"},
             token_url=corr_url)
    assert r.status_code == 302
    html = page(a, f"/cases/{case.public_id}").get_data(as_text=True)
    assert "Asıl not" in html and "Düzeltme: tarih 4 Kasım" in html
    # the correction is listed inside the original's entry
    entry = re.search(rf'id="note-{note_public_id}">(.*?)</li>\s*</ol>', html, re.S)
    assert entry and "Düzeltme: tarih 4 Kasım" in entry.group(1)
    from app.db import db
    from cases.notes.models import ContactNote

    with app.app_context():
        correction = db.session.scalar(sa.select(ContactNote).where(ContactNote.corrects_id.is_not(None)))
        assert correction.text == "Düzeltme: tarih 4 Kasım"
        assert correction.author_id == teammate.id


def test_note_of_another_case_is_404(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case_a = make_case(counsellor)
    case_b = make_case(counsellor, applicant_name="Başka Kadın", tckn=None, phone=None)
    c = app.test_client()
    factories.login_as(c, counsellor)
    _add_note(c, case_a, "A davasının notu")
    note_public_id, _ = _note(app, "A davasının notu")
    for suffix in ("edit", "correction"):
        url = f"/cases/{case_b.public_id}/notes/{note_public_id}/{suffix}"
        assert c.get(url).status_code == 404
        r = post(c, url, {"kind": "legal", "occurred_on": "2026-11-03", "text": "sızma"},
                 token_url=f"/cases/{case_b.public_id}")
        assert r.status_code == 404
        assert "A davasının notu" not in r.get_data(as_text=True)
    assert c.get(f"/cases/{case_a.public_id}/notes/not-a-uuid/edit").status_code == 404
