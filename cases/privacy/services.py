"""Recording the notice and her consents; revoking a consent. The view commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import db, utcnow
from app.users.models import User
from cases.core.errors import CaseError
from cases.core.models import Case
from cases.privacy.models import CONSENT_METHODS, CONSENT_PURPOSES, NOTICE_METHODS, ExplicitConsent, PrivacyNotice


class PrivacyError(CaseError):
    """A privacy record broke a rule."""


class NoticeMissing(PrivacyError):
    """Nothing beyond her name is recorded before she was given the information notice."""


def record_privacy(case: Case, *, actor: User, notice_given: bool, notice_method: str, purposes: Iterable[str],
                   consent_method: str) -> list[ExplicitConsent]:
    """Record the notice (when ``notice_given`` and none is on record yet) and a consent per purpose not already
    given. A consent without a notice on record is refused: she must know what she consents to."""
    purposes = list(purposes)
    if notice_method not in NOTICE_METHODS or consent_method not in CONSENT_METHODS \
            or set(purposes) - set(CONSENT_PURPOSES):
        raise PrivacyError(str(_l("Choose from the lists.")))
    notice = case_notice(case)
    if notice is None:
        if not notice_given:
            raise NoticeMissing(str(_l("Give her the information notice first, and tick that it was given.")))
        db.session.add(PrivacyNotice(case_id=case.id, case=case, method=notice_method, recorded_by_id=actor.id))
        audit.record("case.privacy-notice", object_type="case", object_id=case.public_id, case_number=case.number,
                     details={"method": notice_method})
    active = {c.purpose for c in case_consents(case) if c.revoked_at is None}
    added = [ExplicitConsent(case_id=case.id, case=case, purpose=p, method=consent_method, recorded_by_id=actor.id)
             for p in purposes if p not in active]
    db.session.add_all(added)
    db.session.flush()
    refresh_statistics_consent(case)
    if added:
        audit.record("case.explicit-consent", object_type="case", object_id=case.public_id, case_number=case.number,
                     details={"purposes": [c.purpose for c in added], "method": consent_method})
    return added


def revoke_consent(consent: ExplicitConsent, *, actor: User) -> None:
    if consent.revoked_at is not None:
        raise PrivacyError(str(_l("This consent was already withdrawn.")))
    consent.revoked_at, consent.revoked_by_id = utcnow(), actor.id
    db.session.flush()
    refresh_statistics_consent(consent.case)
    audit.record("case.explicit-consent-revoked", object_type="case", object_id=consent.case.public_id,
                 case_number=consent.case.number, details={"purpose": consent.purpose})


def refresh_statistics_consent(case: Case) -> None:
    """Keep ``Case.excluded_from_statistics`` true exactly when her notice is on record and she has no current
    consent to statistics (none given, or withdrawn). A case from before the notice existed stays counted."""
    # SECURITY (KVKK art. 5): what she did not consent to is not processed for statistics.
    notice = sa.exists().where(PrivacyNotice.case_id == case.id)
    consent = sa.exists().where(ExplicitConsent.case_id == case.id, ExplicitConsent.purpose == "statistics",
                                ExplicitConsent.revoked_at.is_(None))
    excluded = bool(db.session.scalar(sa.select(sa.and_(notice, ~consent))))
    if case.excluded_from_statistics != excluded:
        case.excluded_from_statistics = excluded
        db.session.flush()


def case_notice(case: Case) -> PrivacyNotice | None:
    return db.session.scalar(sa.select(PrivacyNotice).where(PrivacyNotice.case_id == case.id)
                             .order_by(PrivacyNotice.id).limit(1))


def case_consents(case: Case) -> list[ExplicitConsent]:
    return list(db.session.scalars(sa.select(ExplicitConsent).where(ExplicitConsent.case_id == case.id)
                                   .order_by(ExplicitConsent.revoked_at.is_not(None), ExplicitConsent.id)))


def find_consent(case: Case, public_id: Any) -> ExplicitConsent | None:
    # SECURITY: a consent is looked up within its case only.
    return db.session.scalar(sa.select(ExplicitConsent).where(ExplicitConsent.case_id == case.id,
                                                              ExplicitConsent.public_id == public_id))
