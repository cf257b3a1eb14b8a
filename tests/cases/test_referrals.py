"""Referrals through the pages a counsellor uses: the consent gate on sending (each refusal with its message), the
preview showing exactly the chosen data classes, the emergency override, status transitions, access (404 for
everyone who may not work on the case, GET and POST), malformed input (422/404, never 500) and encryption at rest."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.factories import csrf_token
from tests.security.test_encryption_at_rest import _raw_dump


# ------------------------------------------------------------------------------------------------------- helpers
def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Istanbul")).date()


def enrich_case(app, case, *, address="Moda Cad. No:5 Kadıköy", narrative="Eşim beni tehdit etti ŞİDDET") -> None:  # type: ignore[no-untyped-def]
    """Give the applicant an address and the case a narrative (make_case sets name, TCKN and phone)."""
    from app.db import db
    from cases.core.models import Case

    with app.app_context():
        obj = db.session.get(Case, case.id)
        obj.narrative = narrative
        obj.applicant.address = address
        db.session.commit()


def post(client, url: str, data: dict, *, token_from: str = "/"):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_from)})


def base(case) -> str:  # type: ignore[no-untyped-def]
    return f"/cases/{case.public_id}"


def consent_data(**overrides):  # type: ignore[no-untyped-def]
    data = {"institution_type": "sonim", "institution_name": "Şişli ŞÖNİM", "data_classes": ["identity", "contact"],
            "method": "written", "given_on": today().isoformat(),
            "valid_until": (today() + dt.timedelta(days=90)).isoformat()}
    data.update(overrides)
    return data


def referral_data(**overrides):  # type: ignore[no-untyped-def]
    data = {"institution_type": "sonim", "institution_name": "Şişli ŞÖNİM", "contact_person": "Gül Işık",
            "notes": "Hukuki destek için", "data_classes": ["identity"], "consent": ""}
    data.update(overrides)
    return data


def create_consent(client, case, **overrides) -> str:  # type: ignore[no-untyped-def]
    r = post(client, f"{base(case)}/consents", consent_data(**overrides), token_from=f"{base(case)}/referrals")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    return latest_public_id(client.application, "ConsentRecord")


def latest_public_id(app, model: str) -> str:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.orders import models as orders
    from cases.referrals import models as referrals

    cls = getattr(referrals, model, None) or getattr(orders, model)
    with app.app_context():
        return str(db.session.scalar(sa.select(cls.public_id).order_by(cls.id.desc()).limit(1)))


def create_referral(client, case, **overrides) -> str:  # type: ignore[no-untyped-def]
    r = post(client, f"{base(case)}/referrals", referral_data(**overrides), token_from=f"{base(case)}/referrals")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    rid = latest_public_id(client.application, "Referral")
    assert r.headers["Location"].endswith(f"/referrals/{rid}/preview")
    return rid


def digest_of(client, case, rid: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    return re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]


def send(client, case, rid: str, **extra):  # type: ignore[no-untyped-def]
    url = f"{base(case)}/referrals/{rid}/preview"
    data = {"digest": digest_of(client, case, rid), "confirm": "y", **extra}
    return post(client, f"{base(case)}/referrals/{rid}/send", data, token_from=url)


def status_of(app, rid: str) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.referrals.models import Referral

    with app.app_context():
        r = db.session.scalar(sa.select(Referral).where(Referral.public_id == uuid.UUID(rid)))
        return r.status, r.is_override


def audit_actions(app) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.details, AuditEvent.reason).order_by(AuditEvent.seq))]


@pytest.fixture
def counsellor(make_user):  # type: ignore[no-untyped-def]
    return make_user("counsellor")


@pytest.fixture
def case(make_case, counsellor, app):  # type: ignore[no-untyped-def]
    info = make_case(counsellor, children=(("Elif Yılmaz", "girl", 2019),), risk_level="high")
    enrich_case(app, info)
    return info


@pytest.fixture
def signed_in(client, counsellor, login_as):  # type: ignore[no-untyped-def]
    login_as(client, counsellor)
    return client


# ------------------------------------------------------------------------------------------------ the consent gate
def test_valid_consent_then_send(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent, data_classes=["identity", "contact"])
    html = page(signed_in, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    assert "Her consent covers this" in html
    r = send(signed_in, case, rid)
    assert r.status_code == 302
    assert status_of(app, rid) == ("sent", False)
    html = page(signed_in, r.headers["Location"]).get_data(as_text=True)
    assert "Referral marked as sent." in html
    actions = [a for a, _, _ in audit_actions(app)]
    assert "case.referral-send" in actions and "case.referral-override" not in actions
    # sent once: a second send is an invalid transition, not a second sending
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": "x", "confirm": "y"})
    assert r.status_code == 422
    assert "cannot be marked sent" in r.get_data(as_text=True)


def test_send_without_consent_is_refused(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    r = send(signed_in, case, rid)
    assert r.status_code == 422
    assert "No consent is linked to this referral" in r.get_data(as_text=True)
    assert status_of(app, rid) == ("draft", False)


def test_consent_for_another_institution_type_is_refused(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, institution_type="hospital")
    rid = create_referral(signed_in, case, consent=consent, institution_type="police")
    r = send(signed_in, case, rid)
    assert r.status_code == 422
    assert "The consent is for Hospital, not Police / gendarmerie." in r.get_data(as_text=True)
    assert status_of(app, rid) == ("draft", False)


def test_consent_not_covering_a_data_class_is_refused(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, data_classes=["identity"])
    rid = create_referral(signed_in, case, consent=consent, data_classes=["identity", "address", "narrative"])
    r = send(signed_in, case, rid)
    assert r.status_code == 422
    assert "The consent does not cover: address, narrative." in r.get_data(as_text=True)
    assert status_of(app, rid) == ("draft", False)


def test_revoked_consent_refuses_further_sends(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    first = create_referral(signed_in, case, consent=consent)
    second = create_referral(signed_in, case, consent=consent)
    assert send(signed_in, case, first).status_code == 302
    r = post(signed_in, f"{base(case)}/consents/{consent}/revoke", {"reason": "Fikrini değiştirdi"},
             token_from=f"{base(case)}/referrals")
    assert r.status_code == 302
    html = page(signed_in, r.headers["Location"]).get_data(as_text=True)
    assert "Consent revoked" in html
    assert "1 referral(s) already sent under this consent are open" in html
    r = send(signed_in, case, second)
    assert r.status_code == 422
    assert "She revoked this consent on" in r.get_data(as_text=True)
    assert status_of(app, second) == ("draft", False)
    events = audit_actions(app)
    revoke = [d for a, d, _ in events if a == "case.consent-revoke"]
    assert revoke and "Fikrini" not in revoke[0]  # categories only, no reason text in the audit row
    # the sent referral now tells the counsellor to inform the institution
    html = page(signed_in, f"{base(case)}/referrals/{first}").get_data(as_text=True)
    assert "She revoked the consent this referral was sent under" in html
    # revoking twice is refused
    r = post(signed_in, f"{base(case)}/consents/{consent}/revoke", {}, token_from=f"{base(case)}/referrals")
    assert r.status_code == 422


def test_revoked_or_expired_consent_is_not_offered_for_new_referrals(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    post(signed_in, f"{base(case)}/consents/{consent}/revoke", {}, token_from=f"{base(case)}/referrals")
    html = signed_in.get(f"{base(case)}/referrals").get_data(as_text=True)
    assert f'<option value="{consent}"' not in html
    r = post(signed_in, f"{base(case)}/referrals", referral_data(consent=consent),
             token_from=f"{base(case)}/referrals")
    assert r.status_code == 422  # not a valid choice any more


# -------------------------------------------------------------------------------------------------------- preview
def test_preview_shows_exactly_the_chosen_classes(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, data_classes=["identity"])
    rid = create_referral(signed_in, case, consent=consent, data_classes=["identity"])
    html = page(signed_in, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    shared = html.split('id="shared-information"', 1)[1].split('id="send-heading"', 1)[0]
    assert "Ayşe Yılmaz" in shared and "10000000146" in shared
    for absent in ("0532", "+90", "Moda Cad", "tehdit", "Elif Yılmaz", "High"):
        assert absent not in html, absent
    assert 'data-class="identity"' in shared and 'data-class="contact"' not in shared


def test_preview_of_all_classes_shows_each_value(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    classes = ["identity", "contact", "address", "narrative", "risk", "children"]
    consent = create_consent(signed_in, case, data_classes=classes)
    rid = create_referral(signed_in, case, consent=consent, data_classes=["contact", "address", "narrative", "risk",
                                                                            "children"])
    html = page(signed_in, f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    shared = html.split('id="shared-information"', 1)[1].split('id="send-heading"', 1)[0]
    assert "Moda Cad. No:5 Kadıköy" in shared and "Eşim beni tehdit etti ŞİDDET" in shared
    assert "Elif Yılmaz (2019)" in shared and "High" in shared
    assert re.search(r"532\D*123\D*45\D*67", shared)
    assert "Ayşe Yılmaz" not in html and "10000000146" not in html  # identity not chosen


def test_referral_changed_after_preview_is_not_sent(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": "0" * 32, "confirm": "y"})
    assert r.status_code == 422
    assert "changed since the preview" in r.get_data(as_text=True)
    assert status_of(app, rid) == ("draft", False)


def test_send_needs_the_confirmation(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": digest_of(signed_in, case, rid)})
    assert r.status_code == 422
    assert "Confirm that you checked what is shared." in r.get_data(as_text=True)
    assert status_of(app, rid) == ("draft", False)


# ------------------------------------------------------------------------------------------------------- override
def test_override_needs_a_reason_is_flagged_and_audited(app, client, case, signed_in, make_user, login_as,  # type: ignore[no-untyped-def]
                                                         page) -> None:
    rid = create_referral(signed_in, case, institution_type="police")
    url = f"{base(case)}/referrals/{rid}/send"
    html = signed_in.get(f"{base(case)}/referrals/{rid}/preview").get_data(as_text=True)
    assert "Emergency: send without valid consent" in html
    digest = digest_of(signed_in, case, rid)
    r = post(signed_in, url, {"override_digest": digest, "override_reason": "acil", "override_confirm": "y"})
    assert r.status_code == 422
    assert "at least 10 characters" in r.get_data(as_text=True)
    r = post(signed_in, url, {"override_digest": digest, "override_reason": "", "override_confirm": "y"})
    assert r.status_code == 422
    assert status_of(app, rid) == ("draft", False)
    reason = "Hayati tehlike: eşi silahla tehdit etti ÖZEL"
    r = post(signed_in, url, {"override_digest": digest, "override_reason": reason, "override_confirm": "y"})
    assert r.status_code == 302
    assert status_of(app, rid) == ("sent", True)
    html = page(signed_in, f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    assert "Emergency override" in html and reason in html
    overrides = [(d, why) for a, d, why in audit_actions(app) if a == "case.referral-override"]
    assert len(overrides) == 1
    assert "ÖZEL" not in (overrides[0][0] or "") and overrides[0][1] is None  # the reason never enters the log
    # the supervisor sees it on her dashboard
    supervisor = make_user("supervisor")
    other = app.test_client()
    login_as(other, supervisor)
    html = page(other, "/").get_data(as_text=True)
    assert "Emergency consent overrides" in html and case.number in html
    assert reason not in html  # the panel carries no case content


# ------------------------------------------------------------------------------------------------ status lifecycle
def test_status_transitions(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    url = f"{base(case)}/referrals/{rid}/status"
    # a draft cannot be accepted
    r = post(signed_in, url, {"status": "accepted"})
    assert r.status_code == 422
    assert "A referral that is draft cannot be marked accepted." in r.get_data(as_text=True)
    assert send(signed_in, case, rid).status_code == 302
    # completing needs an outcome; accepted → completed is the path
    r = post(signed_in, url, {"status": "completed", "outcome": "service-provided"})
    assert r.status_code == 422
    assert post(signed_in, url, {"status": "accepted", "follow_up_on": "2030-01-15"}).status_code == 302
    r = post(signed_in, url, {"status": "completed"})
    assert r.status_code == 422 and "Choose the outcome." in r.get_data(as_text=True)
    r = post(signed_in, url, {"status": "completed", "outcome": "service-provided",
                              "outcome_text": "Avukat atandı İzmir"})
    assert r.status_code == 302
    assert status_of(app, rid) == ("completed", False)
    html = page(signed_in, f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    assert "Service provided" in html and "Avukat atandı İzmir" in html
    # completed is final
    r = post(signed_in, url, {"status": "withdrawn"})
    assert r.status_code == 422
    r = post(signed_in, url, {"status": "sent"})  # not a choice: sending happens from the preview
    assert r.status_code == 422


def test_draft_can_be_withdrawn_and_declined_needs_sent(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    url = f"{base(case)}/referrals/{rid}/status"
    assert post(signed_in, url, {"status": "declined", "outcome": "no-service"}).status_code == 422
    assert post(signed_in, url, {"status": "withdrawn"}).status_code == 302
    assert status_of(app, rid) == ("withdrawn", False)
    assert signed_in.get(f"{base(case)}/referrals/{rid}/preview").status_code == 302  # no preview once closed


def test_follow_ups_on_the_counsellor_dashboard(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent,
                          follow_up_on=(today() - dt.timedelta(days=1)).isoformat())
    later = create_referral(signed_in, case, consent=consent,
                            follow_up_on=(today() + dt.timedelta(days=30)).isoformat())
    assert send(signed_in, case, rid).status_code == 302
    assert send(signed_in, case, later).status_code == 302
    html = page(signed_in, "/").get_data(as_text=True)
    panel = html.split('id="panel-referral-follow-ups"', 1)[1].split("</section>", 1)[0]
    assert "Overdue" in panel and f"/referrals/{rid}" in panel
    assert f"/referrals/{later}" not in panel
    assert "Yılmaz" not in panel and "ŞÖNİM</a>" not in panel  # case number and type only
    # the case page's partial
    from flask import render_template

    from app.db import db
    from cases.core.models import Case

    with app.test_request_context():
        obj = db.session.get(Case, case.id)
        card = render_template("cases/partials/_referrals.html", case=obj)
    assert "Follow-up overdue" in card and f"/referrals/{rid}" in card


# ---------------------------------------------------------------------------------------------------------- access
def _my_urls(app, case, counsellor, login_as) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every URL of referrals and orders for a real consent, referral and order of ``case``."""
    client = app.test_client()
    login_as(client, counsellor)
    consent = create_consent(client, case)
    rid = create_referral(client, case, consent=consent)
    r = post(client, f"{base(case)}/orders", {
        "kind": "preventive", "issuer": "police", "measures": ["no-contact"], "issued_at": "2026-11-01T10:00",
        "starts_on": "2026-11-01", "duration_days": "180"}, token_from=f"{base(case)}/orders")
    assert r.status_code == 302
    oid = latest_public_id(app, "ProtectiveOrder")
    b = base(case)
    return [
        ("GET", f"{b}/referrals"), ("POST", f"{b}/consents"), ("POST", f"{b}/consents/{consent}/revoke"),
        ("POST", f"{b}/referrals"), ("GET", f"{b}/referrals/{rid}"), ("GET", f"{b}/referrals/{rid}/preview"),
        ("POST", f"{b}/referrals/{rid}/send"), ("POST", f"{b}/referrals/{rid}/status"),
        ("GET", f"{b}/referrals/{rid}/edit"), ("POST", f"{b}/referrals/{rid}/edit"),
        ("GET", f"{b}/orders"), ("POST", f"{b}/orders"), ("GET", f"{b}/orders/{oid}"),
        ("POST", f"{b}/orders/{oid}/approval"), ("POST", f"{b}/orders/{oid}/extension"),
        ("POST", f"{b}/orders/{oid}/violations"),
    ]


