"""Intake: the returning-applicant check and opening a case with its people from the intake form's data.

The check searches the blind indexes (TCKN, foreign document number, phone, Turkish-folded name) of *applicants of
the actor's centre* and returns verified matches only (``crypto.search`` decrypts candidates and drops collisions).
What the user may learn about a match is decided by the caller with ``policies.can``: a case she may view is shown
by number; any other is only "an earlier application exists at this centre". A name shared by more than
``NAMESAKE_LIMIT`` earlier applicants of the centre is not a finding about *her*: those files are not listed (their
numbers would say nothing about whether she applied before), the check says "more than N earlier applicants have her
name: check with an identity number or phone" and still asks for confirmation before a new case is saved; matches
by identity number or phone are listed as always. The name search then stops once it has one namesake more than
the limit (``crypto.search(limit=...)``) instead of decrypting every namesake of the centre.

The people of a case after intake: correcting the applicant, a child or the perpetrator, adding a child or (when
the intake recorded none) the perpetrator, removing a child.

Only fields whose value really changes are written (an unchanged encrypted field keeps its ciphertext and blind
index, and is not named in the audit). Identity numbers and phones are stored in their normal form, as at intake,
so the blind-index search finds the new value and no longer the old one. Semantic audit events
``case.person.update|add|remove`` (details: the person's ``kind`` and the changed field names, never values) join
the change's transaction (the view commits).

The perpetrator's relationship to her has a categorical copy on the case (``Case.relationship_to_perpetrator``,
for dashboards and statistics, as the applicant's age band is); it follows the first recorded perpetrator.

A child who is referenced elsewhere is not removed: by a sent referral that shared the children's data (the record
of what left the centre must keep its meaning) or, through a registered guard, by a feature that stores person ids
(a shelter request or stay). ``cases`` does not import those features; they register with
``register_removal_guard`` (as for erasure, ``cases.retention.services``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

import crypto
from app import audit
from app.auth.sessions import current_token_hash
from app.db import db, utcnow
from app.users.models import User
from cases.casefile.services import NAMESAKE_LIMIT
from cases.core.errors import CaseClosed, CaseError
from cases.core.models import Case, Person, PersonKind
from cases.core.policies import can
from cases.core.services import add_person, age_band, open_case, sync_equality_copies
from cases.intake.models import IntakeDraft
from cases.referrals.models import Referral

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
    editable: set[int] = field(default_factory=set)  # ids of the viewable cases she may continue in (a new application)
    more_namesakes: bool = False  # more than NAMESAKE_LIMIT earlier applicants of the centre have her name
    namesake_limit: int = NAMESAKE_LIMIT

    @property
    def found(self) -> bool:
        return bool(self.viewable) or self.hidden_count > 0 or self.more_namesakes


def _token(actor: User, case_ids: list[int], more_namesakes: bool = False) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    message = f"returning-check:{actor.id}:" + ",".join(str(i) for i in sorted(case_ids))
    if more_namesakes:
        message += ":more-namesakes"
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
    more_namesakes = False
    for name, attribute in SEARCH_FIELDS:
        value = applicant.get(name)
        if not value:
            continue
        by_name = name == "full_name"
        try:
            people = crypto.search(db.session(), attribute, value, where=where,
                                   limit=NAMESAKE_LIMIT + 1 if by_name else 200)
        except (crypto.InvalidIdentifier, ValueError):
            continue  # the form refuses invalid values; nothing to search for
        if people:
            matched_on.append(name)
            if by_name and len(people) > NAMESAKE_LIMIT:
                more_namesakes = True   # a common name: not listed, see the module docstring
                continue
            case_ids.update(p.case_id for p in people)
    result = ReturningCheck(matched_on=matched_on, token=_token(actor, sorted(case_ids), more_namesakes),
                            more_namesakes=more_namesakes, namesake_limit=NAMESAKE_LIMIT)
    if case_ids:
        cases = db.session.scalars(sa.select(Case).where(Case.id.in_(case_ids)).order_by(Case.opened_at)).all()
        for case in cases:
            if can(actor, "view", case):
                result.viewable.append(case)
                if can(actor, "edit", case):
                    result.editable.add(case.id)
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
    person = add_person(case, PersonKind.APPLICANT, **{k: v for k, v in applicant.items() if v is not None})
    sync_equality_copies(case, person)
    for child in children:
        add_person(case, PersonKind.CHILD, **{k: v for k, v in child.items() if v is not None})
    perpetrator = data.get("perpetrator") or {}
    if perpetrator.get("full_name") or perpetrator.get("notes") or perpetrator.get("stated_sex") \
            or data["relationship"]:
        add_person(case, PersonKind.PERPETRATOR, full_name=perpetrator.get("full_name"),
                   notes=perpetrator.get("notes"), stated_sex=perpetrator.get("stated_sex"),
                   relationship_to_applicant=data["relationship"])
    db.session.flush()
    audit.record("case.open", object_type="case", object_id=case.public_id, case_number=case.number,
                 details={"channel": case.channel, "children": len(children)})
    return case

# The applicant's equality answers (issue 21); a change refreshes the statistics' plain copies on the case.
EQUALITY_FIELDS = ("disability_types", "adaptation_needs", "migration_status", "gender_identity",
                   "gender_identity_text")
EDITABLE_FIELDS: dict[PersonKind, tuple[str, ...]] = {
    PersonKind.APPLICANT: ("full_name", "tckn", "document_no", "nationality", "date_of_birth", "phone", "address",
                           "language", "interpreter_needed", "disability", *EQUALITY_FIELDS),
    PersonKind.CHILD: ("full_name", "sex", "birth_year", "notes", "disability"),
    PersonKind.PERPETRATOR: ("full_name", "stated_sex", "relationship_to_applicant", "notes"),
}
# Stored in their normal form (as at intake); compared in it, so "0532 123 45 67" equals "+905321234567".
_NORMALISED = {"tckn": crypto.normalise_tckn, "phone": crypto.normalise_phone}

# A guard returns why the person cannot be removed (a message safe to show: no case data in it), or None.
RemovalGuard = Callable[[Person], str | None]
_GUARDS: list[RemovalGuard] = []


class PersonInUse(CaseError):
    """The person is referenced elsewhere and cannot be removed; ``reasons`` are safe to show."""

    def __init__(self, reasons: list[str], kinds: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons
        self.kinds = kinds  # categories for the audit log ("referral", "guard:<name>"), never values


class PerpetratorExists(CaseError):
    """The case has a perpetrator already: the recorded details are corrected, not added a second time."""


def register_removal_guard(guard: RemovalGuard) -> None:
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def load_person(case: Case, person_id: uuid.UUID | str, kinds: tuple[PersonKind, ...]) -> Person | None:
    """The person of ``case`` with this public id and one of ``kinds``; None otherwise."""
    try:
        public_id = person_id if isinstance(person_id, uuid.UUID) else uuid.UUID(str(person_id))
    except ValueError:
        return None
    # SECURITY: looked up inside this case only: another case's person (of any centre) is never loaded.
    return db.session.scalar(sa.select(Person).where(Person.public_id == public_id, Person.case_id == case.id,
                                                     Person.kind.in_(kinds)))


def _check_open(case: Case) -> None:
    if case.is_closed:
        raise CaseClosed(str(_l("The case is closed. Reopen it before changing the people in it.")))


def normal_form(name: str, value: Any) -> Any:
    """A value as it is stored: identity numbers and phones in their normal form (also for a new application)."""
    if isinstance(value, str) and name in _NORMALISED:
        return _NORMALISED[name](value)
    return value


def same_value(name: str, old: Any, new: Any) -> bool:
    """Whether a stored value and a new one (in its normal form) are the same."""
    if old is None or new is None:
        return old is None and new is None
    if name in _NORMALISED:
        try:
            return bool(normal_form(name, old) == new)
        except (crypto.InvalidIdentifier, ValueError):
            return False  # an old value stored before validation: any valid new value is a change
    return bool(old == new)


def _audit(action: str, person: Person, case: Case, actor: User, **details: Any) -> None:
    audit.record(action, object_type="person", object_id=person.public_id, case_number=case.number, actor=actor,
                 details={"kind": str(person.kind), **details})


def update_person(person: Person, *, actor: User, values: dict[str, Any]) -> list[str]:
    """Write the fields of ``values`` that differ from the stored ones; return their names (sorted)."""
    case = person.case
    _check_open(case)
    allowed = EDITABLE_FIELDS.get(person.kind)
    if allowed is None:
        raise CaseError(str(_l("This person's details cannot be changed here.")))
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"not editable for a {person.kind}: {sorted(unknown)}")
    changed = []
    for name, value in values.items():
        new = normal_form(name, value)
        if same_value(name, getattr(person, name), new):
            continue  # SECURITY: untouched fields keep their ciphertext (and stay out of the audit)
        setattr(person, name, new)
        changed.append(name)
    if not changed:
        return []
    if "date_of_birth" in changed and person.kind == PersonKind.APPLICANT:
        # The age band is the statistics' copy of her date of birth at application.
        case.applicant_age_band = age_band(person.date_of_birth, case.applied_on)
    if person.kind == PersonKind.APPLICANT and set(changed) & set(EQUALITY_FIELDS):
        sync_equality_copies(case, person)
    if "relationship_to_applicant" in changed and person.kind == PersonKind.PERPETRATOR:
        _sync_relationship(case)
    db.session.flush()
    changed.sort()
    _audit("case.person.update", person, case, actor, fields=changed)
    return changed


def add_child(case: Case, *, actor: User, values: dict[str, Any]) -> Person:
    _check_open(case)
    unknown = set(values) - set(EDITABLE_FIELDS[PersonKind.CHILD])
    if unknown:
        raise ValueError(f"not a child's field: {sorted(unknown)}")
    fields = {name: value for name, value in values.items() if value is not None}
    child = add_person(case, PersonKind.CHILD, **fields)
    case.children_count = len(case.children)
    db.session.flush()
    _audit("case.person.add", child, case, actor, fields=sorted(fields))
    return child


def _sync_relationship(case: Case) -> None:
    """The case's categorical copy of the relationship follows its first perpetrator."""
    perpetrators = case.perpetrators
    if perpetrators:
        case.relationship_to_perpetrator = perpetrators[0].relationship_to_applicant


