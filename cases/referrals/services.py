"""Consent records and referrals: the consent gate, the preview of what leaves, sending and the status lifecycle.

Rules kept here (DESIGN.md §2 "Referral", research/domain.md b4):

* a referral leaves ``draft`` only under a consent that exists, is not revoked, is valid on the sending day, is for
  the same institution type, and covers every data class being shared — otherwise a ``ConsentError`` naming what is
  missing; or under an **emergency override** with a written reason (≥ 10 characters), flagged on the referral and
  audited as ``case.referral-override`` (shown to the supervisor);
* what is shared is exactly ``build_preview(referral)``: the chosen classes' values, nothing else; sending requires
  the digest of the preview the counsellor confirmed — a keyed hash over everything that leaves the centre (the
  recipient: institution type, name and contact person; the consent; every shared value) — so a referral, or a shared
  value of the case, changed after the preview is not sent blind;
* only a draft can be edited (``edit_referral``) or discarded (draft → withdrawn); the edit is audited as
  ``case.referral-edit`` with the names of the changed fields;
* statuses move only along ``REFERRAL_TRANSITIONS``; a revoked consent is never usable again.

Audit details carry categories and counts only, never names, notes or reasons.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit
from app.dates import centre_zone, local_today
from app.db import db, utcnow
from app.numbers import number
from app.users.models import User
from cases.alerts.services import case_team_ids, notify
from cases.core.errors import CaseClosed, CaseError
from cases.core.labels import ADAPTATION_LABELS, DISABILITY_LABELS, GENDER_IDENTITY_LABELS, MIGRATION_STATUS_LABELS
from cases.core.models import Case, Person
from cases.documents import services as documents_service
from cases.referrals.models import (
    CONSENT_METHODS,
    DATA_CLASSES,
    INSTITUTION_TYPES,
    REFERRAL_OUTCOMES,
    REFERRAL_TRANSITIONS,
    ConsentRecord,
    Referral,
)

OVERRIDE_REASON_MIN = 10
DEFAULT_FOLLOW_UP_DAYS = 7

INSTITUTION_LABELS = {
    "police": _l("Police / gendarmerie"),
    "prosecutor": _l("Public prosecutor"),
    "family-court": _l("Family court"),
    "sonim": _l("ŞÖNİM (violence prevention and monitoring centre)"),
    "bar-legal-aid": _l("Bar association legal aid"),
    "hospital": _l("Hospital"),
    "ashb": _l("ASHB social services"),
    "iskur": _l("İŞKUR (employment agency)"),
    "ministry-shelter": _l("Ministry shelter (konukevi)"),
    "ngo": _l("NGO"),
    "other": _l("Other institution"),
}
DATA_CLASS_LABELS = {
    "identity": _l("Identity (name, identity number, date of birth)"),
    "contact": _l("Contact (phone)"),
    "address": _l("Address"),
    "narrative": _l("What happened (intake narrative)"),
    "risk": _l("Risk level"),
    "children": _l("Children (names and birth years)"),
    "documents": _l("Documents (court decisions, reports, photos)"),
    "disability": _l("Disability and the adaptations she needs"),
    "migration-status": _l("Migration status"),
    "gender-identity": _l("Gender identity"),
}
DATA_CLASS_SHORT = {
    "identity": _l("identity"), "contact": _l("contact"), "address": _l("address"),
    "narrative": _l("narrative"), "risk": _l("risk"), "children": _l("children"),
    "documents": _l("documents"),
    "disability": _l("disability"), "migration-status": _l("migration status"),
    "gender-identity": _l("gender identity"),
}
METHOD_LABELS = {"written": _l("Written"), "verbal": _l("Verbal")}
STATUS_LABELS = {
    "draft": _l("Draft"), "sent": _l("Sent"), "accepted": _l("Accepted"), "declined": _l("Declined"),
    "completed": _l("Completed"), "withdrawn": _l("Withdrawn"),
}
OUTCOME_LABELS = {
    "service-provided": _l("Service provided"),
    "order-issued": _l("Protective order issued"),
    "shelter-placed": _l("Placed in a shelter"),
    "appointment-given": _l("Appointment given"),
    "no-service": _l("No service given"),
    "not-reachable": _l("Institution not reachable"),
    "she-declined": _l("She declined"),
    "other": _l("Other"),
}
RISK_LABELS = {"standard": _l("Standard"), "medium": _l("Medium"), "high": _l("High")}


# ---------------------------------------------------------------------------------------------------------- errors
class ReferralError(CaseError):
    """A referral or consent rule was broken (messages are safe to show: no case data)."""


class ConsentError(ReferralError):
    """The referral has no usable consent."""


class ConsentMissing(ConsentError):
    pass


class ConsentExpired(ConsentError):
    pass


class ConsentRevoked(ConsentError):
    pass


class ConsentDoesNotCover(ConsentError):
    pass


class ConsentWrongRecipient(ConsentDoesNotCover):
    """The consent is for another kind of institution."""


class InvalidTransition(ReferralError):
    pass


class OverrideReasonRequired(ReferralError):
    pass


class PreviewOutdated(ReferralError):
    """The referral changed after the preview was shown."""


class ReferralNotEditable(ReferralError):
    """Only a draft can be changed: a sent or closed referral is part of the record."""


class InvalidConsent(ReferralError):
    pass


def _label(labels: dict[str, object], key: str | None) -> str:
    return str(labels.get(key or "", key or ""))


def class_list(keys: list[str] | tuple[str, ...]) -> str:
    return ", ".join(_label(DATA_CLASS_SHORT, k) for k in DATA_CLASSES if k in keys)


def _ensure_open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(_("The case is closed; reopen it first."))


def _clean_classes(classes: list[str] | tuple[str, ...]) -> list[str]:
    unknown = set(classes) - set(DATA_CLASSES)
    if unknown:
        raise ReferralError(_("Unknown data class."))
    return [c for c in DATA_CLASSES if c in classes]  # canonical order, no duplicates


# -------------------------------------------------------------------------------------------------------- consent
def record_consent(
    case: Case,
    *,
    actor: User,
    institution_type: str,
    institution_name: str | None,
    data_classes: list[str],
    method: str,
    given_on: date,
    valid_until: date,
    witnessed_by: User | None = None,
    witness_text: str | None = None,
    today: date | None = None,
) -> ConsentRecord:
    """Record the consent she gave. Verbal consent needs a witness (a staff member or a named person)."""
    _ensure_open(case)
    today = today or local_today()
    if institution_type not in INSTITUTION_TYPES:
        raise InvalidConsent(_("Choose the kind of institution."))
    classes = _clean_classes(data_classes)
    if not classes:
        raise InvalidConsent(_("Choose at least one kind of information she agrees to share."))
    if method not in CONSENT_METHODS:
        raise InvalidConsent(_("Say how she gave her consent."))
    if given_on > today:
        raise InvalidConsent(_("The date she gave consent cannot be in the future."))
    if valid_until < given_on:
        raise InvalidConsent(_("The consent cannot end before the day it was given."))
    if witnessed_by is not None and (witnessed_by.centre_id != case.centre_id or not witnessed_by.is_active):
        raise InvalidConsent(_("Choose a witness from your centre."))
    witness_text = (witness_text or "").strip() or None
    if method == "verbal" and witnessed_by is None and witness_text is None:
        raise InvalidConsent(_("Verbal consent needs a witness: choose a colleague or write who witnessed it."))
    consent = ConsentRecord(
        case=case, case_id=case.id, case_public_id=case.public_id, institution_type=institution_type,
        data_classes=classes, method=method, given_on=given_on, valid_until=valid_until,
        witnessed_by_id=witnessed_by.id if witnessed_by else None, created_by_id=actor.id,
    )
    consent.institution_name = (institution_name or "").strip() or None
    consent.witness_text = witness_text
    db.session.add(consent)
    db.session.flush()
    audit.record("case.consent-record", object_type="consent", object_id=consent.public_id,
                 case_number=case.number, actor=actor,
                 details={"institution_type": institution_type, "data_classes": classes, "method": method})
    return consent


def revoke_consent(consent: ConsentRecord, *, actor: User, reason: str | None) -> list[Referral]:
    """Revoke a consent: it can no longer be used. Returns the referrals already sent under it (still open),
    whose recipients should be told."""
    if consent.is_revoked:
        raise InvalidConsent(_("This consent was already revoked."))
    consent.revoked_at = utcnow()
    consent.revoked_by_id = actor.id
    consent.revocation_reason = (reason or "").strip() or None
    affected = list(db.session.scalars(
        sa.select(Referral).where(Referral.consent_id == consent.id,
                                  Referral.status.in_(("sent", "accepted")))
    ))
    db.session.flush()
    audit.record("case.consent-revoke", object_type="consent", object_id=consent.public_id,
                 case_number=consent.case.number, actor=actor,
                 details={"institution_type": consent.institution_type, "open_referrals": len(affected)})
    return affected


def case_consents(case: Case) -> list[ConsentRecord]:
    return list(db.session.scalars(
        sa.select(ConsentRecord).where(ConsentRecord.case_id == case.id)
        .order_by(ConsentRecord.given_on.desc(), ConsentRecord.id.desc())
    ))


def usable_consents(case: Case, on: date | None = None, institution_type: str | None = None) -> list[ConsentRecord]:
    """Consents of the case valid on ``on`` (not revoked, not expired), optionally for one institution type."""
    on = on or local_today()
    return [c for c in case_consents(case)
            if c.is_usable(on) and (institution_type is None or c.institution_type == institution_type)]


def find_consent(case: Case, public_id: object) -> ConsentRecord | None:
    """A consent of *this* case (never another case's, whatever id is posted)."""
    return db.session.scalar(
        sa.select(ConsentRecord).where(ConsentRecord.case_id == case.id, ConsentRecord.public_id == public_id)
    )


def check_consent(referral: Referral, on: date) -> ConsentRecord:
    """The consent under which ``referral`` may be sent on ``on``, or the ConsentError that says what is missing."""
    consent = referral.consent
    institution = _label(INSTITUTION_LABELS, referral.institution_type)
    if consent is None or consent.case_id != referral.case_id:
        raise ConsentMissing(_("No consent is linked to this referral. Record her consent to share with "
                               "%(institution)s and choose it, or use the emergency override.",
                               institution=institution))
    if consent.revoked_at is not None:
        raise ConsentRevoked(_("She revoked this consent on %(date)s. It can no longer be used.",
                               date=format_date(consent.revoked_at.astimezone(centre_zone()).date())))
    if on > consent.valid_until:
        raise ConsentExpired(_("Her consent expired on %(date)s. Record a new consent before sending.",
                               date=format_date(consent.valid_until)))
    if on < consent.given_on:
        raise ConsentMissing(_("The chosen consent only applies from %(date)s.", date=format_date(consent.given_on)))
    if consent.institution_type != referral.institution_type:
        raise ConsentWrongRecipient(_("The consent is for %(consent_institution)s, not %(institution)s.",
                                      consent_institution=_label(INSTITUTION_LABELS, consent.institution_type),
                                      institution=institution))
    missing = [c for c in referral.data_classes if c not in consent.data_classes]
    if missing:
        raise ConsentDoesNotCover(_("The consent does not cover: %(classes)s.", classes=class_list(missing)))
    return consent


def consent_problem(referral: Referral, on: date | None = None) -> str | None:
    """What stops sending today, as a message; None when the consent is fine."""
    try:
        check_consent(referral, on or local_today())
    except ConsentError as exc:
        return str(exc)
    return None


# ------------------------------------------------------------------------------------------------------ referrals
def _check_referral(case: Case, institution_type: str, data_classes: list[str],
                    consent: ConsentRecord | None) -> list[str]:
    """The rules a draft's fields follow (on creation and on every edit); the classes in canonical order."""
    _ensure_open(case)
    if institution_type not in INSTITUTION_TYPES:
        raise ReferralError(_("Choose the kind of institution."))
    classes = _clean_classes(data_classes)
    if not classes:
        raise ReferralError(_("Choose at least one kind of information to share."))
    if consent is not None and consent.case_id != case.id:
        raise ConsentMissing(_("Choose one of her consents."))
    return classes


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def create_referral(
    case: Case,
    *,
    actor: User,
    institution_type: str,
    data_classes: list[str],
    institution_name: str | None = None,
    contact_person: str | None = None,
    notes: str | None = None,
    consent: ConsentRecord | None = None,
    follow_up_on: date | None = None,
) -> Referral:
    """A draft referral. The consent is checked when it is sent (the preview shows any problem first)."""
    classes = _check_referral(case, institution_type, data_classes, consent)
    referral = Referral(
        case=case, case_id=case.id, case_public_id=case.public_id, institution_type=institution_type,
        data_classes=classes, consent_id=consent.id if consent else None, status="draft",
        follow_up_on=follow_up_on, created_by_id=actor.id,
    )
    referral.consent = consent
    referral.institution_name = _text(institution_name)
    referral.contact_person = _text(contact_person)
    referral.notes = _text(notes)
    db.session.add(referral)
    db.session.flush()
    audit.record("case.referral-create", object_type="referral", object_id=referral.public_id,
                 case_number=case.number, actor=actor,
                 details={"institution_type": institution_type, "data_classes": classes})
    return referral


def ensure_editable(referral: Referral) -> None:
    if referral.status != "draft":
        raise ReferralNotEditable(_("Only a draft can be changed; the status of this referral is: %(status)s. A sent "
                                    "referral is part of the record: record what happened instead.",
                                    status=_label(STATUS_LABELS, referral.status)))


def edit_referral(
    referral: Referral,
    *,
    actor: User,
    institution_type: str,
    data_classes: list[str],
    institution_name: str | None = None,
    contact_person: str | None = None,
    notes: str | None = None,
    consent: ConsentRecord | None = None,
    follow_up_on: date | None = None,
) -> list[str]:
    """Correct a draft, under the same rules as ``create_referral``. Returns the names of the changed fields (none:
    nothing is written). Any change to what leaves the centre changes ``preview_digest``, so a preview shown before
    the edit can no longer be sent."""
    ensure_editable(referral)
    case = referral.case
    classes = _check_referral(case, institution_type, data_classes, consent)
    wanted: dict[str, object] = {
        "institution_type": institution_type,
        "institution_name": _text(institution_name),
        "contact_person": _text(contact_person),
        "data_classes": classes,
        "consent": consent,
        "notes": _text(notes),
        "follow_up_on": follow_up_on,
    }
    # Only changed fields are written: an encrypted field set to its own value would still get a new ciphertext.
    changed = [name for name, value in wanted.items() if getattr(referral, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(referral, name, wanted[name])
    if "consent" in changed:
        referral.consent_id = consent.id if consent else None
    db.session.flush()
    # SECURITY: field names only; the values (names, notes) stay encrypted on the referral.
    audit.record("case.referral-edit", object_type="referral", object_id=referral.public_id,
                 case_number=case.number, actor=actor, details={"fields": changed})
    return changed


def case_referrals(case: Case) -> list[Referral]:
    return list(db.session.scalars(
        sa.select(Referral).where(Referral.case_id == case.id).order_by(Referral.created_at.desc(), Referral.id.desc())
    ))


def find_referral(case: Case, public_id: object) -> Referral | None:
    """A referral of *this* case (the case was loaded through the policy; the referral is scoped to it)."""
    return db.session.scalar(
        sa.select(Referral).where(Referral.case_id == case.id, Referral.public_id == public_id)
    )


@dataclass
class PreviewSection:
    data_class: str
    label: str
    items: list[tuple[str, str]] = field(default_factory=list)


def build_preview(referral: Referral) -> list[PreviewSection]:
    """Exactly what the recipient receives: one section per shared class with this case's decrypted values."""
    case = referral.case
    applicant = case.applicant
    sections: list[PreviewSection] = []
    for key in DATA_CLASSES:
        if key not in referral.data_classes:
            continue
        section = PreviewSection(key, _label(DATA_CLASS_LABELS, key))
        if key == "identity" and applicant is not None:
            section.items.append((_("Full name"), applicant.full_name or ""))
            if applicant.tckn:
                section.items.append((_("TC identity number"), applicant.tckn))
            if applicant.document_no:
                section.items.append((_("Foreign ID or passport number"), applicant.document_no))
            if applicant.nationality:
                section.items.append((_("Nationality"), applicant.nationality))
            if applicant.date_of_birth:
                section.items.append((_("Date of birth"), format_date(applicant.date_of_birth)))
        elif key == "contact" and applicant is not None and applicant.phone:
            section.items.append((_("Phone"), applicant.phone))
        elif key == "address" and applicant is not None and applicant.address:
            section.items.append((_("Address"), applicant.address))
        elif key == "narrative" and case.narrative:
            section.items.append((_("What happened"), case.narrative))
        elif key == "risk" and case.risk_level:
            section.items.append((_("Current risk level"), _label(RISK_LABELS, str(case.risk_level))))
        elif key == "children":
            for child in case.children:
                year = str(child.birth_year) if child.birth_year else _("birth year not recorded")
                section.items.append((_("Child"), f"{child.full_name or ''} ({year})"))
        elif key == "documents":
            section.items.extend(documents_service.preview_items(case))
        elif applicant is not None:
            section.items.extend(_equality_items(key, applicant))
        sections.append(section)
    return sections


def _equality_items(key: str, applicant: Person) -> list[tuple[str, str]]:
    """The applicant's equality answers of data class ``key`` (issue 21), as the recipient reads them."""
    def listed(mapping: Mapping[str, object], keys: list[str] | None) -> str:
        return ", ".join(_label(dict(mapping), k) for k in keys or [])

    if key == "disability":
        items = []
        if applicant.disability_types:
            items.append((_("Disability"), listed(DISABILITY_LABELS, applicant.disability_types)))
        if applicant.adaptation_needs:
            items.append((_("Adaptations she needs"), listed(ADAPTATION_LABELS, applicant.adaptation_needs)))
        return items
    if key == "migration-status" and applicant.migration_status:
        return [(_("Migration status"), _label(dict(MIGRATION_STATUS_LABELS), applicant.migration_status))]
    if key == "gender-identity" and applicant.gender_identity:
        text = applicant.gender_identity_text if applicant.gender_identity == "self-described" else None
        return [(_("Gender identity"), text or _label(dict(GENDER_IDENTITY_LABELS), applicant.gender_identity))]
    return []


DIGEST_LOCALE = "en"  # the digest must not depend on the language the pages are shown in


def _digest_key() -> bytes:
    # SECURITY: keyed, so the digest in the page is no unkeyed fingerprint of the (low-entropy) values it covers.
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, b"dayanisma referral preview v2", hashlib.sha256).digest()


def preview_digest(referral: Referral) -> str:
    """A keyed fingerprint of everything that leaves the centre with this referral, as the preview shows it: the
    recipient (institution type, name, contact person), the consent it goes under, the chosen classes and every
    shared value (``build_preview``). Any change to one of them, by an edit of the draft or of the case, changes it.
    The referral's notes and follow-up date stay in the centre and are not covered."""
    with force_locale(DIGEST_LOCALE):
        sections = [[s.data_class, [list(item) for item in s.items]] for s in build_preview(referral)]
    payload = {
        "referral": str(referral.public_id),
        "case": str(referral.case_public_id),
        "institution_type": referral.institution_type,
        "institution_name": referral.institution_name or "",
        "contact_person": referral.contact_person or "",
        "consent": str(referral.consent.public_id) if referral.consent else "",
        "data_classes": list(referral.data_classes),
        "shared": sections,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(_digest_key(), text.encode(), hashlib.sha256).hexdigest()[:32]


def _transition(referral: Referral, to: str) -> None:
    if to not in REFERRAL_TRANSITIONS.get(referral.status, frozenset()):
        raise InvalidTransition(_("A referral that is %(current)s cannot be marked %(target)s.",
                                  current=_label(STATUS_LABELS, referral.status).lower(),
                                  target=_label(STATUS_LABELS, to).lower()))


def send_referral(
    referral: Referral,
    *,
    actor: User,
    digest: str | None,
    override_reason: str | None = None,
    on: date | None = None,
) -> Referral:
    """Mark the referral sent, after the counsellor confirmed its preview (``digest``).

    Without ``override_reason`` the consent must pass ``check_consent``. With it (an emergency: ≥ 10 characters), the
    referral is sent without a valid consent, flagged, and audited as ``case.referral-override``.
    """
    _ensure_open(referral.case)
    on = on or local_today()
    _transition(referral, "sent")
    # bytes: compare_digest refuses non-ASCII str, and the digest is whatever was posted
    if not hmac.compare_digest((digest or "").encode(), preview_digest(referral).encode()):
        raise PreviewOutdated(_("The referral changed since the preview was shown. Check the preview again."))
    case_number = referral.case.number
    if override_reason is not None:
        reason = override_reason.strip()
        if len(reason) < OVERRIDE_REASON_MIN:
            raise OverrideReasonRequired(_("An emergency override needs a written reason of at least "
                                           "%(count)s characters.", count=number(OVERRIDE_REASON_MIN)))
        problem = consent_problem(referral, on)
        referral.is_override = True
        referral.override_reason = reason
        # SECURITY: the reason stays encrypted on the referral; the audit row gets categories only.
        audit.record("case.referral-override", object_type="referral", object_id=referral.public_id,
                     case_number=case_number, actor=actor,
                     details={"institution_type": referral.institution_type,
                              "data_classes": list(referral.data_classes),
                              "consent_valid": problem is None})
    else:
        check_consent(referral, on)
    referral.status = "sent"
    referral.sent_at = referral.status_changed_at = utcnow()
    referral.sent_by_id = actor.id
    if referral.follow_up_on is None:
        referral.follow_up_on = on + timedelta(days=DEFAULT_FOLLOW_UP_DAYS)
    db.session.flush()
    audit.record("case.referral-send", object_type="referral", object_id=referral.public_id,
                 case_number=case_number, actor=actor,
                 details={"institution_type": referral.institution_type,
                          "data_classes": list(referral.data_classes), "override": referral.is_override})
    return referral


ANSWER_STATUSES = ("accepted", "declined")  # the institution's answer arrived


def change_referral_status(
    referral: Referral,
    *,
    actor: User,
    status: str,
    outcome: str | None = None,
    outcome_text: str | None = None,
    follow_up_on: date | None = None,
) -> Referral:
    """accepted / declined / completed / withdrawn, with an outcome (a category is required to close it)."""
    _ensure_open(referral.case)
    if status == "sent":
        raise InvalidTransition(_("Send a referral from its preview."))
    if status not in REFERRAL_TRANSITIONS:
        raise InvalidTransition(_("Unknown status."))
    _transition(referral, status)
    if outcome is not None and outcome not in REFERRAL_OUTCOMES:
        raise ReferralError(_("Unknown outcome."))
    if status in ("declined", "completed") and not outcome:
        raise ReferralError(_("Choose the outcome."))
    previous = referral.status
    referral.status = status
    referral.status_changed_at = utcnow()
    if outcome:
        referral.outcome = outcome
    text = (outcome_text or "").strip()
    if text:
        referral.outcome_text = text
    if follow_up_on is not None:
        referral.follow_up_on = follow_up_on
    if status in ANSWER_STATUSES:
        notify(case_team_ids(referral.case), referral.case, "referral-answered", actor=actor)
    db.session.flush()
    audit.record("case.referral-status", object_type="referral", object_id=referral.public_id,
                 case_number=referral.case.number, actor=actor,
                 details={"from": previous, "to": status, "outcome": outcome})
    return referral