def test_everyone_who_may_not_work_on_the_case_gets_404(app, centre, case, counsellor, make_user, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    urls = _my_urls(app, case, counsellor, login_as)
    other_centre = factories.make_centre(app)
    outsiders = [make_user("counsellor"), make_user("coordinator"), make_user("auditor"), make_user("admin"),
                 factories.make_user(app, "counsellor", centre=other_centre),
                 factories.make_user(app, "supervisor", centre=other_centre)]
    for user in outsiders:
        client = app.test_client()
        login_as(client, user)
        token = csrf_token(client, "/")
        for method, url in urls:
            if method == "GET":
                r = client.get(url)
            else:
                r = client.post(url, data={"csrf_token": token, "digest": "x", "confirm": "y",
                                           "status": "withdrawn", "reason": "x"})
            assert r.status_code == 404, (user.role, method, url, r.status_code)
            assert "Yılmaz" not in r.get_data(as_text=True) and "10000000146" not in r.get_data(as_text=True)
    assert status_of(app, urls[4][1].rsplit("/", 1)[1])[0] == "draft"  # nothing changed
    from app.audit import AuditEvent
    from app.db import db

    with app.app_context():
        denials = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.outcome == "denied"))
    assert denials >= len(urls) * len(outsiders)


def test_ids_of_another_case_are_404(app, signed_in, case, counsellor, make_case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    mine_too = make_case(counsellor, applicant_name="Fatma Şen")
    b = base(mine_too)
    assert signed_in.get(f"{b}/referrals/{rid}").status_code == 404
    assert signed_in.get(f"{b}/referrals/{rid}/preview").status_code == 404
    assert post(signed_in, f"{b}/consents/{consent}/revoke", {}).status_code == 404
    assert post(signed_in, f"{b}/referrals/{rid}/status", {"status": "withdrawn"}).status_code == 404
    # and posting another case's consent id into a referral of this case is refused as a choice
    r = post(signed_in, f"{b}/referrals", referral_data(consent=consent), token_from=f"{b}/referrals")
    assert r.status_code == 422


def test_supervisor_of_the_centre_can_work_and_pages_are_sound(app, client, case, make_user, login_as, page) -> None:  # type: ignore[no-untyped-def]
    supervisor = make_user("supervisor")
    login_as(client, supervisor)
    html = page(client, f"{base(case)}/referrals").get_data(as_text=True)
    assert "Record her consent" in html and "Yılmaz" not in html  # the list shows no applicant data
    consent = create_consent(client, case, method="verbal", witness_text="Zeynep Ağ, sosyal çalışmacı")
    rid = create_referral(client, case, consent=consent)
    page(client, f"{base(case)}/referrals/{rid}")
    page(client, f"{base(case)}/referrals/{rid}/preview")
    page(client, f"{base(case)}/referrals")


# ------------------------------------------------------------------------------------------------- malformed input
@pytest.mark.parametrize("overrides", [
    {"given_on": "2026-13-45"},
    {"valid_until": "yarın"},
    {"valid_until": "9999-12-31"},
    {"valid_until": "2001-01-01", "given_on": "2002-01-01"},
    {"institution_name": "Ş" * 201},
    {"institution_name": "a\x00b"},
    {"institution_type": "embassy"},
    {"data_classes": ["identity", "bank-account"]},
    {"data_classes": []},
    {"method": "telepathy"},
    {"method": "verbal"},  # verbal consent without a witness
    {"witnessed_by": str(uuid.uuid4())},
    {"given_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
     "valid_until": (dt.date.today() + dt.timedelta(days=60)).isoformat()},
])
def test_malformed_consent_is_422(app, signed_in, case, overrides) -> None:  # type: ignore[no-untyped-def]
    r = post(signed_in, f"{base(case)}/consents", consent_data(**overrides), token_from=f"{base(case)}/referrals")
    assert r.status_code == 422
    assert 'class="error-summary"' in r.get_data(as_text=True)


@pytest.mark.parametrize("overrides", [
    {"notes": "x" * 5001},
    {"contact_person": "Ali\nVeli"},
    {"follow_up_on": "2026-02-30"},
    {"consent": "not-a-uuid"},
    {"consent": str(uuid.uuid4())},
    {"institution_type": ""},
])
def test_malformed_referral_is_422(app, signed_in, case, overrides) -> None:  # type: ignore[no-untyped-def]
    r = post(signed_in, f"{base(case)}/referrals", referral_data(**overrides), token_from=f"{base(case)}/referrals")
    assert r.status_code == 422


def test_malformed_status_and_send_and_bad_ids(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    b = base(case)
    for data in ({"status": "accepted", "follow_up_on": "31/12/2026"}, {"status": "lost"},
                 {"status": "withdrawn", "outcome": "gone"}, {"status": "withdrawn", "outcome_text": "x" * 5001}):
        assert post(signed_in, f"{b}/referrals/{rid}/status", data).status_code == 422, data
    r = post(signed_in, f"{b}/referrals/{rid}/send", {"override_digest": "x", "override_reason": "y" * 2001,
                                                      "override_confirm": "y"})
    assert r.status_code == 422
    assert signed_in.get(f"{b}/referrals/not-a-uuid").status_code == 404
    assert signed_in.get(f"{b}/referrals/{uuid.uuid4()}/preview").status_code == 404
    assert post(signed_in, f"{b}/consents/{uuid.uuid4()}/revoke", {}).status_code == 404
    assert signed_in.get("/cases/12345/referrals").status_code == 404


def test_turkish_text_round_trips(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, institution_name="İzmir Barosu Adli Yardım Şubesi ığüşöç")
    rid = create_referral(signed_in, case, consent=consent, institution_type="sonim",
                          institution_name="İĞDIR ŞÖNİM", notes="Kızı için ısrarlı takip")
    html = page(signed_in, f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    assert "İĞDIR ŞÖNİM" in html and "Kızı için ısrarlı takip" in html
    html = page(signed_in, f"{base(case)}/referrals").get_data(as_text=True)
    assert "İzmir Barosu Adli Yardım Şubesi ığüşöç" in html


# ---------------------------------------------------------------------------------------------- encryption at rest
def test_referral_and_consent_text_is_encrypted_at_rest(app, signed_in, case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    markers = {k: f"MARKER{k.upper()}{uuid.uuid4().hex[:8]}" for k in
               ("consentname", "witness", "revocation", "refname", "contact", "notes", "outcome", "override")}
    consent = create_consent(signed_in, case, institution_name=markers["consentname"], method="verbal",
                             witness_text=markers["witness"])
    rid = create_referral(signed_in, case, consent=consent, institution_name=markers["refname"],
                          contact_person=markers["contact"], notes=markers["notes"])
    assert send(signed_in, case, rid).status_code == 302
    post(signed_in, f"{base(case)}/referrals/{rid}/status", {"status": "accepted", "outcome": "appointment-given",
                                                             "outcome_text": markers["outcome"]})
    post(signed_in, f"{base(case)}/consents/{consent}/revoke", {"reason": markers["revocation"]},
         token_from=f"{base(case)}/referrals")
    other = create_referral(signed_in, case, institution_type="police")
    html = signed_in.get(f"{base(case)}/referrals/{other}/preview").get_data(as_text=True)
    digest = re.search(r'name="override_digest" type="hidden" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    r = post(signed_in, f"{base(case)}/referrals/{other}/send",
             {"override_digest": digest, "override_reason": markers["override"], "override_confirm": "y"})
    assert r.status_code == 302
    html = signed_in.get(f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    assert markers["outcome"] in html and markers["refname"] in html  # stored and readable
    dump = _raw_dump(app, backend, db_url)
    for name, marker in markers.items():
        assert marker.encode() not in dump, name
    assert b"appointment-given" in dump  # the scan sees plain categorical columns


def test_case_page_shows_referral_and_order_cards(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    r = post(signed_in, f"{base(case)}/orders", {
        "kind": "protective", "issuer": "police", "measures": ["shelter"],
        "issued_at": (dt.datetime.now(ZoneInfo("Europe/Istanbul")) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "starts_on": today().isoformat(), "duration_days": "180"}, token_from=f"{base(case)}/orders")
    assert r.status_code == 302
    html = page(signed_in, f"{base(case)}/sections/referrals").get_data(as_text=True)
    assert 'id="referrals-card-heading"' in html and f"/referrals/{rid}" in html
    html = page(signed_in, f"{base(case)}/sections/orders").get_data(as_text=True)
    assert 'id="orders-card-heading"' in html and "needs court/governor approval by" in html


# ------------------------------------------------------------------------------------------------ editing a draft
def edit_url(case, rid: str) -> str:  # type: ignore[no-untyped-def]
    return f"{base(case)}/referrals/{rid}/edit"


def edit(client, case, rid: str, **overrides):  # type: ignore[no-untyped-def]
    return post(client, edit_url(case, rid), referral_data(**overrides), token_from=edit_url(case, rid))


def referral_values(app, rid: str) -> dict:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.referrals.models import Referral

    with app.app_context():
        r = db.session.scalar(sa.select(Referral).where(Referral.public_id == uuid.UUID(rid)))
        return {"institution_type": r.institution_type, "institution_name": r.institution_name,
                "contact_person": r.contact_person, "notes": r.notes, "data_classes": list(r.data_classes),
                "consent": str(r.consent.public_id) if r.consent else None, "follow_up_on": r.follow_up_on,
                "status": r.status}


def events_of(app, action: str) -> list[tuple[str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(details, reason) for a, details, reason in audit_actions(app) if a == action]


def test_edit_draft_round_trips_turkish_text(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, data_classes=["identity", "contact"])
    rid = create_referral(signed_in, case, consent=consent, notes="İlk not")
    # the form is the creation form, filled with the draft's decrypted values
    html = page(signed_in, edit_url(case, rid)).get_data(as_text=True)
    assert 'value="Şişli ŞÖNİM"' in html and 'value="Gül Işık"' in html and "İlk not" in html
    assert f'<option selected value="{consent}"' in html and '<option selected value="sonim"' in html
    assert re.search(r'<input checked [^>]*value="identity"', html)
    assert not re.search(r'<input checked [^>]*value="contact"', html)
    r = edit(signed_in, case, rid, institution_type="sonim", institution_name="İĞDIR ŞÖNİM ığüşöç",
             contact_person="Şükran Ilgaz Çağlı", notes="Kızı için ısrarlı takip İ ı Ş ş Ğ ğ",
             data_classes=["identity", "contact"], consent=consent, follow_up_on="2030-01-15")
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/referrals/{rid}/preview")  # back to the preview, to check again
    values = referral_values(app, rid)
    assert values == {"institution_type": "sonim", "institution_name": "İĞDIR ŞÖNİM ığüşöç",
                      "contact_person": "Şükran Ilgaz Çağlı", "notes": "Kızı için ısrarlı takip İ ı Ş ş Ğ ğ",
                      "data_classes": ["identity", "contact"], "consent": consent,
                      "follow_up_on": dt.date(2030, 1, 15), "status": "draft"}
    html = page(signed_in, r.headers["Location"]).get_data(as_text=True)
    assert "Draft updated." in html
    recipient = html.split('id="recipient"', 1)[1].split("</dl>", 1)[0]
    assert "İĞDIR ŞÖNİM ığüşöç" in recipient and "Şükran Ilgaz Çağlı" in recipient  # the preview shows the recipient
    assert "Kızı için" not in html  # the notes stay in the centre: not on the page of what is shared
    html = page(signed_in, edit_url(case, rid)).get_data(as_text=True)
    assert 'value="İĞDIR ŞÖNİM ığüşöç"' in html and "Kızı için ısrarlı takip İ ı Ş ş Ğ ğ" in html
    # and it sends, under her consent
    assert send(signed_in, case, rid).status_code == 302
    assert status_of(app, rid) == ("sent", False)


def test_edit_is_audited_with_field_names_only(app, signed_in, case, backend, db_url) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    markers = {k: f"MARKER{k.upper()}{uuid.uuid4().hex[:8]}" for k in ("name", "contact", "notes")}
    r = edit(signed_in, case, rid, institution_name=markers["name"], contact_person=markers["contact"],
             notes=markers["notes"], data_classes=["identity", "risk"])
    assert r.status_code == 302
    edits = events_of(app, "case.referral-edit")
    assert len(edits) == 1
    assert json_of(edits[0][0]) == {"fields": ["institution_name", "contact_person", "data_classes", "notes"]}
    for action, details, reason in audit_actions(app):
        for marker in markers.values():
            assert marker not in (details or "") and marker not in (reason or ""), action
    dump = _raw_dump(app, backend, db_url)
    for name, marker in markers.items():
        assert marker.encode() not in dump, name  # still encrypted at rest after the edit
    # an edit that changes nothing writes nothing
    r = edit(signed_in, case, rid, institution_name=markers["name"], contact_person=markers["contact"],
             notes=markers["notes"], data_classes=["identity", "risk"])
    assert r.status_code == 302
    assert len(events_of(app, "case.referral-edit")) == 1
    assert "Nothing was changed." in signed_in.get(r.headers["Location"]).get_data(as_text=True)


def json_of(text: str | None) -> object:
    import json

    return json.loads(text or "null")


@pytest.mark.parametrize("change", [
    {"institution_name": "Kadıköy ŞÖNİM"},
    {"contact_person": "Ayla Öztürk"},
    {"contact_person": ""},
    {"data_classes": ["identity", "contact"]},
    {"institution_type": "police"},
    {"consent": ""},
])
def test_edit_after_preview_refuses_the_old_preview(app, signed_in, case, change) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case, data_classes=["identity", "contact"])
    rid = create_referral(signed_in, case, consent=consent)
    preview_url = f"{base(case)}/referrals/{rid}/preview"
    old = digest_of(signed_in, case, rid)
    assert edit(signed_in, case, rid, **{"consent": consent, **change}).status_code == 302
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": old, "confirm": "y"}, token_from=preview_url)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "The referral changed since the preview was shown. Check the preview again." in html
    assert status_of(app, rid) == ("draft", False)
    # she is back on the preview: what would leave now, a new digest, and the confirmation to give again
    assert 'id="shared-information"' in html and old not in html
    assert re.search(r'name="digest" type="hidden" value="([0-9a-f]{32})"', html)
    assert not re.search(r'<input[^>]*name="confirm"[^>]*checked', html)
    if "institution_name" in change:
        assert "Kadıköy ŞÖNİM" in html.split('id="recipient"', 1)[1].split("</dl>", 1)[0]
    # the override path is held to the same digest
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send",
             {"override_digest": old, "override_reason": "Hayati tehlike var, acil durum", "override_confirm": "y"},
             token_from=preview_url)
    assert r.status_code == 422 and "changed since the preview" in r.get_data(as_text=True)
    assert "Hayati tehlike var, acil durum" in r.get_data(as_text=True)  # what she typed is not lost
    assert status_of(app, rid) == ("draft", False)


def test_a_changed_shared_value_of_the_case_refuses_the_old_preview(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case

    consent = create_consent(signed_in, case, data_classes=["identity", "contact"])
    rid = create_referral(signed_in, case, consent=consent, data_classes=["identity", "contact"])
    old = digest_of(signed_in, case, rid)
    with app.app_context():
        db.session.get(Case, case.id).applicant.phone = "0555 987 65 43"
        db.session.commit()
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": old, "confirm": "y"},
             token_from=f"{base(case)}/referrals/{rid}/preview")
    assert r.status_code == 422 and "changed since the preview" in r.get_data(as_text=True)
    assert re.search(r"555\D*987\D*65\D*43", r.get_data(as_text=True))  # the preview shows the new value
    assert status_of(app, rid) == ("draft", False)
    assert send(signed_in, case, rid).status_code == 302  # confirmed again: sent


def test_notes_and_follow_up_stay_in_the_centre_and_keep_the_preview(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    old = digest_of(signed_in, case, rid)
    assert edit(signed_in, case, rid, consent=consent, notes="Başka bir not",
                follow_up_on="2030-02-01").status_code == 302
    assert digest_of(signed_in, case, rid) == old  # what leaves did not change
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": old, "confirm": "y"},
             token_from=f"{base(case)}/referrals/{rid}/preview")
    assert r.status_code == 302 and status_of(app, rid) == ("sent", False)


def test_preview_digest_is_keyed_and_does_not_depend_on_the_language(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.referrals.models import Referral
    from cases.referrals.services import preview_digest

    consent = create_consent(signed_in, case, data_classes=["identity", "risk", "children"])
    rid = create_referral(signed_in, case, consent=consent, data_classes=["identity", "risk", "children"])
    english = digest_of(signed_in, case, rid)
    html = signed_in.get(f"{base(case)}/referrals/{rid}/preview",
                         headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert 'lang="tr"' in html and "Güncel risk düzeyi" in html and "Yüksek" in html  # labels differ by language
    assert re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', html).group(1) == english  # type: ignore[union-attr]
    with app.test_request_context():
        referral = db.session.scalar(sa.select(Referral).where(Referral.public_id == uuid.UUID(rid)))
        assert preview_digest(referral) == english
        app.config["SECRET_KEY"] = "another-secret-key-of-enough-length-0123456789"
        assert preview_digest(referral) != english


def test_only_a_draft_can_be_edited(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    sent = create_referral(signed_in, case, consent=consent)
    token = csrf_token(signed_in, edit_url(case, sent))
    assert send(signed_in, case, sent).status_code == 302
    discarded = create_referral(signed_in, case, consent=consent)
    assert post(signed_in, f"{base(case)}/referrals/{discarded}/status", {"status": "withdrawn"}).status_code == 302
    for rid, label in ((sent, "Sent"), (discarded, "Withdrawn")):
        before = referral_values(app, rid)
        r = signed_in.get(edit_url(case, rid))
        assert r.status_code == 409
        assert f"Only a draft can be changed; the status of this referral is: {label}." in r.get_data(as_text=True)
        r = signed_in.post(edit_url(case, rid), data={**referral_data(institution_name="Değişti"), "csrf_token": token})
        assert r.status_code == 409
        assert f"Only a draft can be changed; the status of this referral is: {label}." in r.get_data(as_text=True)
        assert referral_values(app, rid) == before
        assert 'href="' + edit_url(case, rid) not in page(signed_in, f"{base(case)}/referrals/{rid}").get_data(
            as_text=True)  # no edit link once it is not a draft
    assert events_of(app, "case.referral-edit") == []


def test_discard_a_draft_from_its_page(app, signed_in, case, page) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    html = page(signed_in, f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    form = html.split('id="discard-draft"', 1)[1].split("</form>", 1)[0]
    assert 'name="status" value="withdrawn"' in form and "Discard draft" in form
    assert f'href="{edit_url(case, rid)}"' in html
    assert 'id="status-heading"' not in html  # a draft has nothing to record yet: discard is its only move
    r = post(signed_in, f"{base(case)}/referrals/{rid}/status", {"status": "withdrawn"},
             token_from=f"{base(case)}/referrals/{rid}")
    assert r.status_code == 302
    assert status_of(app, rid) == ("withdrawn", False)
    html = page(signed_in, r.headers["Location"]).get_data(as_text=True)
    assert "Draft discarded. Nothing was sent." in html and 'id="discard-draft"' not in html
    assert [json_of(d) for d, _reason in events_of(app, "case.referral-status")] == [
        {"from": "draft", "to": "withdrawn", "outcome": None}]


def test_edit_keeps_a_consent_that_is_no_longer_valid(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    post(signed_in, f"{base(case)}/consents/{consent}/revoke", {}, token_from=f"{base(case)}/referrals")
    html = signed_in.get(edit_url(case, rid)).get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{consent}"[^>]*>([^<]*)</option>', html)
    assert option and "selected" in option.group(0) and "(not valid today)" in option.group(1)
    assert edit(signed_in, case, rid, consent=consent, contact_person="Yeni Kişi").status_code == 302
    assert referral_values(app, rid)["consent"] == consent  # the link was not dropped unseen
    # a revoked consent of this case can be kept, not newly chosen on another referral
    other = create_referral(signed_in, case)
    assert edit(signed_in, case, other, consent=consent).status_code == 422


@pytest.mark.parametrize("overrides", [
    {"notes": "x" * 5001},
    {"institution_name": "Ş" * 201},
    {"contact_person": "Ali\nVeli"},
    {"institution_name": "a\x00b"},
    {"follow_up_on": "2026-02-30"},
    {"follow_up_on": "9999-01-01"},
    {"consent": "not-a-uuid"},
    {"consent": str(uuid.uuid4())},
    {"institution_type": "embassy"},
    {"data_classes": []},
    {"data_classes": ["identity", "bank-account"]},
])
def test_malformed_edit_is_422_and_changes_nothing(app, signed_in, case, overrides) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    before = referral_values(app, rid)
    r = edit(signed_in, case, rid, **{"contact_person": "Değişmemeli", **overrides})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert f'action="{edit_url(case, rid)}"' in html  # the form again, with what she typed
    assert referral_values(app, rid) == before
    assert events_of(app, "case.referral-edit") == []


def test_edit_without_csrf_is_400(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    rid = create_referral(signed_in, case)
    before = referral_values(app, rid)
    r = signed_in.post(edit_url(case, rid), data=referral_data(institution_name="Sahte"))
    assert r.status_code == 400
    r = signed_in.post(edit_url(case, rid), data={**referral_data(institution_name="Sahte"), "csrf_token": "forged"})
    assert r.status_code == 400
    assert referral_values(app, rid) == before


def test_edit_of_another_centre_or_case_is_404_and_audited(app, signed_in, case, counsellor, make_case,  # type: ignore[no-untyped-def]
                                                           login_as) -> None:
    from app.audit import AuditEvent
    from app.db import db
    from tests import factories

    rid = create_referral(signed_in, case)
    before = referral_values(app, rid)
    # another case of mine: the referral is looked up within the case in the URL
    mine_too = make_case(counsellor, applicant_name="Fatma Şen")
    url = edit_url(mine_too, rid)
    assert signed_in.get(url).status_code == 404
    r = post(signed_in, url, referral_data(institution_name="Sahte"), token_from=base(mine_too))
    assert r.status_code == 404
    # the supervisor of another centre, with this case's own ids
    other_centre = factories.make_centre(app)
    outsider = factories.make_user(app, "supervisor", centre=other_centre)
    client = app.test_client()
    login_as(client, outsider)
    r = client.get(edit_url(case, rid))
    assert r.status_code == 404 and "Gül Işık" not in r.get_data(as_text=True)
    r = client.post(edit_url(case, rid), data={**referral_data(institution_name="Sahte"),
                                               "csrf_token": csrf_token(client, "/")})
    assert r.status_code == 404
    assert referral_values(app, rid) == before
    with app.app_context():
        denied = db.session.execute(sa.select(AuditEvent.action, AuditEvent.object_id, AuditEvent.actor_email)
                                    .where(AuditEvent.outcome == "denied").order_by(AuditEvent.seq)).all()
    assert [(a, o) for a, o, _ in denied[:2]] == [("referral.view", rid), ("referral.view", rid)]
    assert [(a, o, e) for a, o, e in denied[2:]] == [("case.edit", str(case.public_id), outsider.email)] * 2


def test_read_only_roles_cannot_edit(app, signed_in, case, make_user, login_as, page) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.test_break_glass import REASON

    rid = create_referral(signed_in, case)
    before = referral_values(app, rid)
    colleague = make_user("counsellor")
    reader = app.test_client()
    login_as(reader, colleague)
    r = post(reader, "/cases/break-glass", {"number": case.number, "category": "emergency-at-door", "reason": REASON},
             token_from="/cases/break-glass")
    assert r.status_code == 302
    assert page(reader, f"{base(case)}/referrals/{rid}").status_code == 200  # she may read it (break-glass) ...
    assert 'id="discard-draft"' not in reader.get(f"{base(case)}/referrals/{rid}").get_data(as_text=True)
    users = [("break-glass", reader)]
    for role in ("auditor", "coordinator", "admin"):
        client = app.test_client()
        login_as(client, make_user(role))
        users.append((role, client))
    for who, client in users:
        assert client.get(edit_url(case, rid)).status_code == 404, who  # ... but not edit it
        r = client.post(edit_url(case, rid), data={**referral_data(institution_name="Sahte"),
                                                   "csrf_token": csrf_token(client, "/")})
        assert r.status_code == 404, who
    assert referral_values(app, rid) == before
    # the supervisor of the centre may
    supervisor = app.test_client()
    login_as(supervisor, make_user("supervisor"))
    page(supervisor, edit_url(case, rid))
    assert edit(supervisor, case, rid, contact_person="Müdür Düzeltti").status_code == 302


def test_a_refused_change_puts_the_page_read_on_record(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    token = csrf_token(signed_in, edit_url(case, rid))
    before = len(events_of(app, "case.edit"))
    r = signed_in.post(f"{base(case)}/referrals/{rid}/send", data={"digest": "0" * 32, "confirm": "y",
                                                                   "csrf_token": token})
    assert r.status_code == 422 and "Ayşe Yılmaz" in r.get_data(as_text=True)  # the page shows shared values...
    assert len(events_of(app, "case.edit")) == before + 1  # ... and its read is committed before it leaves
    r = signed_in.post(edit_url(case, rid), data={**referral_data(data_classes=[]), "csrf_token": token})
    assert r.status_code == 422 and "Gül Işık" in r.get_data(as_text=True)
    assert len(events_of(app, "case.edit")) == before + 2


def test_non_ascii_digest_is_refused_not_500(app, signed_in, case) -> None:  # type: ignore[no-untyped-def]
    consent = create_consent(signed_in, case)
    rid = create_referral(signed_in, case, consent=consent)
    r = post(signed_in, f"{base(case)}/referrals/{rid}/send", {"digest": "şğİ" * 11, "confirm": "y"})
    assert r.status_code == 422 and "changed since the preview" in r.get_data(as_text=True)
