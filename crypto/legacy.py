"""The retired field format v1, kept in this one module for ``flask keys upgrade-format`` only.

No read path accepts v1 any more: ``envelope.parse_header`` raises ``RetiredFormat`` for it, so a v1 value left in
the database is never shown (the app answers 503) until this upgrade has rewritten it. Layout of a v1 value (the
same 30-byte header as v2, version byte 0x01)::

    associated data = header (30 bytes) || pack("dayanisma/field/v1", table, column) || row uid (16 bytes)
    plaintext       = one type tag byte (s, i, d, j) || the value's canonical bytes

:func:`upgrade_format` finds every v1 value (first byte 0x01) in the places it is given, opens it with the data key
its header names, checks the type tag against the column's kind, and writes it back as v2 under the same data key,
row and column, in committed batches; a value the app changed meanwhile is left alone (compare-and-set on the old
bytes), so it runs online and can be stopped and run again at any time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from crypto import envelope
from crypto.context import CryptoContext
from crypto.errors import DecryptionError, KeyDestroyed, UnknownKey

FORMAT_V1: Final = envelope.FORMAT_V1
FIELD_DOMAIN_V1: Final = b"dayanisma/field/v1"
TAGS: Final = {"str": b"s", "int": b"i", "date": b"d", "json": b"j"}
_V1_BYTE: Final = bytes((FORMAT_V1,))


def aad_prefix_v1(table: str, column: str) -> bytes:
    """The per-(table, column) part of a v1 value's associated data."""
    return envelope.pack(FIELD_DOMAIN_V1, table, column)


def encode_tagged(kind: str, value: Any) -> bytes:
    """A v1 plaintext: type tag + canonical bytes (TypeError for a value of the wrong kind)."""
    return TAGS[kind] + envelope.encode_plain(kind, value)


def encrypt_field_v1(aead: AESGCM, dek_id: bytes, table: str, column: str, row_uid: bytes, tagged: bytes,
                     rng: Callable[[int], bytes] = os.urandom) -> bytes:
    """A v1 value, as written before format v2 (the known-answer tests and the upgrade tests build them)."""
    nonce = rng(envelope.NONCE_LEN)
    header = bytes((FORMAT_V1, envelope.ALG_AES256GCM)) + dek_id + nonce
    return header + aead.encrypt(nonce, tagged, header + aad_prefix_v1(table, column) + row_uid)


def is_v1(blob: object) -> bool:
    return isinstance(blob, bytes | bytearray | memoryview) and bytes(blob[:1]) == _V1_BYTE


def decrypt_field_v1(aead: AESGCM, table: str, column: str, kind: str, row_uid: bytes, blob: bytes) -> bytes:
    """The canonical plaintext bytes (no tag) of a v1 value of (table, column, kind, row); DecryptionError if it was
    tampered with, moved, or written as another kind."""
    if len(blob) < envelope.HEADER_LEN + envelope.TAG_LEN or blob[0] != FORMAT_V1 \
            or blob[1] != envelope.ALG_AES256GCM:
        raise DecryptionError("not a v1 AES-GCM value")
    try:
        tagged = aead.decrypt(blob[18:30], blob[30:], blob[:30] + aad_prefix_v1(table, column) + row_uid)
    except (InvalidTag, ValueError):
        raise DecryptionError("v1 value failed authentication (tampered, moved, or wrong key)") from None
    if tagged[:1] != TAGS[kind]:
        # SECURITY: a type-tag mismatch means the bytes were produced for another field kind.
        raise DecryptionError(f"plaintext type tag does not match the field kind {kind!r}")
    return tagged[1:]


# --- the upgrade -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """One encrypted column: where its ciphertexts are stored and the (table, column, kind) bound into them."""

    table: sa.Table
    pk: str             # a single-column primary key (batches walk it)
    uid: str            # the row uid column bound into the associated data
    ct: str             # the ciphertext column
    aad_table: str
    aad_column: str
    kind: str = "str"

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.ct}"


_REGISTERED: list[Place] = []


def register_place(table: Any, *, pk: str, uid: str, ct: str, aad_table: str, aad_column: str,
                   kind: str = "str") -> None:
    """Declare a column written with ``ctx.encrypt`` (not an ``Encrypted`` attribute), so that
    :func:`all_places` and ``keys upgrade-format`` cover it. ``table``: the sa.Table or mapped class."""
    place = Place(sa.inspect(table).local_table if not isinstance(table, sa.Table) else table, pk, uid, ct,
                  aad_table, aad_column, kind)
    if place not in _REGISTERED:
        _REGISTERED.append(place)


