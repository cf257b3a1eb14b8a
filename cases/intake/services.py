"""Intake: the returning-applicant check and opening a case with its people from the intake form's data.

The check searches the blind indexes (TCKN, foreign document number, phone, Turkish-folded name) of *applicants of
the actor's centre* and returns verified matches only (``crypto.search`` decrypts candidates and drops collisions).
What the user may learn about a match is decided by the caller with ``policies.can``: a case she may view is shown
by number; any other is only "an earlier application exists at this centre".
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

import crypto
from app import audit
from app.db import db
from app.users.models import User
from cases.core.models import Case, Person, PersonKind
from cases.core.policies import can
from cases.core.services import add_person, age_band, open_case

# Which blind-indexed applicant attribute each intake value is searched in.
SEARCH_FIELDS = (("tckn", Person.tckn), ("document_no", Person.document_no), ("phone", Person.phone),
                 ("full_name", Person.full_name))


@dataclass
class ReturningCheck:
    """The outcome of the returning-applicant check, split by what the actor may see."""

    viewable: list[Case] = field(default_factory=list)  # cases she may view: shown by number and status
    hidden_count: int = 0  # matches she may not view: shown only as "an earlier application exists"
    matched_on: list[str] = field(default_factory=list)  # field names that matched (for the audit log)
    token: str = ""  # binds a "save anyway" confirmation to exactly these matches

    @property
    def found(self) -> bool:
        return bool(self.viewable) or self.hidden_count > 0


def _token(actor: User, case_ids: list[int]) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    message = f"returning-check:{actor.id}:" + ",".join(str(i) for i in sorted(case_ids))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def find_returning(*, actor: User, applicant: dict[str, Any]) -> ReturningCheck:
    """Earlier applications of the same woman at the actor's centre (by TCKN, document number, phone or name)."""
    # SECURITY: only applicants of cases of the actor's own centre are candidates.
    where = sa.and_(
        Person.kind == PersonKind.APPLICANT,
        Person.case_id.in_(sa.select(Case.id).where(Case.centre_id == actor.centre_id)),
    )
    case_ids: set[int] = set()
    matched_on: list[str] = []
    for name, attribute in SEARCH_FIELDS:
        value = applicant.get(name)
        if not value:
            continue
        try:
            people = crypto.search(db.session(), attribute, value, where=where, limit=200)
        except (crypto.InvalidIdentifier, ValueError):
            continue  # the form refuses invalid values; nothing to search for
        if people:
            matched_on.append(name)
            case_ids.update(p.case_id for p in people)
    result = ReturningCheck(matched_on=matched_on, token=_token(actor, sorted(case_ids)))
    if case_ids:
        cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)).order_by(Case.opened_at)).all()
        for case in cases:
            if can(actor, "view", case):
                result.viewable.append(case)
            else:
                result.hidden_count += 1
    audit.record("case.returning-check", details={"matched_on": matched_on, "matches": len(case_ids)})
    return result


def confirmation_valid(check: ReturningCheck, confirm: str | None) -> bool:
    """True when the user confirmed after seeing exactly the matches found now."""
    return bool(confirm) and hmac.compare_digest(str(confirm), check.token)


def open_case_from_intake(*, actor: User, data: dict[str, Any]) -> Case:
    """Open the case and add the applicant, her children and the perpetrator from ``IntakeForm.to_data()``."""
    applicant = dict(data["applicant"])
    # Identity numbers and phones are stored in their normal form (the form has validated them).
    if applicant.get("tckn"):
        applicant["tckn"] = crypto.normalise_tckn(applicant["tckn"])
    if applicant.get("phone"):
        applicant["phone"] = crypto.normalise_phone(applicant["phone"])
    children = data["children"]
    case = open_case(
        actor=actor,
        applied_on=data["applied_on"],
        channel=data["channel"],
        violence_types=data["violence_types"],
        previous_applications=data["previous_applications"],
        relationship_to_perpetrator=data["relationship"],
        applicant_age_band=age_band(applicant.get("date_of_birth"), data["applied_on"]),
        children_count=len(children),
        narrative=data.get("narrative"),
        immediate_needs=data.get("immediate_needs"),
        safe_contact=data.get("safe_contact"),
    )
    add_person(case, PersonKind.APPLICANT, **{k: v for k, v in applicant.items() if v is not None})
    for child in children:
        add_person(case, PersonKind.CHILD, **{k: v for k, v in child.items() if v is not None})
    perpetrator = data.get("perpetrator") or {}
    if perpetrator.get("full_name") or perpetrator.get("notes") or data["relationship"]:
        add_person(case, PersonKind.PERPETRATOR, full_name=perpetrator.get("full_name"),
                   notes=perpetrator.get("notes"), relationship_to_applicant=data["relationship"])
    db.session.flush()
    audit.record("case.open", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"channel": case.channel, "children": len(children)})
    return case