def add_perpetrator(case: Case, *, actor: User, values: dict[str, Any]) -> Person:
    """Record the perpetrator of a case whose intake recorded none (``PerpetratorExists`` otherwise)."""
    _check_open(case)
    unknown = set(values) - set(EDITABLE_FIELDS[PersonKind.PERPETRATOR])
    if unknown:
        raise ValueError(f"not a perpetrator's field: {sorted(unknown)}")
    # Two counsellors adding that person at the same moment record one perpetrator: the case row is locked
    # (PostgreSQL) and the check reads the database, not the loaded relationship.
    db.session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
    existing = db.session.scalar(sa.select(sa.func.count(Person.id)).where(
        Person.case_id == case.id, Person.kind == PersonKind.PERPETRATOR))
    if existing:
        raise PerpetratorExists(str(_l("The person using violence is already recorded for this case: correct the "
                                       "recorded details instead.")))
    fields = {name: value for name, value in values.items() if value is not None}
    if not fields:
        raise CaseError(str(_l("Enter a name, the sex, the relationship to her or a description.")))
    perpetrator = add_person(case, PersonKind.PERPETRATOR, **fields)
    _sync_relationship(case)
    db.session.flush()
    _audit("case.person.add", perpetrator, case, actor, fields=sorted(fields))
    return perpetrator


