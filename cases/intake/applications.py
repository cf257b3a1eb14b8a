"""A new application on her existing case: what a counsellor typed at intake, carried into the file of the returning
applicant the check found, instead of a second case.

The intake form's values reach ``/cases/<id>/applications/new`` in the body of a POST (never in a URL), are validated
again there and shown prefilled; the counsellor confirms which differences from the file are brought in. Nothing is
written before she confirms, and "Back to the intake form" posts the same values back to the intake page.

What a confirmed new application writes, in one transaction with its audit rows:
- the application itself: a timeline entry (system note ``application``, encrypted like any note) with the date,
  how she came and what she said now; the violence types are added to the case's (categorical) types;
- each difference the counsellor ticked: her identity or contact details (``update_person``), a child not yet in the
  file (``add_child``), the person using violence (recorded, or his details corrected), the safe-contact profile;
- the KVKK notice (when none is on record) and explicit consents not already given (``record_privacy``);
- a supervisor continuing in a closed file reopens it first (a counsellor cannot: she asks her supervisor).
The semantic event ``case.application`` names the channel, the violence types and the kinds of what was brought in
(keys such as ``applicant:phone``), never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

import crypto
from app import audit
from app.dates import long_date
from app.db import db
from app.users.models import User
from cases.core.errors import CaseClosed
from cases.core.labels import CHANNEL_LABELS
from cases.core.models import Case, CaseStatus
from cases.core.policies import can
from cases.intake import services as intake_service
from cases.lifecycle import services as lifecycle_service
from cases.notes.services import add_system_note
from cases.privacy import services as privacy_service

# Her details the intake form has and her file keeps (the intake form's names are the file's).
APPLICANT_FIELDS = ("full_name", "tckn", "document_no", "nationality", "date_of_birth", "phone", "address",
                    "language", "interpreter_needed", "disability", *intake_service.EQUALITY_FIELDS)
PERPETRATOR_FIELDS = ("full_name", "notes", "stated_sex")


@dataclass(frozen=True)
class Difference:
    """One thing typed at intake that her file does not have yet; ``key`` is safe for the audit log."""

    key: str
    label: str  # what it is ("Phone"); the value is shown beside it by the page, never logged
    value: Any
    current: Any = None


def shown(difference: Difference) -> str:
    """The difference as the page lists it: what it is and, for a value that reads as text, what was typed."""
    value = difference.value
    if isinstance(value, date):
        return f"{difference.label}: {long_date(value)}"
    if difference.key in _TEXT_KEYS or difference.key.startswith("child:"):
        return f"{difference.label}: {value}"
    return difference.label  # a choice or a tick: its key is not for people to read


_TEXT_KEYS = {*(f"applicant:{name}" for name in ("full_name", "tckn", "document_no", "nationality", "phone",
                                                 "address", "language", "disability", "gender_identity_text")),
              "perpetrator:full_name", "perpetrator:notes"}


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _folded(name: str | None) -> str:
    return crypto.normalise_name(name) if name else ""


def differences(case: Case, data: dict[str, Any], labels: dict[str, str]) -> list[Difference]:
    """What ``data`` (``IntakeForm.to_data()``) would add to or change in ``case``'s file, in the page's order."""
    found: list[Difference] = []
    applicant = case.applicant
    typed = data["applicant"]
    for name in APPLICANT_FIELDS:
        try:
            value = intake_service.normal_form(name, typed.get(name))
        except (crypto.InvalidIdentifier, ValueError):
            value = typed.get(name)  # the form refuses it; shown as typed until corrected
        if _blank(value):
            continue  # left empty at intake: her file keeps what it has
        current = getattr(applicant, name) if applicant is not None else None
        if not intake_service.same_value(name, current, value):
            found.append(Difference(f"applicant:{name}", labels.get(name, name), typed.get(name), current))
    known = {_folded(child.full_name) for child in case.children}
    for index, child in enumerate(data["children"]):
        if _folded(child["full_name"]) not in known:
            found.append(Difference(f"child:{index}", labels.get("child", ""), child["full_name"]))
    perpetrator = data["perpetrator"]
    recorded = case.perpetrators[0] if case.perpetrators else None
    wanted = {**{field: perpetrator.get(field) for field in PERPETRATOR_FIELDS},
              "relationship_to_applicant": data.get("relationship")}
    for field, value in wanted.items():
        if _blank(value):
            continue
        current = getattr(recorded, field) if recorded is not None else None
        if current != value:
            found.append(Difference(f"perpetrator:{field}", labels.get(f"perpetrator:{field}", field), value,
                                    current))
    safe = data["safe_contact"]
    said = any(safe.get(k) for k in ("call", "text", "voicemail", "visit", "mail", "safe_hours", "code_word",
                                      "notes")) or safe.get("phone_checked") not in (None, "", "unknown")
    if said and safe != (case.safe_contact or {}):
        found.append(Difference("safe-contact", labels.get("safe-contact", ""), None))
    return found


def _note_text(data: dict[str, Any]) -> str:
    parts = [str(_l("How she came: %(channel)s", channel=CHANNEL_LABELS.get(data["channel"], data["channel"])))]
    if data.get("narrative"):
        parts.append(str(_l("What happened, in her words")) + ":\n" + data["narrative"])
    if data.get("immediate_needs"):
        parts.append(str(_l("Immediate needs")) + ":\n" + data["immediate_needs"])
    return "\n\n".join(parts)


def record_application(case: Case, *, actor: User, data: dict[str, Any], bring_in: list[str],
                       privacy: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Record the new application on ``case`` and bring in the ticked differences; return their keys.

    The view commits; a refusal (``CaseError``) leaves the session to be rolled back."""
    if case.is_closed:
        if not can(actor, "reopen", case):
            raise CaseClosed(str(_l("Her file is closed. Ask your supervisor to reopen it, or save a new case.")))
        lifecycle_service.reopen_case(case, actor=actor, reason=str(_l("She applied again.")))
    chosen = {d.key: d for d in differences(case, data, labels) if d.key in set(bring_in)}
    applicant = case.applicant
    updates = {key.split(":", 1)[1]: data["applicant"][key.split(":", 1)[1]]
               for key in chosen if key.startswith("applicant:")}
    if updates and applicant is not None:
        intake_service.update_person(applicant, actor=actor, values=updates)
    for key in chosen:
        if key.startswith("child:"):
            child = data["children"][int(key.split(":", 1)[1])]
            intake_service.add_child(case, actor=actor, values={k: child[k] for k in ("full_name", "sex",
                                                                                      "birth_year")})
    perpetrator = {key.split(":", 1)[1]: chosen[key].value for key in chosen if key.startswith("perpetrator:")}
    if perpetrator:
        if case.perpetrators:
            intake_service.update_person(case.perpetrators[0], actor=actor, values=perpetrator)
        else:
            intake_service.add_perpetrator(case, actor=actor, values=perpetrator)
    if "safe-contact" in chosen:
        case.safe_contact = data["safe_contact"]
    if privacy["notice_given"] or privacy["purposes"]:  # a consent without a notice on record is refused there
        privacy_service.record_privacy(case, actor=actor, **privacy)
    case.violence_types = sorted(set(case.violence_types or []) | set(data["violence_types"]))
    add_system_note(case, actor=actor, kind="application", text=_note_text(data), occurred_on=data["applied_on"])
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACTIVE
    db.session.flush()
    keys = sorted(chosen)
    audit.record("case.application", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"channel": data["channel"], "violence_types": sorted(data["violence_types"]),
                          "brought_in": keys})
    return keys

