"""Translated labels for the case vocabularies stored as plain keys (channels, violence types, statuses, …).

The keys live in ``cases.core.models``; templates and forms show these labels. Colleagues' modules import from here so a
value reads the same everywhere. ``label(mapping, key)`` falls back to the key for an unknown value (old data).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

CHANNEL_LABELS = {
    "walk-in": _l("Walk-in"),
    "phone": _l("Phone"),
    "sonim": _l("Referred by ŞÖNİM"),
    "police": _l("Referred by police or gendarmerie"),
    "hospital": _l("Referred by a hospital"),
    "ngo": _l("Referred by an NGO"),
    "other": _l("Other"),
}

VIOLENCE_TYPE_LABELS = {
    "physical": _l("Physical"),
    "sexual": _l("Sexual"),
    "psychological": _l("Psychological"),
    "economic": _l("Economic"),
    "stalking": _l("Stalking (ısrarlı takip)"),
    "digital": _l("Digital"),
}

RELATIONSHIP_LABELS = {
    "spouse": _l("Husband"),
    "former-spouse": _l("Former husband"),
    "partner": _l("Partner"),
    "former-partner": _l("Former partner"),
    "father": _l("Father"),
    "brother": _l("Brother"),
    "son": _l("Son"),
    "other-family": _l("Other family member"),
    "acquaintance": _l("Acquaintance"),
    "stranger": _l("Stranger"),
    "other": _l("Other"),
}

PREVIOUS_APPLICATION_LABELS = {
    "police": _l("Police or gendarmerie"),
    "prosecutor": _l("Prosecutor"),
    "sonim": _l("ŞÖNİM"),
    "alo-183": _l("ALO 183"),
    "kades": _l("KADES"),
}

STATUS_LABELS = {
    "open": _l("Open"),
    "active": _l("Active"),
    "closed": _l("Closed"),
}

# badge kind per status (macros/ui.html badge)
STATUS_BADGES = {"open": "", "active": "ok", "closed": "muted"}

RISK_LABELS = {
    "standard": _l("Standard risk"),
    "medium": _l("Medium risk"),
    "high": _l("High risk"),
}

RISK_BADGES = {"standard": "ok", "medium": "warning", "high": "danger"}

CLOSE_REASON_LABELS = {
    "goals-met": _l("Goals met"),
    "her-request": _l("At her own request"),
    "moved-away": _l("Moved away"),
    "no-contact": _l("No contact"),
    "transferred": _l("Transferred to another institution"),
    "deceased": _l("Deceased"),
    "other": _l("Other"),
}
CLOSE_REASONS = tuple(CLOSE_REASON_LABELS)

# Break-glass: only the category reaches the (append-only, exported) audit log; the words stay encrypted in the case.
BREAK_GLASS_CATEGORY_LABELS = {
    "colleague-absent": _l("Her counsellor is absent"),
    "emergency-at-door": _l("Emergency: she is at the door"),
    "court-police-request": _l("A court or police request"),
    "other": _l("Other"),
}

CLOSURE_CHECKLIST_LABELS = {
    "needs-met-or-referred": _l("Her needs were met, or she was referred on for them"),
    "safety-plan-reviewed": _l("The safety plan was reviewed"),
    "referrals-followed-up": _l("Open referrals were followed up"),
    "woman-informed": _l("She was informed that her file is being closed"),
    "told-can-return": _l("She was told she can come back at any time"),
    "records-complete": _l("The records are complete"),
}
CLOSURE_CHECKLIST = tuple(CLOSURE_CHECKLIST_LABELS)

# Contact-note kinds a counsellor chooses; the system kinds record lifecycle events in the timeline.
NOTE_KIND_LABELS = {
    "legal": _l("Legal"),
    "psychological": _l("Psychological"),
    "social": _l("Social"),
    "phone": _l("Phone call"),
    "home-visit": _l("Home visit"),
}
NOTE_KINDS = tuple(NOTE_KIND_LABELS)
SYSTEM_NOTE_KIND_LABELS = {
    "closure": _l("Case closed"),
    "reopening": _l("Case reopened"),
    "transfer": _l("Case transferred"),
}
SYSTEM_NOTE_KINDS = tuple(SYSTEM_NOTE_KIND_LABELS)

SEX_LABELS = {"girl": _l("Girl"), "boy": _l("Boy")}

PHONE_CHECKED_LABELS = {
    "yes": _l("Yes: he checks her phone"),
    "no": _l("No"),
    "unknown": _l("Not known"),
}

SAFE_CONTACT_CHANNELS = {
    "call": _l("Call her"),
    "text": _l("Send a text message"),
    "voicemail": _l("Leave a voice message"),
    "visit": _l("Visit her"),
    "mail": _l("Send post"),
}

ALL_LABELS: dict[str, Mapping[str, object]] = {
    "channel": CHANNEL_LABELS,
    "violence_type": VIOLENCE_TYPE_LABELS,
    "relationship": RELATIONSHIP_LABELS,
    "previous_application": PREVIOUS_APPLICATION_LABELS,
    "status": STATUS_LABELS,
    "risk": RISK_LABELS,
    "close_reason": CLOSE_REASON_LABELS,
    "closure_check": CLOSURE_CHECKLIST_LABELS,
    "note_kind": {**NOTE_KIND_LABELS, **SYSTEM_NOTE_KIND_LABELS},
    "sex": SEX_LABELS,
    "phone_checked": PHONE_CHECKED_LABELS,
    "safe_channel": SAFE_CONTACT_CHANNELS,
}


def label(mapping: Mapping[str, object] | str, key: object) -> str:
    """The translated label of ``key`` (a mapping above, or its name in ALL_LABELS); the key itself if unknown."""
    table = ALL_LABELS[mapping] if isinstance(mapping, str) else mapping
    if key is None:
        return ""
    return str(table.get(str(key), str(key)))


def choices(mapping: Mapping[str, object], blank: object | None = None) -> list[SelectChoice]:
    """WTForms choices (key, lazy label) in the mapping's order; ``blank``: the label of a leading empty choice."""
    options = [SelectChoice(key, text) for key, text in mapping.items()]
    return [SelectChoice("", blank), *options] if blank is not None else options