def _shared_in_referral(person: Person) -> bool:
    """A referral sent (not a draft) that shared the children's data class with another institution."""
    referrals = db.session.scalars(
        sa.select(Referral.data_classes).where(Referral.case_id == person.case_id, Referral.sent_at.is_not(None))
    )
    return any("children" in (classes or []) for classes in referrals)


def removal_problems(person: Person) -> PersonInUse | None:
    """Why ``person`` cannot be removed, or None."""
    reasons: list[str] = []
    kinds: list[str] = []
    if person.kind == PersonKind.CHILD and _shared_in_referral(person):
        reasons.append(str(_l("The children's details were shared in a referral that was sent; the record of "
                              "what was shared must stay complete.")))
        kinds.append("referral")
    for guard in _GUARDS:
        if (problem := guard(person)) is not None:
            reasons.append(str(problem))
            kinds.append(f"guard:{getattr(guard, '__module__', '?')}")
    return PersonInUse(reasons, kinds) if reasons else None


def remove_child(child: Person, *, actor: User) -> None:
    """Delete the child from the case, unless she is referenced elsewhere (``PersonInUse``)."""
    case = child.case
    _check_open(case)
    if child.kind != PersonKind.CHILD:
        raise CaseError(str(_l("Only a child can be removed from a case.")))
    # Serialised with a shelter request for the same case (it locks the row too), so the check below cannot miss
    # a request being made at this moment (PostgreSQL; SQLite serialises writers anyway).
    db.session.execute(sa.select(Case.id).where(Case.id == case.id).with_for_update())
    if (problem := removal_problems(child)) is not None:
        raise problem
    public_id = child.public_id
    case.people.remove(child)
    # An explicit delete, not only the orphan cascade: the audit hook (before_flush) sees session.deleted, and an
    # orphan joins it only during the flush.
    db.session.delete(child)
    case.children_count = len(case.children)
    try:
        db.session.flush()
    except IntegrityError:
        # A reference the guards do not know about (a foreign key): the database refuses; nothing was changed.
        raise PersonInUse([str(_l("This child is referenced elsewhere in the records and cannot be removed."))],
                          ["foreign-key"]) from None
    audit.record("case.person.remove", object_type="person", object_id=public_id, case_number=case.number,
                 actor=actor, details={"kind": str(PersonKind.CHILD)})


