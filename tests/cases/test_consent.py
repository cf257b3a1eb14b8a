"""The consent rules, at the service level where dates can be chosen: a referral is sent only under a consent that
exists, is not revoked, is valid on the sending day, is for the same institution type and covers every shared data
class — each refusal with its own error and message. Also the rules of recording and revoking a consent."""

from __future__ import annotations

import datetime as dt

import pytest

D0 = dt.date(2026, 3, 1)


@pytest.fixture
def env(app, make_user, make_case):  # type: ignore[no-untyped-def]
    counsellor = make_user("counsellor")
    case = make_case(counsellor)
    return app, counsellor, case


def _objects(counsellor, case):  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User
    from cases.core.models import Case

    return db.session.get(User, counsellor.id), db.session.get(Case, case.id)


def _consent(user, case, **kw):  # type: ignore[no-untyped-def]
    from cases.referrals import services as svc

    args = {"institution_type": "sonim", "institution_name": "Şişli ŞÖNİM", "data_classes": ["identity", "contact"],
            "method": "written", "given_on": D0, "valid_until": D0 + dt.timedelta(days=60), "today": D0}
    args.update(kw)
    return svc.record_consent(case, actor=user, **args)


def _referral(user, case, consent, **kw):  # type: ignore[no-untyped-def]
    from cases.referrals import services as svc

    args = {"institution_type": "sonim", "data_classes": ["identity"]}
    args.update(kw)
    return svc.create_referral(case, actor=user, consent=consent, **args)


def _send(referral, user, on):  # type: ignore[no-untyped-def]
    from cases.referrals import services as svc

    return svc.send_referral(referral, actor=user, digest=svc.preview_digest(referral), on=on)


def test_valid_consent_sends_on_first_and_last_day(env) -> None:  # type: ignore[no-untyped-def]
    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        consent = _consent(user, case)
        first = _send(_referral(user, case, consent), user, D0)
        last = _send(_referral(user, case, consent), user, consent.valid_until)
        assert first.status == last.status == "sent"
        assert first.follow_up_on == D0 + dt.timedelta(days=7)  # default follow-up a week after sending
        assert not first.is_override


def test_expired_consent(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals.services import ConsentExpired

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        consent = _consent(user, case)
        referral = _referral(user, case, consent)
        with pytest.raises(ConsentExpired, match=r"Her consent expired on .*2026.* Record a new consent"):
            _send(referral, user, consent.valid_until + dt.timedelta(days=1))
        assert referral.status == "draft"


def test_consent_not_yet_given(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals.services import ConsentMissing

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        referral = _referral(user, case, _consent(user, case))
        with pytest.raises(ConsentMissing, match="only applies from"):
            _send(referral, user, D0 - dt.timedelta(days=1))


def test_revoked_consent(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals import services as svc

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        consent = _consent(user, case)
        sent = _send(_referral(user, case, consent), user, D0)
        draft = _referral(user, case, consent)
        affected = svc.revoke_consent(consent, actor=user, reason="istemiyor")
        assert affected == [sent]
        with pytest.raises(svc.ConsentRevoked, match="She revoked this consent on .* It can no longer be used."):
            _send(draft, user, D0)
        assert consent not in svc.usable_consents(case, D0)
        with pytest.raises(svc.InvalidConsent, match="already revoked"):
            svc.revoke_consent(consent, actor=user, reason=None)


def test_wrong_recipient_type(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals.services import ConsentDoesNotCover, ConsentWrongRecipient

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        referral = _referral(user, case, _consent(user, case, institution_type="hospital"),
                             institution_type="prosecutor")
        with pytest.raises(ConsentWrongRecipient, match="The consent is for Hospital, not Public prosecutor."):
            _send(referral, user, D0)
        assert issubclass(ConsentWrongRecipient, ConsentDoesNotCover)


def test_not_covering_every_class(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals.services import ConsentDoesNotCover

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        referral = _referral(user, case, _consent(user, case, data_classes=["identity", "contact"]),
                             data_classes=["children", "identity", "risk"])
        with pytest.raises(ConsentDoesNotCover, match=r"does not cover: risk, children\.$"):
            _send(referral, user, D0)


def test_no_consent(env) -> None:  # type: ignore[no-untyped-def]
    from cases.referrals.services import ConsentMissing

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        referral = _referral(user, case, None, institution_type="bar-legal-aid")
        with pytest.raises(ConsentMissing, match="share with Bar association legal aid"):
            _send(referral, user, D0)


def test_consent_of_another_case_cannot_be_attached(env, make_case) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from cases.core.models import Case
    from cases.referrals.services import ConsentMissing

    app, counsellor, case_info = env
    other_info = make_case(counsellor, applicant_name="Fatma Şen")
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        other = db.session.get(Case, other_info.id)
        with pytest.raises(ConsentMissing):
            _referral(user, case, _consent(user, other))


@pytest.mark.parametrize(("kw", "message"), [
    ({"valid_until": D0 - dt.timedelta(days=1)}, "cannot end before"),
    ({"given_on": D0 + dt.timedelta(days=1), "valid_until": D0 + dt.timedelta(days=5)}, "cannot be in the future"),
    ({"method": "verbal"}, "Verbal consent needs a witness"),
    ({"data_classes": []}, "at least one"),
    ({"data_classes": ["bank"]}, "Unknown data class"),
    ({"institution_type": "embassy"}, "kind of institution"),
])
def test_consent_recording_rules(env, kw, message) -> None:  # type: ignore[no-untyped-def]
    from cases.core.errors import CaseError

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        with pytest.raises(CaseError, match=message):
            _consent(user, case, **kw)


def test_verbal_consent_with_a_staff_witness(env, make_user) -> None:  # type: ignore[no-untyped-def]
    from app.db import db
    from app.users.models import User

    app, counsellor, case_info = env
    colleague = make_user("counsellor")
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        consent = _consent(user, case, method="verbal", witnessed_by=db.session.get(User, colleague.id))
        assert consent.witnessed_by_id == colleague.id


def test_override_with_short_reason_is_refused_and_long_one_flags(env) -> None:  # type: ignore[no-untyped-def]
    from app.audit import AuditEvent
    from app.db import db
    from cases.referrals import services as svc

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        referral = _referral(user, case, None, institution_type="police")
        digest = svc.preview_digest(referral)
        with pytest.raises(svc.OverrideReasonRequired):
            svc.send_referral(referral, actor=user, digest=digest, override_reason="   kısa   ")
        assert referral.status == "draft" and not referral.is_override
        svc.send_referral(referral, actor=user, digest=digest, override_reason="Hayati tehlike var, acil.")
        assert referral.status == "sent" and referral.is_override
        event = db.session.query(AuditEvent).filter(AuditEvent.action == "case.referral-override").one()
        assert event.case_number == case.number and "tehlike" not in (event.details or "")


def test_closed_case_refuses_consent_and_referral(env) -> None:  # type: ignore[no-untyped-def]
    from cases.core.errors import CaseClosed
    from cases.core.models import CaseStatus

    app, counsellor, case_info = env
    with app.test_request_context():
        user, case = _objects(counsellor, case_info)
        consent = _consent(user, case)
        referral = _referral(user, case, consent)
        case.status = CaseStatus.CLOSED
        with pytest.raises(CaseClosed):
            _consent(user, case)
        with pytest.raises(CaseClosed):
            _send(referral, user, D0)
