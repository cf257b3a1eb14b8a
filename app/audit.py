"""The audit log: append-only, hash-chained events of who did what to which object.

This module is the only place that writes audit rows (STYLE.md). Three kinds of events arrive here:

* access decisions, from the policy decorators in ``app/access.py`` (allowed and denied, before the view runs);
* change events, from one ``before_flush`` hook: object type, public id and the *names* of changed fields,
  never their values (DESIGN.md §3.5);
* semantic events (sign-in, MFA, exports, user administration), from services and views via ``record()``.

Chain: each event stores ``prev_hash`` and ``hash = HMAC-SHA256(key, prev_hash || canonical(event))``. The key is
not in the database, so someone who can edit rows cannot recompute the chain. Appenders serialise on the single
``audit_head`` row (``UPDATE`` takes the row lock on PostgreSQL and the write lock on SQLite) so concurrent writers
cannot fork the chain; ``seq`` is also unique. Database triggers refuse UPDATE and DELETE on ``audit_events``.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

import crypto.orm  # registers crypto's before_flush hook BEFORE ours below: see _record_changes
from app.db import Base, UTCDateTime, db, utcnow

GENESIS_HASH = "0" * 64

# Exceptional access that every view of the log highlights: break-glass reads and emergency consent overrides, and
# who was given (or had reset) an account that reads cases, by whom (DESIGN.md §3.9), and a user reading or searching
# cases at a pace no honest day reaches (app/throttle.py).
HIGHLIGHTED_ACTIONS = ("break-glass", "referral-override", "account-confirm", "credentials-reset", "enable-request",
                       "automation.")


def is_highlighted(action: str) -> bool:
    return any(flag in action for flag in HIGHLIGHTED_ACTIONS)


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)  # user public id
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    centre_code: Mapped[str | None] = mapped_column(sa.String(10))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(60))
    object_id: Mapped[str | None] = mapped_column(sa.String(36))
    case_number: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    outcome: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    details: Mapped[str | None] = mapped_column(sa.Text)  # canonical JSON; names, never values
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    key_version: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")

    @property
    def is_highlighted(self) -> bool:
        return is_highlighted(self.action)

    def canonical(self) -> bytes:
        fields = {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "actor_role": self.actor_role,
            "centre_code": self.centre_code,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "case_number": self.case_number,
            "ip": self.ip,
            "outcome": self.outcome,
            "reason": self.reason,
            "details": self.details,
        }
        if self.key_version != 1:  # events chained before versioned keys hash exactly as they did
            fields["key_version"] = self.key_version
        return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


class AuditHead(Base):
    """One row: the sequence number and hash of the newest event. Appenders lock it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditCheckpoint(Base):
    """Where expired events were cut from the log (``app/audit_expiry.py``), signed with the audit key.

    ``seq``/``hash``: the chain's head at the cut (the newest event at or before the cut). Events at or before ``seq``
    were deleted except those still held (a case that is not erased): ``kept_count`` of them, whose ``seq:hash``
    lines hash to ``kept_digest``. ``verify`` checks the signature, each kept event on its own and the digest, then
    walks the chain from ``hash`` on. The database lets an event be deleted only at or before a checkpoint's seq.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64))
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)  # events that occurred before this were due
    deleted: Mapped[int] = mapped_column(sa.Integer)
    kept_count: Mapped[int] = mapped_column(sa.Integer)
    kept_digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_version: Mapped[int] = mapped_column(sa.SmallInteger)
    signature: Mapped[str] = mapped_column(sa.String(64))

    def canonical(self) -> bytes:
        return checkpoint_canonical(seq=self.seq, hash=self.hash, cutoff=self.cutoff, deleted=self.deleted,
                                    kept_count=self.kept_count, kept_digest=self.kept_digest,
                                    created_at=self.created_at)


def checkpoint_canonical(*, seq: int, hash: str, cutoff: datetime, deleted: int, kept_count: int,
                         kept_digest: str, created_at: datetime) -> bytes:
    fields = {"seq": seq, "hash": hash, "cutoff": cutoff.isoformat(timespec="microseconds"), "deleted": deleted,
              "kept_count": kept_count, "kept_digest": kept_digest,
              "created_at": created_at.isoformat(timespec="microseconds")}
    return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


# Domain separation: a checkpoint's signature can never be mistaken for (or replayed as) an event's chain hash.
_CHECKPOINT_CONTEXT = b"dayanisma.audit-checkpoint.v1\n"


def checkpoint_signature(key: bytes, canonical: bytes) -> str:
    return hmac.new(key, _CHECKPOINT_CONTEXT + canonical, hashlib.sha256).hexdigest()


class KeptDigest:
    """sha256 over ``seq:hash`` lines of the events kept at or before a checkpoint, in seq order."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, seq: int, event_hash: str) -> None:
        self._hash.update(f"{seq}:{event_hash}\n".encode())
        self.count += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _chain_key() -> tuple[int, bytes]:
    """(version, key) that new events are chained with: the ring's active version."""
    ring = current_app.extensions.get("dayanisma.audit_keys")
    if ring is not None:
        return ring.active, ring.active_key
    key = current_app.extensions["dayanisma.audit_key"]
    assert isinstance(key, bytes) and len(key) >= 32
    return 1, key