def all_places(models: Iterable[type]) -> list[Place]:
    """Every ``Encrypted`` attribute's place of these models, then every registered one."""
    return orm_places(models) + [p for p in _REGISTERED if p not in orm_places(models)]


def orm_places(models: Iterable[type]) -> list[Place]:
    """The places of every ``Encrypted`` attribute of these mapped classes."""
    from crypto.orm import encrypted_attributes

    places: list[Place] = []
    for cls in models:
        mapper: Any = sa.inspect(cls)
        if len(mapper.primary_key) != 1:
            continue
        for d in encrypted_attributes(cls):
            table_name, column, _ = d.place(cls)
            col = mapper.columns[d.ct_attr]
            uid_col = mapper.columns[d.row_uid]
            place = Place(col.table, mapper.primary_key[0].name, uid_col.name, col.name, table_name, column, d.kind)
            if place not in places:
                places.append(place)
    return places


@dataclass
class UpgradeResult:
    found: int = 0              # v1 values seen
    upgraded: int = 0           # rewritten as v2 (or, with dry_run, readable and would be)
    destroyed: int = 0          # under a shredded data key: unreadable for ever, left as they are
    unreadable: int = 0         # missing key or failed authentication: left as they are, to investigate
    changed: int = 0            # rewritten by the app while the upgrade ran (already v2)
    per_place: dict[str, int] = field(default_factory=dict)


def count_v1(session: Session, places: Iterable[Place]) -> int:
    """How many values in these places are still in format v1."""
    total = 0
    for place in places:
        ct = place.table.c[place.ct]
        total += session.execute(sa.select(sa.func.count()).select_from(place.table)
                                 .where(_first_byte_is_v1(ct))).scalar_one()
    return total


def _first_byte_is_v1(ct: Any) -> Any:
    return sa.func.substr(ct, 1, 1) == sa.literal(_V1_BYTE, sa.LargeBinary)


def upgrade_format(session: Session, ctx: CryptoContext, places: Iterable[Place], *, batch_size: int = 500,
                   dry_run: bool = False, progress: Callable[[int], None] | None = None) -> UpgradeResult:
    """Rewrite every v1 value in ``places`` as v2 under the same data key; one commit per batch (none with
    ``dry_run``, which only opens each value to count what would be upgraded). Values are never returned, logged
    or kept beyond the rewrite of their own row."""
    result = UpgradeResult()
    for place in places:
        pk, uid_col, ct = place.table.c[place.pk], place.table.c[place.uid], place.table.c[place.ct]
        prefix = envelope.aad_prefix(place.aad_table, place.aad_column, place.kind)
        last: Any = None
        done = 0
        while True:
            stmt = sa.select(pk, uid_col, ct).where(_first_byte_is_v1(ct)).order_by(pk).limit(batch_size)
            if last is not None:
                stmt = stmt.where(pk > last)
            rows = session.execute(stmt).all()
            if not rows:
                break
            for key, uid, blob in rows:
                last = key
                result.found += 1
                new = _upgrade_one(session, ctx, place, prefix, uid, bytes(blob), result)
                if new is None:
                    continue
                if dry_run:
                    result.upgraded += 1
                    continue
                # Compare-and-set: a value the app rewrote meanwhile (already v2) is left as it is.
                updated = session.execute(sa.update(place.table).where(pk == key, ct == blob).values({ct: new}))
                if updated.rowcount == 1:     # type: ignore[attr-defined]
                    result.upgraded += 1
                    done += 1
                else:
                    result.changed += 1
            if dry_run:
                session.rollback()
            else:
                session.commit()
            if progress is not None:
                progress(len(rows))
        if done:
            result.per_place[place.name] = done
    return result


def _upgrade_one(session: Session, ctx: CryptoContext, place: Place, prefix: bytes, uid: Any, blob: bytes,
                 result: UpgradeResult) -> bytes | None:
    if not isinstance(uid, uuid.UUID):
        result.unreadable += 1
        return None
    try:
        handle = ctx.dek_by_id(session, blob[2:18])
        plain = decrypt_field_v1(handle.aead, place.aad_table, place.aad_column, place.kind, uid.bytes, blob)
        envelope.decode_plain(place.kind, plain)        # the canonical bytes of its kind, or DecryptionError
    except KeyDestroyed:
        result.destroyed += 1
        return None
    except (DecryptionError, UnknownKey):
        result.unreadable += 1
        return None
    return envelope.encrypt_field(handle.aead, blob[2:18], prefix, uid.bytes, plain, os.urandom)
