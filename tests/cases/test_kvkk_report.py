"""Her right to know (KVKK art. 11): a supervisor prints everything the centre holds about her, decrypted, across all
her cases in the centre, with who accessed them; producing it is audited; nobody else reaches it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests import factories


def _events(app, action: str,  # type: ignore[no-untyped-def]
            outcome: str = "success") -> list[tuple[str | None, str | None]]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return [(e.case_number, e.actor_email) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.outcome == outcome)
            .order_by(AuditEvent.seq))]


def test_supervisor_prints_all_her_cases_decrypted_with_who_accessed(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case
    from cases.notes.services import add_note

    counsellor = make_user("counsellor")
    first = make_case(counsellor, applicant_name="Hakkını Soran Gülsüm", tckn="10000000146",
                      narrative="İlk başvuru öyküsü KVKK-İZ-1")
    second = make_case(counsellor, applicant_name="Hakkını Soran Gülsüm", tckn="10000000146")
    stranger = make_case(counsellor, applicant_name="Başka Kadın Sevim", tckn="10000000078")
    with app.app_context():
        add_note(db.session.get(Case, second.id), actor=db.session.get(User, counsellor.id),  # type: ignore[arg-type]
                 kind="phone", occurred_on=dt.date(2026, 11, 20), text="İkinci dosyada görüşme KVKK-İZ-2")
        db.session.commit()
    reader = app.test_client()
    factories.login_as(reader, counsellor)
    assert reader.get(f"/cases/{first.public_id}").status_code == 200

    supervisor = make_user("supervisor")
    client = app.test_client()
    factories.login_as(client, supervisor)
    assert "kvkk-report" in client.get(f"/cases/{first.public_id}").get_data(as_text=True)
    html = factories.page(client, f"/cases/{first.public_id}/kvkk-report").get_data(as_text=True)
    assert "Hakkını Soran Gülsüm" in html and "10000000146" in html
    assert "KVKK-İZ-1" in html and "KVKK-İZ-2" in html           # decrypted, from both files
    assert first.number in html and second.number in html
    assert "Başka Kadın Sevim" not in html and stranger.number not in html
    assert counsellor.email in html                               # who accessed her file
    assert sorted(n for n, _ in _events(app, "case.kvkk-report.shown")) == sorted([first.number, second.number])
    assert {who for _, who in _events(app, "case.kvkk-report.shown")} == {supervisor.email}


@pytest.mark.parametrize("role", ["counsellor", "auditor", "admin", "coordinator"])
def test_nobody_but_a_supervisor_produces_it(app, make_user, make_case, role) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    client = app.test_client()
    factories.login_as(client, counsellor if role == "counsellor" else make_user(role))
    assert client.get(f"/cases/{case.public_id}/kvkk-report").status_code == 404
    assert _events(app, "case.kvkk-report.shown") == []  # nothing produced
    assert len(_events(app, "case.kvkk-report", "denied")) == 1  # the refusal is on record


def test_an_erased_case_is_not_in_her_report(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    kept = make_case(counsellor, applicant_name="Silinmiş Dosyalı Aynur", tckn="10000000146")
    erased = make_case(counsellor, applicant_name="Silinmiş Dosyalı Aynur", tckn="10000000146")
    result = app.test_cli_runner().invoke(args=["cases", "erase", erased.number, "--reason",
                                                "KVKK silme talebi 2026/20", "--yes"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    factories.login_as(client, make_user("supervisor"))
    html = factories.page(client, f"/cases/{kept.public_id}/kvkk-report").get_data(as_text=True)
    assert kept.number in html and erased.number not in html.split("Who accessed her files")[0]


def test_every_field_the_report_lists_has_a_label_in_both_languages(app) -> None:  # type: ignore[no-untyped-def]
    """Walk the tables the report walks: each field it can list has a human label, translated into Turkish (no field
    reaches her report under its database name, in either language)."""
    from babel.messages.pofile import read_po
    from flask_babel import force_locale

    from cases.kvkk.labels import FIELD_LABELS, TABLE_FIELD_LABELS, field_label
    from cases.kvkk.services import case_mappers, listed_fields
    from tests.app.test_translations import TR_PO

    with TR_PO.open("rb") as handle:
        catalogue = read_po(handle)
    listed = [(m.local_table.name, name) for m in case_mappers() for name in listed_fields(m)]
    assert len({name for _, name in listed}) >= 140           # 146 when this was written
    missing = [f"{t}.{n}" for t, n in listed if n not in FIELD_LABELS and (t, n) not in TABLE_FIELD_LABELS]
    assert missing == []
    with app.test_request_context(), force_locale("tr"):
        for table, name in listed:
            english = str((TABLE_FIELD_LABELS.get((table, name)) or FIELD_LABELS[name])._args[0])
            message = catalogue.get(english)
            assert message is not None and message.string, f"{table}.{name}: {english!r} has no Turkish"
            assert field_label(table, name) == message.string
    with app.test_request_context(), force_locale("en"):
        assert field_label("persons", "tckn") == "TC identity number"
        assert field_label("location_inquiries", "channel") == "How they asked"


def test_the_report_shows_labels_in_turkish(app, make_user, make_case) -> None:  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Etiketli Rapor Hülya", tckn="10000000146")
    client = app.test_client()
    factories.login_as(client, make_user("supervisor"))
    html = factories.page(client, f"/cases/{case.public_id}/kvkk-report",
                          headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert "T.C. kimlik numarası" in html and "Başvuru tarihi" in html and "Etiketli Rapor Hülya" in html
    for database_name in ("Tckn", "Applied on", "Full name", "Created at", "Full_name"):
        assert f"<dt>{database_name}</dt>" not in html