def _key_for(keys: Any, version: int) -> bytes | None:
    if isinstance(keys, bytes):
        return keys  # one key for every event (callers that predate the ring)
    table = keys if isinstance(keys, dict) else keys.keys  # a {version: key} dict or an AuditKeyRing
    found = table.get(version)
    return found if isinstance(found, bytes) else None


def chain_hash(key: bytes, prev_hash: str, canonical: bytes) -> str:
    return hmac.new(key, prev_hash.encode() + b"\n" + canonical, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who acts, snapshotted so the log stays true after the account changes."""

    public_id: str | None
    email: str | None
    role: str | None
    centre_code: str | None

    @classmethod
    def of(cls, user: Any) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(None, None, None, None)
        return cls(str(user.public_id), user.email, str(user.role), user.centre.code)


SYSTEM = Actor(None, "system", "system", None)


def _current_actor() -> Actor:
    if has_request_context():
        from flask_login import current_user

        return Actor.of(current_user)
    return getattr(g, "audit_actor", SYSTEM) if _has_app_g() else SYSTEM


def _has_app_g() -> bool:
    from flask import has_app_context

    return has_app_context()


def record(
    action: str,
    *,
    outcome: Outcome | str = Outcome.SUCCESS,
    object_type: str | None = None,
    object_id: object | None = None,
    case_number: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | Any | None = None,
    session: Session | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Append an event in the current transaction (flushed, not committed: the caller commits)."""
    if session is None:
        session = db.session()
    if actor is None:
        who = _current_actor()
    elif isinstance(actor, Actor):
        who = actor
    else:
        who = Actor.of(actor)
    # SECURITY: take the chain head's lock first, so no other writer can read the same predecessor. RETURNING reads
    # the new seq and the predecessor's hash in the same statement: the lock is held for one round trip less.
    head = session.execute(_HEAD_NEXT).one_or_none()
    if head is None:
        raise RuntimeError("audit_head row missing; run `flask --app wsgi db upgrade`")
    seq, prev_hash = head
    event_row = AuditEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor_id=who.public_id,
        actor_email=who.email,
        actor_role=who.role,
        centre_code=who.centre_code,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        case_number=case_number,
        ip=request.remote_addr if has_request_context() else None,
        outcome=str(outcome),
        reason=reason[:500] if reason else None,
        details=json.dumps(details, sort_keys=True, ensure_ascii=False) if details else None,
        prev_hash=prev_hash,
        hash="",
    )
    event_row.key_version, key = _chain_key()
    event_row.hash = chain_hash(key, prev_hash, event_row.canonical())
    if flush:
        # Prebuilt statements, the values passed as parameters (issue 20): building an UPDATE and an INSERT with
        # seventeen literal values per event cost more CPU than running them. A plain table insert neither
        # autoflushes the caller's pending objects nor runs the change hook, as the ``flush([event_row])`` it
        # replaced did not; the row is the same (every column but the id).
        row = {"e_" + name: getattr(event_row, name) for name in _EVENT_COLUMNS}
        if session.get_bind().dialect.name == "postgresql":
            # One round trip: the head's new hash and the event in one statement (a data-modifying WITH). The head
            # row is already locked by this transaction's UPDATE above.
            session.execute(_HEAD_HASH_AND_INSERT, {**row, "head_hash": event_row.hash})
        else:
            session.execute(_HEAD_HASH, {"head_hash": event_row.hash})
            session.execute(_INSERT_EVENT, row)
    else:  # inside before_flush the event joins the flush that is under way
        session.execute(_HEAD_HASH, {"head_hash": event_row.hash})
        session.add(event_row)
    session.info[_PENDING] = session.info.get(_PENDING, 0) + 1
    session.info[_NEWEST] = (seq, event_row.hash)
    return event_row


