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

# Neutral wording (issue 21): the person using violence is not assumed to be a man.
RELATIONSHIP_LABELS = {
    "spouse": _l("Spouse"),
    "former-spouse": _l("Former spouse"),
    "partner": _l("Partner"),
    "former-partner": _l("Former partner"),
    "father": _l("Father"),
    "mother": _l("Mother"),
    "brother": _l("Brother"),
    "sister": _l("Sister"),
    "son": _l("Son"),
    "daughter": _l("Daughter"),
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
    "application": _l("New application"),  # she applied again: cases.intake.applications
}
SYSTEM_NOTE_KINDS = tuple(SYSTEM_NOTE_KIND_LABELS)

SEX_LABELS = {"girl": _l("Girl"), "boy": _l("Boy")}

PHONE_CHECKED_LABELS = {
    "yes": _l("Yes: her phone is checked"),
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

# Equality data (issue 21). Every vocabulary has "prefers not to say": a woman is never made to answer.
PREFERS_NOT = "prefers-not"

# TÜİK's disability categories (plus psychosocial and "other"); several may apply. "none" and "prefers-not" are
# answers of their own and stand alone.
DISABILITY_LABELS = {
    "none": _l("No disability"),
    "physical": _l("Physical (orthopaedic)"),
    "visual": _l("Visual"),
    "hearing": _l("Hearing"),
    "speech": _l("Speech and language"),
    "intellectual": _l("Intellectual"),
    "psychosocial": _l("Psychosocial (mental health)"),
    "chronic-illness": _l("Chronic illness"),
    "other": _l("Other disability"),
    PREFERS_NOT: _l("Prefers not to say"),
}
DISABILITY_TYPES = tuple(k for k in DISABILITY_LABELS if k not in ("none", PREFERS_NOT))
# The statistics' copy (Case.applicant_disability) says "multiple" when she has more than one category.
DISABILITY_STAT_LABELS = {**{k: v for k, v in DISABILITY_LABELS.items() if k != PREFERS_NOT},
                          "multiple": _l("More than one category"), PREFERS_NOT: _l("Prefers not to say")}

ADAPTATION_LABELS = {
    "sign-language": _l("Sign language interpreter"),
    "accessible-room": _l("Accessible, step-free room"),
    "easy-read": _l("Easy-read or large-print documents"),
    "hearing-support": _l("Hearing support (written notes, a quiet room)"),
    "companion": _l("A companion or personal assistant present"),
    "home-visit": _l("Meetings at home or by phone"),
    "other": _l("Other adaptation"),
    PREFERS_NOT: _l("Prefers not to say"),
}

# Law 6458 (Yabancılar ve Uluslararası Koruma Kanunu) statuses, beside nationality and document number.
MIGRATION_STATUS_LABELS = {
    "citizen": _l("Turkish citizen"),
    "temporary-protection": _l("Temporary protection (geçici koruma)"),
    "international-protection": _l("International protection: applicant or status holder"),
    "residence-permit": _l("Residence permit (ikamet izni)"),
    "irregular": _l("No valid status (irregular)"),
    "other": _l("Other status"),
    PREFERS_NOT: _l("Prefers not to say"),
}

# Self-described: "self-described" keeps her own words (encrypted) beside the statistics key.
GENDER_IDENTITY_LABELS = {
    "woman": _l("Woman"),
    "trans-woman": _l("Trans woman"),
    "non-binary": _l("Non-binary"),
    "self-described": _l("In her own words"),
    PREFERS_NOT: _l("Prefers not to say"),
}

# The person using violence: recorded, never assumed.
PERPETRATOR_SEX_LABELS = {
    "man": _l("Man"),
    "woman": _l("Woman"),
    "other": _l("Other"),
    "unknown": _l("Not known"),
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
    "disability": DISABILITY_STAT_LABELS,
    "adaptation": ADAPTATION_LABELS,
    "migration_status": MIGRATION_STATUS_LABELS,
    "gender_identity": GENDER_IDENTITY_LABELS,
    "perpetrator_sex": PERPETRATOR_SEX_LABELS,
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
