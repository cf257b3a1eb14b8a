"""Expiring old audit events behind a signed checkpoint (KVKK: kept no longer than necessary; issue 17).

Audit events outlive the cases they mention, but not for ever: the retention schedule gives them a period
(``audit-events``). An expiry cuts the log at the newest event that occurred before the cut-off:

1. the events at or before the cut that must stay are those of a case still held (not erased: open, closed within
   its period, or held by a protective order) — ``keep`` selects their case numbers; a woman's art. 11 report still
   shows who opened her file;
2. a checkpoint row records the chain head at the cut (seq and hash), how many events are kept there and a digest of
   their ``seq:hash``, signed with the active audit key (HMAC, its own domain: never a chain hash);
3. the other events at or before the cut are deleted: the database's trigger allows a DELETE only at or before a
   checkpoint's seq (revision 0019a), and on PostgreSQL only the owner may delete at all, so this runs on
   ``DATABASE_OWNER_URL`` when it is set;
4. an ``audit.expire`` event (counts only) is chained after the head, in the same transaction.

``verify_chain`` then checks every checkpoint's signature, each kept event's own hash and the kept digest, and walks
the chain from the newest checkpoint's hash: a forged, edited or removed checkpoint, a kept event deleted or edited,
or a deletion after the cut all break verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app import audit
from app.audit import AuditCheckpoint, AuditEvent, KeptDigest
from app.db import db, utcnow


@dataclass(frozen=True)
class ExpiryResult:
    checkpoint_seq: int | None  # None: nothing was due
    deleted: int
    kept: int


def _engine() -> sa.Engine:
    """The owner's engine on PostgreSQL when configured (the app's role may not delete audit rows), else the app's."""
    owner_url = current_app.config.get("DATABASE_OWNER_URL")
    if owner_url and db.engine.dialect.name == "postgresql":
        return sa.create_engine(owner_url, poolclass=sa.pool.NullPool)
    return db.engine


def _removable(cut_seq: int, before: datetime, keep: sa.Select[Any] | None) -> sa.ColumnElement[bool]:
    condition = sa.and_(AuditEvent.seq <= cut_seq, AuditEvent.occurred_at < before)
    if keep is None:
        return condition
    return sa.and_(condition, sa.or_(AuditEvent.case_number.is_(None), AuditEvent.case_number.not_in(keep)))


def due(before: datetime, keep: sa.Select[Any] | None = None) -> tuple[int, int]:
    """(events that an expiry now would delete, events at or before the cut it would keep) — for a dry run."""
    session = db.session()
    cut = _cut_seq(session, before)
    if cut is None:
        return 0, 0
    removable = session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(_removable(cut, before, keep))) or 0
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.seq <= cut)) or 0
    return removable, total - removable


def _cut_seq(session: Session, before: datetime) -> int | None:
    """The newest seq such that every event up to it occurred before ``before`` (never past a younger event, even if
    clocks disagreed), or the previous checkpoint's when that is later; None when there is nothing to cut."""
    previous = session.scalar(sa.select(sa.func.max(AuditCheckpoint.seq))) or 0
    first_young = session.scalar(sa.select(sa.func.min(AuditEvent.seq)).where(AuditEvent.seq > previous,
                                                                               AuditEvent.occurred_at >= before))
    newest = (first_young - 1 if first_young is not None
              else session.scalar(sa.select(sa.func.max(AuditEvent.seq))) or 0)
    cut = max(newest, previous)
    return cut or None


def expire_events(*, before: datetime, keep: sa.Select[Any] | None, actor: Any) -> ExpiryResult:
    """Delete the events that occurred before ``before`` (except those ``keep`` holds) behind a signed checkpoint.

    Runs and commits its own transaction (on the owner's connection where configured); the caller's session should
    have no transaction open (SQLite allows one writer)."""
    engine = _engine()
    try:
        with Session(bind=engine) as session, session.begin():
            cut = _cut_seq(session, before)
            if cut is None:
                return ExpiryResult(None, 0, 0)
            removable = session.scalar(
                sa.select(sa.func.count()).select_from(AuditEvent).where(_removable(cut, before, keep))) or 0
            if not removable:
                return ExpiryResult(None, 0, 0)
            previous = session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc())
                                       .limit(1)).first()
            # The event at the cut may have gone with the previous expiry; otherwise it is the newest due event.
            cut_hash = (previous.hash if previous is not None and previous.seq == cut
                        else session.scalar(sa.select(AuditEvent.hash).where(AuditEvent.seq == cut)))
            assert cut_hash is not None  # the newest due event exists: nothing after a checkpoint is deleted
            kept = KeptDigest()
            kept_rows = session.execute(
                sa.select(AuditEvent.seq, AuditEvent.hash)
                .where(AuditEvent.seq <= cut, sa.not_(_removable(cut, before, keep))).order_by(AuditEvent.seq))
            for seq, event_hash in kept_rows:
                kept.add(seq, event_hash)
            ring = current_app.extensions["dayanisma.audit_keys"]
            created_at = utcnow()
            canonical = audit.checkpoint_canonical(seq=cut, hash=cut_hash, cutoff=before, deleted=removable,
                                                   kept_count=kept.count, kept_digest=kept.hexdigest(),
                                                   created_at=created_at)
            fields: dict[str, Any] = {"seq": cut, "hash": cut_hash, "cutoff": before, "deleted": removable,
                                      "kept_count": kept.count, "kept_digest": kept.hexdigest(),
                                      "created_at": created_at}
            signature = audit.checkpoint_signature(ring.active_key, canonical)
            if previous is not None and previous.seq == cut:
                # Only events kept last time (cases erased since) go: the cut does not move, a new row cannot take
                # the same seq, so the checkpoint is replaced in place, signed again.
                session.execute(sa.update(AuditCheckpoint).where(AuditCheckpoint.id == previous.id)
                                .values(**fields, key_version=ring.active, signature=signature))
            else:
                session.execute(sa.insert(AuditCheckpoint).values(**fields, key_version=ring.active,
                                                                  signature=signature))
            result = session.execute(sa.delete(AuditEvent).where(_removable(cut, before, keep)),
                                     execution_options={"synchronize_session": False})
            deleted = int(getattr(result, "rowcount", 0) or 0)
            if deleted != removable:
                raise RuntimeError("the audit events to expire changed while they were cut; nothing was deleted")
            audit.record("audit.expire", actor=actor, object_type="audit_checkpoints", object_id=cut,
                         details={"deleted": deleted, "kept": kept.count, "checkpoint_seq": cut,
                                  "cutoff": before.date().isoformat()},
                         session=session)
            return ExpiryResult(cut, deleted, kept.count)
    finally:
        if engine is not db.engine:
            engine.dispose()