_EVENTS = cast(sa.Table, AuditEvent.__table__)
_HEAD = cast(sa.Table, AuditHead.__table__)
_EVENT_COLUMNS = tuple(column.key for column in _EVENTS.columns if column.key != "id")
# Built once per process (issue 20); executed with parameters.
_HEAD_NEXT = (sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + 1)
              .returning(_HEAD.c.seq, _HEAD.c.hash))
_HEAD_HASH = sa.update(_HEAD).where(_HEAD.c.id == 1).values(hash=sa.bindparam("head_hash"))
# The event's values as bind parameters named apart from every column ("e_" + column): executed with a parameter
# named like a column, SQLAlchemy would also put that column into the WITH's UPDATE of the head.
_INSERT_EVENT = sa.insert(_EVENTS).values({name: sa.bindparam("e_" + name) for name in _EVENT_COLUMNS})
_HEAD_HASH_AND_INSERT = _INSERT_EVENT.add_cte(_HEAD_HASH.cte("head_update"))


# --- fail closed: no response leaves while an audit event of the request is uncommitted -----------------------------
# Every event ``record()`` appends is counted on its session until the transaction ends. A commit puts it on record; a
# rollback takes it away *together with the change it describes* (a refused change). What must never happen is a
# response going out while an event is still pending: the teardown would roll it back after the page (with case data)
# had left -- the 422 re-render that was never on record. The guard below refuses that response.

_PENDING = "dayanisma.audit_pending"
_NEWEST = "dayanisma.audit_newest"


@event.listens_for(Session, "after_commit")
def _events_committed(session: Session) -> None:
    session.info.pop(_PENDING, None)
    newest = session.info.pop(_NEWEST, None)
    if newest is not None and _has_app_g():
        # The transaction held the head's lock, so its newest event is the committed head: an anchor candidate.
        from app import audit_anchors

        writer = audit_anchors.writer()
        if writer is not None:
            writer.committed(Anchor(*newest))


@event.listens_for(Session, "after_rollback")
def _events_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEWEST, None)


def uncommitted_events(session: Session | None = None) -> int:
    """How many audit events this session appended since its transaction began (0 once committed or rolled back)."""
    return int((session or db.session()).info.get(_PENDING, 0))


def refuse_uncommitted(response: Response) -> Response:
    """``after_request``: a response may leave only once every audit event of the request is committed.

    Otherwise the page is replaced by the plain 500 page and the transaction rolled back; the log line names the
    endpoint and the count, never values."""
    pending = uncommitted_events()
    if not pending:
        return response
    db.session.rollback()
    current_app.logger.error("refused a response: %d audit event(s) of %s %s were not committed",
                             pending, request.method, request.endpoint)
    from flask import make_response, render_template

    return make_response(render_template("errors/500.html"), 500)


