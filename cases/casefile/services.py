"""Finding a woman's file: one search box over the cases the user may see.

What a query finds, among the cases the user may list (``policies.visible_cases_query``):

* a case number, exactly (case-insensitive: "byk-2026-0004");
* a T.C. Kimlik No, YKN / passport number, full phone number or full name, exactly, through the blind indexes
  (``crypto.search``: any number of cases, cost independent of the caseload). A full name shared by more than
  ``NAMESAKE_LIMIT`` applicants is answered with the ``NAMESAKE_LIMIT`` most recently registered of them and a
  "more than N women have this name" notice instead of every namesake (see ``NAMESAKE_LIMIT``);
* part of a name, accent- and case-insensitive with Turkish folding ("ozturk" finds "Öztürk", "gulsen ozt" finds
  "Gülşen Öztürk"), and the last digits of a phone number (at least ``PHONE_TAIL_MIN``): the applicants' names and
  phones are decrypted in the server, for the ``SCAN_BUDGET`` most recently opened visible cases only. A counsellor's
  caseload is far below the budget; a supervisor of a very large centre has her older cases searched by exact values
  only, and the page says so. Nothing new is stored for this: no partial-match index exists to leak.

For a counsellor, cases of her centre she is *not* on are also looked up — by case number and by exact identity
values only — and returned as break-glass candidates carrying nothing but the case number and the counsellor's name
(DESIGN.md §1: break-glass is how she reaches them, with a reason).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

import crypto
from app.auth.sessions import current_token_hash
from app.db import db, utcnow
from app.users.models import Role, User
from cases.casefile.models import SavedSearch
from cases.core import policies
from cases.core.models import Case, Person, PersonKind
from crypto.normalise import normalise_name

#: Applicants of at most this many visible cases (most recently opened first) are decrypted per search for partial
#: name and phone-ending matches. P7, ``bench/p7_partial.py 100000`` (SQLite, 2 cores, data-key cache cold): a
#: supervisor of a 25,000-case centre, 5,000 scanned, median 358 ms / p95 516 ms (all 25,000: 1.76 s / 2.20 s);
#: a counsellor with 2,715 visible cases, median 264 ms / p95 383 ms.
SCAN_BUDGET = 5000
PHONE_TAIL_MIN = 4
RESULT_LIMIT = 50
#: Exact full-name matches shown at most. A common name ("Ayşe Yılmaz") is shared by dozens of applicants in a
#: large municipality (≈ 50 per name in the 10^6-person benchmark set): a list of fifty identical names does not help
#: a counsellor find her, and every row shown is one more woman's case number in front of someone who does not need
#: it (and in the audit log's case.search event). Past this many the page says so and asks for an identifier
#: (T.C. Kimlik No, phone, case number) instead, and the search stops decrypting once it has one namesake more than
#: it shows (``crypto.search(limit=NAMESAKE_LIMIT + 1)``: DESIGN.md §7 P2 measures that call). The substring scan
#: is skipped then: it would only add the same namesakes again.
NAMESAKE_LIMIT = 20

_CASE_NUMBER = re.compile(r"^[A-Z0-9ÇĞİÖŞÜ]{1,12}-\d{4}-\d{1,8}$")
_PHONE_CHARS = re.compile(r"^[\d\s+()./-]+$")


@dataclass
class SearchResult:
    cases: list[Case] = field(default_factory=list)        # visible matches, best first
    names: dict[int, str | None] = field(default_factory=dict)  # case id → applicant name (decrypted already)
    others: list[Case] = field(default_factory=list)       # break-glass candidates (number and counsellor only)
    scanned: int = 0                                       # visible cases whose names were decrypted
    truncated: bool = False                                # more visible cases than the budget
    more_namesakes: bool = False                           # more than NAMESAKE_LIMIT applicants have this full name
    namesake_limit: int = NAMESAKE_LIMIT


def _case_number(query: str) -> str | None:
    candidate = query.strip().upper().replace(" ", "")
    return candidate if _CASE_NUMBER.match(candidate) else None


def _phone_digits(query: str) -> str | None:
    if not _PHONE_CHARS.match(query):
        return None
    digits = "".join(ch for ch in query if ch.isdigit())
    return digits if len(digits) >= PHONE_TAIL_MIN else None


def _exact_matches(query: str, where: sa.ColumnElement[bool], limit: int) -> tuple[list[int], bool]:
    """Case ids whose applicant matches ``query`` exactly as an identity number, a phone number or a full name,
    and whether more than ``NAMESAKE_LIMIT`` applicants have that full name (only the newest that many are kept)."""
    found: dict[int, None] = {}
    more_namesakes = False
    for attribute in (Person.tckn, Person.phone, Person.document_no, Person.full_name):
        name = attribute.descriptor is Person.full_name.descriptor
        try:
            people = crypto.search(db.session(), attribute, query, where=where,
                                   limit=min(limit, NAMESAKE_LIMIT + 1) if name else limit)
        except (crypto.InvalidIdentifier, ValueError, TypeError):
            continue  # not that kind of value (a name is not a phone number)
        if name and len(people) > NAMESAKE_LIMIT:
            more_namesakes = True
            people = people[:NAMESAKE_LIMIT]
        for person in people:
            found.setdefault(person.case_id)
    return list(found), more_namesakes


Decrypted = dict[int, tuple[str | None, str | None]]  # case id → (applicant's name, phone)


def decrypt_applicants(case_ids: sa.Select[Any], *, phones: bool, limit: int) -> Decrypted:
    """case id → (name, phone) of the applicants of the ``limit`` most recently opened cases among ``case_ids``.

    Reads only (case id, row uid, ciphertexts) and unwraps the data keys in bulk (``ctx.preload``): the cost is one
    AES-GCM decryption per value plus one key unwrap per case, no ORM objects."""
    ctx = crypto.get_context()
    name_prefix = Person.full_name.descriptor.place(Person)[2]
    phone_prefix = Person.phone.descriptor.place(Person)[2]
    columns: list[Any] = [Person.case_id, Person.public_id, Person.full_name_ct]
    if phones:
        columns.append(Person.phone_ct)
    recent = (sa.select(Case.id).where(Case.id.in_(case_ids))
              .order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit).subquery())
    rows = db.session.execute(
        sa.select(*columns).where(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(sa.select(recent.c.id)))
    ).all()
    session = db.session()
    ctx.preload(session, (row[2] for row in rows))
    out: Decrypted = {}
    for row in rows:
        uid = row[1].bytes
        out[row[0]] = (_open(ctx, session, name_prefix, uid, row[2]),
                       _open(ctx, session, phone_prefix, uid, row[3]) if phones else None)
    return out


def _open(ctx: crypto.CryptoContext, session: Any, prefix: bytes, uid: bytes, blob: bytes | None) -> str | None:
    if blob is None:
        return None
    try:
        value = ctx.decrypt_bound(session, prefix, uid, blob)
    except crypto.KeyDestroyed:
        return None
    return value if isinstance(value, str) else None


def _partial_matches(query: str, decrypted: Decrypted) -> list[int]:
    words = normalise_name(query).split()
    tail = _phone_digits(query)
    found = []
    keys: dict[str, str] = {}  # namesakes are common: fold each distinct name once (this call only)
    for case_id, (name, phone) in decrypted.items():
        if words and name:
            key = keys.get(name) or keys.setdefault(name, normalise_name(name))
            # Every typed word is part of the name ("gul ozt" finds "Gülşen Öztürk").
            if all(word in key for word in words):
                found.append(case_id)
                continue
        if tail and phone and "".join(ch for ch in phone if ch.isdigit()).endswith(tail):
            found.append(case_id)
    return found


def applicant_names(case_ids: list[int]) -> dict[int, str | None]:
    """case id → decrypted applicant name, for one page of cases."""
    if not case_ids:
        return {}
    people = db.session.scalars(
        sa.select(Person).where(Person.case_id.in_(case_ids), Person.kind == PersonKind.APPLICANT)
    )
    return {p.case_id: p.full_name for p in people}


def _load(ids: Iterable[int]) -> list[Case]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    by_id = {c.id: c for c in db.session.scalars(sa.select(Case).where(Case.id.in_(wanted)))}
    return [by_id[i] for i in wanted if i in by_id]


def find_cases(user: User, query: str, *, budget: int = SCAN_BUDGET, limit: int = RESULT_LIMIT) -> SearchResult:
    """The cases ``user`` may see that match ``query`` (see the module docstring), and for a counsellor the
    break-glass candidates."""
    visible = policies.visible_cases_query(user)
    visible_ids = visible.with_only_columns(Case.id)
    result = SearchResult(namesake_limit=NAMESAKE_LIMIT)
    number = _case_number(query)
    exact: list[int] = []
    partial: list[int] = []
    if number:
        exact += db.session.scalars(visible_ids.where(Case.number == number)).all()
    in_visible = sa.and_(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(visible_ids))
    matches, result.more_namesakes = _exact_matches(query, in_visible, limit)
    exact += matches
    if not number and not result.more_namesakes:
        total = db.session.scalar(visible.with_only_columns(sa.func.count()).order_by(None)) or 0
        decrypted = decrypt_applicants(visible_ids, phones=_phone_digits(query) is not None, limit=budget)
        result.scanned, result.truncated = len(decrypted), total > budget
        result.names = {case_id: name for case_id, (name, _) in decrypted.items()}
        partial = [i for i in _partial_matches(query, decrypted) if i not in exact]
    # Exact matches first (in the order found), then partial ones, most recently opened first.
    partial_cases = sorted(_load(partial), key=lambda c: (c.opened_at, c.id), reverse=True)
    result.cases = (_load(exact) + partial_cases)[:limit]
    if user.role == Role.COUNSELLOR:
        result.others = _break_glass_candidates(user, query, number, visible_ids, limit)
    return result


def _break_glass_candidates(user: User, query: str, number: str | None, visible_ids: sa.Select[Any],
                            limit: int) -> list[Case]:
    # SECURITY: cases of her own centre she is not on, by exact values only; the page shows only their number and
    # counsellor, and opening one goes through break-glass (reason, time limit, supervisor review).
    others = sa.select(Case).where(Case.centre_id == user.centre_id, Case.id.not_in(visible_ids),
                                   sa.or_(Case.close_reason.is_(None), Case.close_reason != "erased"))
    if number:
        return list(db.session.scalars(others.where(Case.number == number)))
    where = sa.and_(Person.kind == PersonKind.APPLICANT, Person.case_id.in_(others.with_only_columns(Case.id)))
    return _load(_exact_matches(query, where, limit)[0])


# --- the query kept server-side for Back and reload (cases.casefile.models.SavedSearch) -------------------------

SEARCH_TTL = timedelta(minutes=15)  # the idle timeout: a search outlives no session
_PLACE = ("saved_searches", "query")
crypto.legacy.register_place(SavedSearch, pk="id", uid="public_id", ct="query_ct", aad_table=_PLACE[0],
                             aad_column=_PLACE[1])


def save_search(user: User, query: str) -> uuid.UUID:
    """Store ``query`` (encrypted, bound to this session) and return the opaque id the results page is fetched by;
    expired searches of the user are purged on the way."""
    session_hash = current_token_hash()
    if session_hash is None:
        raise LookupError("no session")
    now = utcnow()
    db.session.execute(sa.delete(SavedSearch).where(SavedSearch.user_id == user.id,
                                                    SavedSearch.created_at < now - SEARCH_TTL))
    public_id = uuid.uuid4()
    sealed = crypto.get_context().encrypt(db.session(), ("user", user.public_id), *_PLACE, public_id, query)
    db.session.execute(sa.insert(SavedSearch).values(public_id=public_id, user_id=user.id,
                                                     session_hash=session_hash, query_ct=sealed, created_at=now))
    return public_id


def load_search(user: User, public_id: uuid.UUID) -> str | None:
    """The query saved as ``public_id`` by this user in this session within ``SEARCH_TTL``; None otherwise."""
    session_hash = current_token_hash()
    if session_hash is None:
        return None
    # SECURITY: another user's or another session's id, or an old one, is the same as no id at all.
    sealed = db.session.scalar(sa.select(SavedSearch.query_ct).where(
        SavedSearch.public_id == public_id, SavedSearch.user_id == user.id,
        SavedSearch.session_hash == session_hash, SavedSearch.created_at >= utcnow() - SEARCH_TTL))
    if sealed is None:
        return None
    value = crypto.get_context().decrypt(db.session(), *_PLACE, public_id, sealed)
    return value if isinstance(value, str) else None