# --- the intake being typed, kept server-side for Back and reload (cases.intake.models.IntakeDraft) -------------

DRAFT_TTL = timedelta(minutes=30)  # after its last change; and never beyond the session that typed it
DRAFTS_PER_SESSION = 20  # intakes open at once in one session (tabs), far above what a counsellor does
_DRAFT_PLACE = ("intake_drafts", "form")
crypto.legacy.register_place(IntakeDraft, pk="id", uid="public_id", ct="form_ct", aad_table=_DRAFT_PLACE[0],
                             aad_column=_DRAFT_PLACE[1])
# What a draft does not keep: the form's token and which button was pressed (the page's answer decides those again).
_NOT_KEPT = frozenset({"csrf_token", "check_now", "add_child", "resume", "save_application", "confirm", "draft"})


class DraftNotFound(LookupError):
    """No draft of this user in this session by that id (another user's, another session's, or none)."""


def keep_draft(user: User, pairs: Iterable[tuple[str, str]], public_id: uuid.UUID | None = None) -> uuid.UUID:
    """Keep the intake form's ``pairs`` (encrypted, bound to this user and session) and return the opaque id its page
    is fetched by: the draft ``public_id`` when it is this session's own (changed in place), a new one otherwise.
    The user's expired drafts are emptied on the way (her drafts go when their session ends: ``forget_drafts``)."""
    session_hash = current_token_hash()
    if session_hash is None:
        raise DraftNotFound("no session")
    now = utcnow()
    mine = IntakeDraft.user_id == user.id
    # Anyone's draft older than a session can last is of an ended session nobody came back to: it goes.
    db.session.execute(sa.delete(IntakeDraft).where(
        IntakeDraft.updated_at < now - max(DRAFT_TTL, current_app.config["SESSION_ABSOLUTE_TIMEOUT"])))
    db.session.execute(sa.update(IntakeDraft).where(mine, IntakeDraft.updated_at < now - DRAFT_TTL)
                       .values(form_ct=None))
    kept = [(str(k), str(v)) for k, v in pairs if k not in _NOT_KEPT]
    current = None
    if public_id is not None:
        current = db.session.scalar(sa.select(IntakeDraft.id).where(
            mine, IntakeDraft.public_id == public_id, IntakeDraft.session_hash == session_hash,
            IntakeDraft.form_ct.is_not(None)))
    draft_id = public_id if current is not None and public_id is not None else uuid.uuid4()
    sealed = crypto.get_context().encrypt(db.session(), ("user", user.public_id), *_DRAFT_PLACE, draft_id,
                                          json.dumps(kept, ensure_ascii=False))
    if current is not None:
        db.session.execute(sa.update(IntakeDraft).where(IntakeDraft.id == current)
                           .values(form_ct=sealed, updated_at=now))
    else:
        # At most DRAFTS_PER_SESSION: a new one pushes out the session's oldest (a form posted in a loop fills
        # nothing).
        oldest = sa.select(IntakeDraft.id).where(mine, IntakeDraft.session_hash == session_hash) \
            .order_by(IntakeDraft.updated_at.desc(), IntakeDraft.id.desc()).offset(DRAFTS_PER_SESSION - 1)
        db.session.execute(sa.delete(IntakeDraft).where(IntakeDraft.id.in_(oldest.scalar_subquery())))
        db.session.execute(sa.insert(IntakeDraft).values(public_id=draft_id, user_id=user.id,
                                                         session_hash=session_hash, form_ct=sealed, updated_at=now))
    return draft_id