def init_app(app: Flask) -> None:
    """Register after the security headers' hook: Flask runs ``after_request`` hooks in reverse order, so the guard
    runs first and a refusal still gets every header."""
    app.after_request(refuse_uncommitted)
    from app import audit_anchors

    audit_anchors.init_app(app)


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None
    event_id: int | None
    problem: str


def verify_chain(session: Session, key: Any, batch: int = 5000) -> ChainBreak | None:
    """Walk the chain in seq order; return the first break, or None when it is intact.

    ``key``: the audit key ring (each event is checked with the version it names) or one key for every event.

    The head is read first and the walk stops at its seq: events appended while the walk runs are left for the
    next run (reading the head last reported a false "deleted at the end" whenever a writer committed meanwhile).
    Every event up to the head's seq was committed with (or before) that head, so it is visible to the walk.
    """
    head = session.execute(sa.select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    if head is None:
        return ChainBreak(None, None, "audit_head row missing")
    prev_hash = GENESIS_HASH
    expected_seq = 1
    last_id = 0
    checkpoint = latest_checkpoint(session, key)
    if isinstance(checkpoint, ChainBreak):
        return checkpoint
    if checkpoint is not None:
        # Expired events are gone up to the checkpoint: the events kept there (cases still held) must each be
        # genuine and be exactly those the checkpoint counted; the chain goes on from the checkpoint's hash.
        if checkpoint.seq > head.seq:
            return ChainBreak(checkpoint.seq, None, f"the checkpoint at seq {checkpoint.seq} is beyond the chain "
                                                    f"head (seq {head.seq}): events after it were deleted")
        kept = KeptDigest()
        for row in _iter_events(session, batch, up_to_seq=checkpoint.seq):
            row_key = _key_for(key, row.key_version)
            if row_key is None or not hmac.compare_digest(row.hash,
                                                          chain_hash(row_key, row.prev_hash, row.canonical())):
                return ChainBreak(row.seq, row.id, "hash mismatch in an event kept at the checkpoint (edited)")
            kept.add(row.seq, row.hash)
            last_id = max(last_id, row.id)
        if kept.count != checkpoint.kept_count or kept.hexdigest() != checkpoint.kept_digest:
            return ChainBreak(checkpoint.seq, None, f"the events kept at the checkpoint (seq {checkpoint.seq}) are "
                                                    f"not those it signed: {checkpoint.kept_count} signed, "
                                                    f"{kept.count} found (deleted or inserted)")
        prev_hash, expected_seq = checkpoint.hash, checkpoint.seq + 1
    for row in _iter_events(session, batch, up_to_seq=head.seq, after_seq=expected_seq - 1):
        if row.seq != expected_seq:
            return ChainBreak(row.seq, row.id, f"sequence gap: expected {expected_seq}, found {row.seq} "
                                              "(an event was deleted or reordered)")
        if row.id <= last_id:
            return ChainBreak(row.seq, row.id, "events out of insertion order (reordered)")
        if row.prev_hash != prev_hash:
            return ChainBreak(row.seq, row.id, "prev_hash does not match the previous event")
        row_key = _key_for(key, row.key_version)
        if row_key is None:
            return ChainBreak(row.seq, row.id, f"the event names audit key version {row.key_version}, which is not "
                                               "in the ring (restore it from the key backups)")
        if not hmac.compare_digest(row.hash, chain_hash(row_key, prev_hash, row.canonical())):
            return ChainBreak(row.seq, row.id, "hash mismatch (the event was edited)")
        prev_hash = row.hash
        expected_seq += 1
        last_id = row.id
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return ChainBreak(expected_seq, None, f"chain head says seq {head.seq} but the log ends at "
                                              f"{expected_seq - 1} (events at the end were deleted)")
    # Rows past the head were not appended through record() (a forged row, or a rolled-back head). Read the newest
    # seq *before* the head again: every genuine event commits with its head, so a genuine newcomer is covered.
    newest = session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    head_now = session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1))
    if newest is not None and head_now is not None and newest > head_now:
        extra = session.execute(
            sa.select(AuditEvent.seq, AuditEvent.id).where(AuditEvent.seq > head_now).order_by(AuditEvent.seq)
        ).first()
        if extra is not None:
            return ChainBreak(extra.seq, extra.id, f"event beyond the chain head (seq {head_now}): "
                                                   "inserted outside the log")
    return None


