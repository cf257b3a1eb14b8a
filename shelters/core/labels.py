"""Translated labels for the shelter vocabularies (keys are stored; labels are shown)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DECLINE_REASON_LABELS = {
    "no-capacity": _l("No capacity"),
    "boy-over-age": _l("A son is over the age limit"),
    "needs-other-service": _l("Needs a different service"),
    "addiction": _l("Untreated addiction"),
    "safety-risk": _l("Safety risk to other residents"),
    "declined-by-applicant": _l("She declined"),
    "placed-elsewhere": _l("Placed elsewhere"),
    "other": _l("Other"),
}

EXIT_DESTINATION_LABELS = {
    "own-home": _l("Her own home"),
    "relatives": _l("Relatives"),
    "another-shelter": _l("Another shelter"),
    "returned-to-perpetrator": _l("Returned to the perpetrator"),
    "unknown": _l("Unknown"),
}

OUTAGE_REASON_LABELS = {
    "repair": _l("Repair"),
    "cleaning": _l("Cleaning"),
    "safety": _l("Safety"),
    "health": _l("Health (isolation)"),
    "other": _l("Other"),
}

EXTENSION_REASON_LABELS = {
    "housing-pending": _l("Waiting for housing"),
    "legal-proceedings": _l("Legal proceedings under way"),
    "employment-pending": _l("Waiting for work or income"),
    "health": _l("Health"),
    "safety": _l("Safety"),
    "other": _l("Other"),
}

REQUEST_STATUS_LABELS = {
    "pending": _l("On the waiting list"),
    "admitted": _l("Admitted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}

EXTENSION_STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "refused": _l("Refused"),
}

RISK_LABELS = {
    "standard": _l("Standard"),
    "medium": _l("Medium"),
    "high": _l("High"),
    None: _l("Not assessed"),
}


def label(mapping: dict, key: object) -> str:  # type: ignore[type-arg]
    return str(mapping.get(key, key or ""))