def open_draft(user: User, public_id: uuid.UUID) -> list[tuple[str, str]] | None:
    """The form values kept as ``public_id`` by this user in this session; None when the draft has expired (its
    content is then emptied). Raises ``DraftNotFound`` for any other id (the caller answers an audited 404)."""
    session_hash = current_token_hash()
    # SECURITY: another user's or another session's id is the same as no id at all.
    row = db.session.execute(sa.select(IntakeDraft.id, IntakeDraft.form_ct, IntakeDraft.updated_at).where(
        IntakeDraft.public_id == public_id, IntakeDraft.user_id == user.id,
        IntakeDraft.session_hash == session_hash)).one_or_none() if session_hash is not None else None
    if row is None:
        raise DraftNotFound(str(public_id))
    if row.form_ct is None or row.updated_at < utcnow() - DRAFT_TTL:
        if row.form_ct is not None:
            db.session.execute(sa.update(IntakeDraft).where(IntakeDraft.id == row.id).values(form_ct=None))
        return None
    value = crypto.get_context().decrypt(db.session(), *_DRAFT_PLACE, public_id, row.form_ct)
    pairs = json.loads(value) if isinstance(value, str) else []
    return [(str(k), str(v)) for k, v in pairs]


def discard_draft(user: User, public_id: uuid.UUID | None) -> None:
    """The intake is saved: its draft goes (in the same transaction)."""
    if public_id is not None:
        db.session.execute(sa.delete(IntakeDraft).where(IntakeDraft.public_id == public_id,
                                                        IntakeDraft.user_id == user.id))


def forget_drafts(ended: bytes | None, user_id: int | None, kept: bytes | None) -> None:
    """The session that typed a draft has ended (signed out, timed out, or every session of the user ended): its
    drafts go in the same transaction (``app.auth.sessions.register_end_listener``)."""
    if ended is not None:
        db.session.execute(sa.delete(IntakeDraft).where(IntakeDraft.session_hash == ended))
    elif user_id is not None:
        where = [IntakeDraft.user_id == user_id]
        if kept is not None:
            where.append(IntakeDraft.session_hash != kept)
        db.session.execute(sa.delete(IntakeDraft).where(*where))