# --- anchors ----------------------------------------------------------------------------------------------------
# From inside the database the chain cannot tell a genuine short log from one whose newest events were deleted
# together with the head wound back to an earlier (genuine) state. An anchor closes that: "seq:hash" of the head,
# printed by `flask audit head` or shown on the verify page and kept OUTSIDE the database (paper, a ticket, another
# machine). Verifying with an anchor checks the log still holds that very event.


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse_anchor(text: str) -> Anchor:
    """``"SEQ:HASH"`` (HASH = 64 hex digits) → Anchor; ValueError with a readable message otherwise."""
    seq_text, sep, hash_text = text.strip().partition(":")
    hash_text = hash_text.strip().lower()
    seq_text = seq_text.strip()
    if not sep or not seq_text or any(c not in "0123456789" for c in seq_text) or len(hash_text) != 64 or \
            any(c not in "0123456789abcdef" for c in hash_text):
        raise ValueError("an anchor is the sequence number, a colon and the 64-character hash, e.g. 1234:9f86d0…")
    seq = int(seq_text)
    if not 1 <= seq < 2**63:
        raise ValueError("an anchor's sequence number is between 1 and 2^63 - 1")
    return Anchor(seq, hash_text)


def current_anchor(session: Session) -> Anchor | None:
    head = session.execute(sa.select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one_or_none()
    return None if head is None or not head.seq else Anchor(head.seq, head.hash)


def check_anchor(session: Session, anchor: Anchor) -> ChainBreak | None:
    """None if the log still holds event ``anchor.seq`` with exactly that hash (run verify_chain as well: it proves
    every later event chains onto it)."""
    row = session.execute(sa.select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.seq == anchor.seq)).first()
    cut = session.execute(sa.select(AuditCheckpoint.seq, AuditCheckpoint.hash)
                          .order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    if row is None and cut is not None and anchor.seq <= cut.seq:
        # Expired behind the checkpoint (verify_chain checks its signature): only the cut itself can still be compared.
        if anchor.seq == cut.seq and not hmac.compare_digest(cut.hash, anchor.hash):
            return ChainBreak(anchor.seq, None, f"the checkpoint at seq {anchor.seq} differs from the anchor")
        return None
    if row is None:
        return ChainBreak(anchor.seq, None, f"the log no longer holds anchored event seq {anchor.seq}: events at "
                                            "the end were deleted and the head wound back")
    if not hmac.compare_digest(row.hash, anchor.hash):
        return ChainBreak(anchor.seq, row.id, f"event seq {anchor.seq} differs from the anchor: the log was "
                                              "rewritten from there on")
    return None


def latest_checkpoint(session: Session, key: Any) -> AuditCheckpoint | ChainBreak | None:
    """The newest checkpoint, once every checkpoint's signature is checked; a ChainBreak for a forged or edited one."""
    latest = None
    for checkpoint in session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.seq)):
        checkpoint_key = _key_for(key, checkpoint.key_version)
        if checkpoint_key is None or not hmac.compare_digest(
                checkpoint.signature, checkpoint_signature(checkpoint_key, checkpoint.canonical())):
            return ChainBreak(checkpoint.seq, None, f"the checkpoint at seq {checkpoint.seq} is not signed by the "
                                                    "audit key (forged or edited)")
        latest = checkpoint
    return latest


def _iter_events(session: Session, batch: int, up_to_seq: int, after_seq: int = 0) -> Iterator[AuditEvent]:
    last_seq = after_seq
    while True:
        rows = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.seq > last_seq, AuditEvent.seq <= up_to_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq
        # Bounded memory, and only our own rows: the caller's objects (the signed-in user) stay attached.
        for row in rows:
            session.expunge(row)


# --- change events -------------------------------------------------------------------------------------------

