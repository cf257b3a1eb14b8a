"""Format v1 is retired from every read path (issue 14 §4): a v1 value met on a page is a plain, translated 503
that shows nothing of the value and no trace, and logs one line naming the command; `flask keys upgrade-format`
(audited, with a dry run) rewrites it and the page reads again."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa


def _make_v1(app: Any, person_public_id: Any) -> bytes:
    """Overwrite the person's stored name with its v1 form, as a database written before format v2 holds it."""
    import crypto
    from app.db import db
    from cases.core.models import Person
    from crypto import legacy

    with app.app_context():
        person = db.session.scalars(sa.select(Person).where(Person.public_id == person_public_id)).one()
        name = person.full_name
        blob = person.full_name_ct
        handle = crypto.get_context().dek_by_id(db.session(), blob[2:18])
        old = legacy.encrypt_field_v1(handle.aead, handle.dek_id_bytes, "persons", "full_name_ct",
                                      person.public_id.bytes, legacy.encode_tagged("str", name))
        db.session.execute(sa.update(Person).where(Person.id == person.id).values(full_name_ct=old))
        db.session.commit()
        return old


def _audit(app: Any, action: str) -> list[Any]:
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return list(db.session.execute(sa.select(AuditEvent.outcome, AuditEvent.details)
                                       .where(AuditEvent.action == action)).all())


@pytest.mark.parametrize("locale", ["tr", "en"])
def test_a_v1_value_is_a_plain_503_never_the_value(app: Any, make_user: Any, make_case: Any, login_as: Any,
                                                  caplog: pytest.LogCaptureFixture, locale: str) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Gülizar Retiredformat", tckn=None, phone=None)
    client = app.test_client()
    login_as(client, counsellor)
    with client.session_transaction() as s:
        s["locale"] = locale
    assert "Gülizar Retiredformat" in client.get(f"/cases/{case.public_id}").get_data(as_text=True)
    _make_v1(app, case.applicant_public_id)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/cases/{case.public_id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    title = {"tr": "Bu kayıt henüz gösterilemiyor", "en": "This record cannot be shown yet"}[locale]
    assert title in body
    assert "Gülizar" not in body and "Retiredformat" not in body and "Traceback" not in body
    assert "RetiredFormat" not in body and "upgrade-format" not in body     # the operator's words stay in the log
    logged = [r.getMessage() for r in caplog.records if "retired ciphertext format" in r.getMessage()]
    assert len(logged) == 1 and "flask keys upgrade-format" in logged[0] and "Gülizar" not in logged[0]
    # The case list (names in it) answers the same way, never a 500.
    assert client.get("/cases/").status_code in (200, 503)
    assert client.get("/cases/").status_code != 500


def test_upgrade_format_dry_run_then_rewrite_audited(app: Any, make_user: Any, make_case: Any,
                                                     login_as: Any) -> None:
    counsellor = make_user("counsellor")
    case = make_case(counsellor, applicant_name="Nebahat Eskibicim", tckn=None, phone=None)
    client = app.test_client()
    login_as(client, counsellor)
    old = _make_v1(app, case.applicant_public_id)
    assert client.get(f"/cases/{case.public_id}").status_code == 503
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["keys", "upgrade-format", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 values in format v1 found; would rewrite 1 as v2" in dry.output
    assert "Nebahat" not in dry.output
    assert client.get(f"/cases/{case.public_id}").status_code == 503          # nothing changed

    done = runner.invoke(args=["keys", "upgrade-format"])
    assert done.exit_code == 0, done.output
    assert "rewrote 1 as v2" in done.output and "persons.full_name_ct: 1" in done.output
    response = client.get(f"/cases/{case.public_id}")
    assert response.status_code == 200 and "Nebahat Eskibicim" in response.get_data(as_text=True)
    from app.db import db
    from cases.core.models import Person

    with app.app_context():
        stored = db.session.scalar(sa.select(Person.full_name_ct).where(Person.public_id == case.applicant_public_id))
        assert stored is not None and stored[0] == 2 and stored[2:18] == old[2:18]    # v2, same data key
    events = _audit(app, "keys.upgrade-format")
    assert len(events) == 2 and all(str(e.outcome).endswith("success") for e in events)
    again = runner.invoke(args=["keys", "upgrade-format"])
    assert again.exit_code == 0 and "0 values in format v1 found" in again.output