_NOT_AUDITED_TABLES = {"audit_events", "audit_head", "audit_checkpoints", "user_sessions"}


@functools.cache
def _logical_names(cls: type) -> dict[str, str]:
    """Stored attribute → field name for encrypted fields (``full_name_ct`` → ``full_name``)."""
    return {descriptor.ct_attr: descriptor.name for descriptor in crypto.orm.encrypted_attributes(cls)}


def _object_ref(obj: Any) -> tuple[str, str | None, str | None]:
    table = getattr(obj, "__tablename__", type(obj).__name__)
    public_id = getattr(obj, "public_id", None) or getattr(obj, "id", None)
    case_number = getattr(obj, "audit_case_number", None)
    return table, str(public_id) if public_id is not None else None, case_number


@event.listens_for(Session, "before_flush")
def _record_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """One change event per created, updated or deleted object: field names only, never values.

    Actions are ``data.<table>.create|update|delete`` so they never collide with semantic events
    (``users.create`` is the administrator's act; ``data.users.create`` is the row it wrote).

    Runs after crypto's hook (registered first, at import): by then a change to an encrypted field has become a
    change to its ciphertext column, so an update touching only encrypted fields is still recorded."""
    if not _has_app_g():
        return
    if "dayanisma.audit_key" not in current_app.extensions:
        return
    changes: list[tuple[str, Any, list[str]]] = []
    recorded_deletes = session.info[_RECORDED_DELETES] = set()
    for obj in list(session.new):
        if getattr(obj, "__tablename__", None) not in _NOT_AUDITED_TABLES and isinstance(obj, Base):
            changes.append(("create", obj, []))
    for obj in list(session.dirty):
        if getattr(obj, "__tablename__", None) in _NOT_AUDITED_TABLES or not isinstance(obj, Base):
            continue
        state = sa.inspect(obj)
        names = _logical_names(type(obj))
        fields = sorted({names.get(attr.key, attr.key) for attr in state.attrs if attr.history.has_changes()})
        if fields and session.is_modified(obj):
            changes.append(("update", obj, fields))
    for obj in list(session.deleted):
        if getattr(obj, "__tablename__", None) not in _NOT_AUDITED_TABLES and isinstance(obj, Base):
            changes.append(("delete", obj, []))
            recorded_deletes.add(id(obj))
    for verb, obj, fields in changes:
        table, public_id, case_number = _object_ref(obj)
        record(
            f"data.{table}.{verb}",
            object_type=table,
            object_id=public_id,
            case_number=case_number,
            details={"fields": fields} if fields else None,
            session=session,
            flush=False,
        )


# Rows the flush itself deletes (the delete-orphan cascade: ``case.members.remove(member)``) are not in
# session.deleted when before_flush runs. The mapper's after_delete sees every deleted row; those not recorded above
# are recorded once the flush is done, and commit flushes again to write their events in the same transaction.
_RECORDED_DELETES = "dayanisma.audit_recorded_deletes"
_CASCADED_DELETES = "dayanisma.audit_cascaded_deletes"


@event.listens_for(Base, "after_delete", propagate=True)
def _collect_cascaded_delete(mapper: Any, connection: Any, target: Any) -> None:
    session = sa.orm.object_session(target)
    if session is None or target.__tablename__ in _NOT_AUDITED_TABLES:
        return
    if id(target) not in session.info.get(_RECORDED_DELETES, ()):
        session.info.setdefault(_CASCADED_DELETES, []).append(_object_ref(target))


@event.listens_for(Session, "after_flush_postexec")
def _record_cascaded_deletes(session: Session, flush_context: Any) -> None:
    session.info.pop(_RECORDED_DELETES, None)
    cascaded = session.info.pop(_CASCADED_DELETES, None)
    if not cascaded or not _has_app_g() or "dayanisma.audit_key" not in current_app.extensions:
        return
    for table, public_id, case_number in cascaded:
        record(f"data.{table}.delete", object_type=table, object_id=public_id, case_number=case_number,
               session=session, flush=False)
