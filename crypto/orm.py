"""ORM integration: the :class:`Encrypted` attribute, the ``before_flush`` hook that encrypts, and :func:`search`.

A model declares one ordinary column per sensitive attribute (``<name>_ct`` LargeBinary) and one :class:`Encrypted`
descriptor named ``<name>``. Reading the descriptor decrypts (cached per instance while the stored ciphertext is
unchanged); writing it stores the plaintext as pending and marks the row dirty; the session's ``before_flush`` hook
encrypts pending values with the row's key owner's data key and the row uid in the associated data, and writes the
blind-index entry in ``crypto_blind_indexes`` (never on the row: ``crypto.blind``). A TypeDecorator alone cannot do
this: it never sees the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session, attributes, object_session

from crypto import blind, envelope
from crypto.context import CryptoContext, Owner, get_context, set_miss_hook
from crypto.errors import CryptoError, DecryptionError, KeyDestroyed
from crypto.normalise import NORMALISERS

T = TypeVar("T")

_PENDING = "_crypto_pending"
_PLAIN = "_crypto_plain"

DEFAULT_BITS = {"tckn": 12, "ykn": 12, "document": 12, "phone": 12, "name": 10}

#: Every (model class, attribute name) with an Encrypted attribute, in definition order (see encrypted_models()).
REGISTRY: list[tuple[type, str]] = []


@dataclass(frozen=True)
class BlindIndex:
    """How a field is indexed: a normaliser (same on write and query) and the number of bits kept."""

    normalise: Callable[[str], str]
    bits: int

    @classmethod
    def of(cls, spec: str | BlindIndex, bits: int | None = None) -> BlindIndex:
        if isinstance(spec, BlindIndex):
            return spec if bits is None else BlindIndex(spec.normalise, bits)
        return cls(NORMALISERS[spec], bits if bits is not None else DEFAULT_BITS[spec])


class Encrypted(Generic[T]):
    """A sensitive attribute: plaintext in Python, AES-256-GCM ciphertext bound to (table, column, row uid) in SQL.

    ``kind``: "str", "int", "date" or "json". ``index``: a normaliser name ("tckn", "ykn", "document", "phone",
    "name") or a :class:`BlindIndex`; ``bits`` overrides the default truncation. ``row_uid``: the attribute holding
    the row's UUID (set at construction). The model says whose data key to use with ``__key_owner__``: a string
    owner type (the row is its own owner: ``(type, row uid)``) or a method returning ``(owner_type, owner_uuid)``.
    """

    def __init__(self, kind: str = "str", *, index: str | BlindIndex | None = None, bits: int | None = None,
                 column: str | None = None, row_uid: str = "public_id") -> None:
        if kind not in envelope.KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {sorted(envelope.KINDS)}")
        if index is not None and kind != "str":
            raise ValueError("blind indexes are for str attributes")
        self.kind = kind
        self.index = BlindIndex.of(index, bits) if index is not None else None
        self._column = column
        self.row_uid = row_uid
        self.name = ""
        self._places: dict[type, tuple[str, str, bytes]] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.ct_attr = self._column or f"{name}_ct"
        REGISTRY.append((owner, name))

    # --- where the value lives -----------------------------------------------------------------------------------

    def place(self, cls: type) -> tuple[str, str, bytes]:
        """(table name, column name, AAD prefix) of the ciphertext column for a mapped class; cached."""
        place = self._places.get(cls)
        if place is None:
            col: sa.Column[Any] = sa.inspect(cls).columns[self.ct_attr]
            place = (col.table.name, col.name, envelope.aad_prefix(col.table.name, col.name, self.kind))
            self._places[cls] = place
        return place

    def _uid(self, obj: Any) -> uuid.UUID:
        uid = getattr(obj, self.row_uid, None)
        if not isinstance(uid, uuid.UUID):
            # SECURITY: no row uid, no row binding; refuse rather than encrypt unbound.
            raise CryptoError(f"{type(obj).__name__}.{self.row_uid} must be a UUID set at construction")
        return uid

    # --- descriptor protocol -------------------------------------------------------------------------------------

    @overload
    def __get__(self, obj: None, cls: type) -> EncryptedAttribute[T]: ...

    @overload
    def __get__(self, obj: object, cls: type) -> T | None: ...

    def __get__(self, obj: object | None, cls: type) -> EncryptedAttribute[T] | T | None:
        if obj is None:
            return EncryptedAttribute(self, cls)
        pending = obj.__dict__.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name][0]
        blob = getattr(obj, self.ct_attr)
        if blob is None:
            return None
        cache = obj.__dict__.setdefault(_PLAIN, {})
        hit = cache.get(self.name)
        if hit is not None and hit[0] is blob:
            return hit[1]
        ctx = get_context()
        session = object_session(obj)
        value = self.decrypt_blob(ctx, session, type(obj), self._uid(obj), blob)
        # SECURITY: the data key must be the row's owner's: a row moved to another case with its uid and
        # ciphertexts (AAD intact) would otherwise show one woman's data in another woman's file.
        check_owner(ctx, session, obj, blob, self.row_uid)
        cache[self.name] = (blob, value)
        return value

    def decrypt_blob(self, ctx: CryptoContext, session: Session | None, cls: type, uid: uuid.UUID,
                     blob: bytes) -> Any:
        return ctx.decrypt_bound(session, self.place(cls)[2], uid.bytes, blob, self.kind)

    def __set__(self, obj: object, value: T | None) -> None:
        normalised = None
        if value is not None:
            envelope.encode_plain(self.kind, value)  # type check now, not at flush
            if self.index is not None:
                # Invalid identifiers (InvalidTCKN, InvalidPhone) are refused at assignment, where forms can report.
                normalised = self.index.normalise(value)  # type: ignore[arg-type]
        obj.__dict__.setdefault(_PENDING, {})[self.name] = (value, normalised)
        if object_session(obj) is not None:
            attributes.flag_dirty(obj)

    # --- flush ---------------------------------------------------------------------------------------------------

    def flush_pending(self, ctx: CryptoContext, session: Session, obj: Any, value: Any, normalised: str | None,
                      owner: Owner | None, *, is_new: bool = False) -> None:
        cls = type(obj)
        table, column, prefix = self.place(cls)
        if value is None:
            setattr(obj, self.ct_attr, None)
            blob = None
        else:
            if owner is None:
                raise CryptoError("a value cannot be encrypted without its key owner")
            blob = ctx.encrypt_bound(session, owner, prefix, self._uid(obj).bytes, value, self.kind)
            setattr(obj, self.ct_attr, blob)
            obj.__dict__.setdefault(_PLAIN, {})[self.name] = (blob, value)
        if self.index is not None and (normalised or not is_new):
            # SECURITY: the index lives apart from the row, unlinkable to its other values (crypto.blind).
            blind.write(session, ctx, cls, self, self._uid(obj), normalised or None, is_new=is_new)


class EncryptedAttribute(Generic[T]):
    """``Model.attr`` at class level: builds SQL for candidate rows (``Model.attr.matches(value)``)."""

    def __init__(self, descriptor: Encrypted[T], cls: type) -> None:
        self.descriptor = descriptor
        self.model = cls

    def candidate_uids(self, session: Session, value: str, ctx: CryptoContext | None = None) -> list[uuid.UUID]:
        """Row uids in the blind-index bucket of ``value`` (false positives included)."""
        d = self.descriptor
        if d.index is None:
            raise CryptoError(f"{self.model.__name__}.{d.name} has no blind index")
        normalised = d.index.normalise(value)
        if not normalised:
            return []
        return blind.candidates(session, ctx or get_context(), self.model, d, normalised)

    def matches(self, session: Session, value: str, ctx: CryptoContext | None = None) -> sa.ColumnElement[bool]:
        """Candidate rows (same blind-index bucket in the active generation). Candidates include false positives."""
        uids = self.candidate_uids(session, value, ctx)
        if not uids:
            return sa.false()
        return getattr(self.model, self.descriptor.row_uid).in_(uids)  # type: ignore[no-any-return]


def check_owner(ctx: CryptoContext, session: Session | None, obj: Any, blob: bytes, row_uid: str) -> None:
    """DecryptionError unless ``blob``'s data key belongs to ``obj``'s key owner (the key is already unwrapped)."""
    handle = ctx.dek_by_id(session, bytes(blob[2:18]))
    owner = key_owner(obj, row_uid)
    if handle.owner[0] != owner[0] or handle.owner[1] != owner[1]:
        raise DecryptionError("ciphertext is under another owner's data key (row moved to another case?)")


def key_owner(obj: Any, row_uid: str = "public_id") -> Owner:
    spec = getattr(type(obj), "__key_owner__", None)
    if spec is None:
        raise CryptoError(f"{type(obj).__name__} has encrypted attributes but no __key_owner__")
    if isinstance(spec, str):
        owner: Any = (spec, getattr(obj, row_uid, None))
    elif isinstance(spec, tuple):
        owner = spec
    else:
        owner = obj.__key_owner__()
    if (not isinstance(owner, tuple) or len(owner) != 2 or not isinstance(owner[0], str)
            or not isinstance(owner[1], uuid.UUID)):
        raise CryptoError(f"{type(obj).__name__}.__key_owner__ must give (owner_type: str, owner_id: uuid.UUID)")
    return owner


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    ctx: CryptoContext | None = None
    new = session.new
    for obj in (*new, *session.dirty):
        pending = obj.__dict__.get(_PENDING)
        if not pending:
            continue
        ctx = ctx or get_context()
        cls = type(obj)
        owner = None
        is_new = obj in new
        for name, (value, normalised) in list(pending.items()):
            descriptor: Encrypted[Any] = cls.__dict__.get(name) or getattr(cls, name).descriptor
            if value is not None and owner is None:
                owner = key_owner(obj, descriptor.row_uid)
            # SECURITY: plaintext only ever leaves Python as ciphertext written here.
            descriptor.flush_pending(ctx, session, obj, value, normalised, owner, is_new=is_new)
            del pending[name]
    deleted: dict[str, list[uuid.UUID]] = {}
    for obj in session.deleted:
        for descriptor in _indexed_attributes(type(obj)):
            uid = getattr(obj, descriptor.row_uid, None)
            if isinstance(uid, uuid.UUID):
                deleted.setdefault(blind.scope_of(type(obj), descriptor), []).append(uid)
    for scope, uids in deleted.items():
        # SECURITY: a deleted row's index entries go with it (they would otherwise outlive the person).
        blind.remove(session, ctx or get_context(), scope, uids)


def install_session_hooks(target: Any = Session) -> None:
    """Register the encrypting ``before_flush`` hook (done at import for every Session; idempotent)."""
    if not sa.event.contains(target, "before_flush", _before_flush):
        sa.event.listen(target, "before_flush", _before_flush)


install_session_hooks()


_ATTEMPTED = "crypto.preload_attempted"
_SCAN_LIMIT = 5000
_CT_ATTRS: dict[type, tuple[str, ...]] = {}


def _ct_attrs(cls: type) -> tuple[str, ...]:
    attrs = _CT_ATTRS.get(cls)
    if attrs is None:
        attrs = _CT_ATTRS[cls] = tuple(d.ct_attr for d in encrypted_attributes(cls))
    return attrs


def _preload_session_keys(ctx: CryptoContext, session: Session) -> bool:
    """On a data-key cache miss: unwrap, in one query, the keys of every row loaded in this session.

    A page of 50 cases (or many search candidates) is loaded first and decrypted afterwards, one row at a time;
    without this each row of another case would cost its own key query. A key that cannot be preloaded (missing,
    destroyed) is not tried again in this session: it then costs only its own query, as before. Caching a key the
    code has not asked for yet reveals nothing: the rows are already in this process, and the key leaves the cache
    after the usual TTL.
    """
    attempted: set[bytes] = session.info.setdefault(_ATTEMPTED, set())
    cached, now = ctx._by_id, ctx.clock()
    wanted: list[bytes] = []
    for n, obj in enumerate(session.identity_map.values()):
        if n >= _SCAN_LIMIT:
            break
        attrs = _ct_attrs(type(obj))
        if attrs:
            state = obj.__dict__
            for attr in attrs:   # every value of one row is under the same key: the first present one is enough
                blob = state.get(attr)
                if type(blob) is bytes:
                    start = blob[:18]
                    if start not in attempted:
                        handle = cached.get(start)
                        if handle is None or handle.expires <= now:
                            wanted.append(start)
                    break
    if not wanted or not ctx.preload(session, wanted):
        attempted.update(wanted)
        return False
    attempted.update(start for start in wanted if start not in cached)   # missing, destroyed or not unwrappable
    return True


set_miss_hook(_preload_session_keys)


def search(session: Session, attribute: EncryptedAttribute[Any], value: str, *,
           where: sa.ColumnElement[bool] | None = None, limit: int | None = None) -> list[Any]:
    """Rows whose decrypted ``attribute`` normalises to the same value as ``value``; false positives removed.

    Rows whose data key was destroyed are never returned (their blind indexes are NULL anyway). Candidates are
    examined newest row first (highest primary key), so with ``limit`` the result is the ``limit`` most recently
    created matches, the same on every call (not the index's storage order).

    Cost (DESIGN.md §7 P2): candidates are read as (primary key, row uid, ciphertext) only and full ORM objects
    are loaded for verified matches only — a truncated index returns many candidates (N / 2^bits), most of them
    false positives. Data keys are unwrapped in bulk, one query per batch of candidates: without ``limit`` one
    batch (all of them); with ``limit`` just enough candidates for the matches still wanted (plus a margin for
    collisions), so a name shared by hundreds of people costs about ``limit`` keys and decryptions, not hundreds.
    """
    d = attribute.descriptor
    if d.index is None:
        raise CryptoError(f"{attribute.model.__name__}.{d.name} has no blind index to search")
    if limit is not None and limit < 1:
        return []
    wanted = d.index.normalise(value)
    model = attribute.model
    pk: Any = sa.inspect(model).primary_key
    if len(pk) != 1:
        return _search_objects(session, attribute, wanted, value, where, limit)
    ctx = get_context()
    uids = blind.candidates(session, ctx, model, d, wanted) if wanted else []
    if not uids:
        return []
    _, uid_col, ct_col = search_columns(model, d)
    candidates: list[Any] = []
    for i in range(0, len(uids), 500):
        stmt = sa.select(pk[0], uid_col, ct_col).where(uid_col.in_(uids[i:i + 500]))
        if where is not None:
            stmt = stmt.where(where)
        candidates += session.execute(stmt).all()
    candidates.sort(key=_newest_first, reverse=True)
    normalise, prefix = d.index.normalise, d.place(model)[2]
    matched: dict[Any, Any] = {}
    # Candidates are mostly groups of namesakes (all persons whose name shares the index value): normalise each
    # distinct plaintext once. The memo lives for this call only.
    verdicts: dict[str, bool] = {}
    done = 0
    while done < len(candidates) and (limit is None or len(matched) < limit):
        # SECURITY/cost: with a limit, only the keys of the candidates about to be examined are unwrapped.
        batch = candidates[done:] if limit is None else candidates[done:done + limit - len(matched) + _MARGIN]
        done += len(batch)
        ctx.preload(session, [blob for _, _, blob in batch])
        for key, uid, blob in batch:
            if blob is None or not isinstance(uid, uuid.UUID):
                continue
            try:
                plain = ctx.decrypt_bound(session, prefix, uid.bytes, blob, d.kind)
            except KeyDestroyed:
                continue
            if plain is None:
                continue
            verdict = verdicts.get(plain)
            if verdict is None:
                verdict = verdicts[plain] = normalise(plain) == wanted
            # SECURITY: only verified matches leave; index collisions are filtered out here.
            if verdict:
                matched[key] = (blob, plain)
                if limit is not None and len(matched) >= limit:
                    break
    if not matched:
        return []
    loaded: Any = session.scalars(sa.select(model).where(pk[0].in_(list(matched))))
    objects: dict[Any, Any] = {sa.inspect(obj).identity[0]: obj for obj in loaded}
    found = []
    for key, (checked, plain) in matched.items():
        obj = objects.get(key)
        if obj is None:
            continue
        blob = obj.__dict__.get(d.ct_attr)
        try:
            check_owner(ctx, session, obj, checked, d.row_uid)
        except DecryptionError:
            continue    # SECURITY: a row moved under another owner is not a match (and its values do not open)
        if blob is not None and blob == checked and _PENDING not in obj.__dict__:
            # The very ciphertext just verified: reading the attribute needs no second decryption.
            obj.__dict__.setdefault(_PLAIN, {})[d.name] = (blob, plain)
        found.append(obj)
    return found


#: With a limit, candidates examined beyond the matches still wanted, per key batch: most buckets hold a few
#: collisions (DESIGN.md §7: ≈ 5 persons per bucket after `keys reindex`), so one batch is usually enough.
_MARGIN = 8


def _newest_first(row: Any) -> Any:
    key = row[0]
    return (0, key) if isinstance(key, int) else (1, str(key))


def _search_objects(session: Session, attribute: EncryptedAttribute[Any], wanted: str, value: str,
                    where: sa.ColumnElement[bool] | None, limit: int | None) -> list[Any]:
    d = attribute.descriptor
    assert d.index is not None
    stmt: Any = sa.select(attribute.model).where(attribute.matches(session, value))
    if where is not None:
        stmt = stmt.where(where)
    found = []
    for row in session.scalars(stmt):
        try:
            plain = getattr(row, d.name)
        except KeyDestroyed:
            continue
        # SECURITY: only verified matches leave; index collisions are filtered out here.
        if plain is not None and d.index.normalise(plain) == wanted:
            found.append(row)
            if limit is not None and len(found) >= limit:
                break
    return found


def encrypted_models(base: type | None = None) -> list[type]:
    """Mapped classes with Encrypted attributes (optionally only subclasses of ``base``), e.g. for shredding."""
    seen: list[type] = []
    for cls, _ in REGISTRY:
        if cls not in seen and (base is None or issubclass(cls, base)):
            seen.append(cls)
    return seen


def stored_table_names(session: Session) -> set[str]:
    """Names of the tables this session's database holds. Other mapped classes may be imported in the process
    (tests, tools: the crypto tests' own models), so commands that walk every encrypted model (``keys reindex``,
    ``keys upgrade-format``) keep only those whose table is here."""
    return set(sa.inspect(session.connection()).get_table_names())


def stored_models(session: Session, models: Iterable[type]) -> list[type]:
    """The mapped classes among ``models`` whose table this session's database holds."""
    stored = stored_table_names(session)
    return [cls for cls in models if sa.inspect(cls).local_table.name in stored]


def encrypted_attributes(cls: type) -> list[Encrypted[Any]]:
    return [d for c, n in REGISTRY if issubclass(cls, c) and isinstance(d := c.__dict__[n], Encrypted)]


_INDEXED: dict[type, tuple[Encrypted[Any], ...]] = {}


def _indexed_attributes(cls: type) -> tuple[Encrypted[Any], ...]:
    found = _INDEXED.get(cls)
    if found is None:
        found = _INDEXED[cls] = tuple(d for d in encrypted_attributes(cls) if d.index is not None)
    return found


def search_columns(model: type, d: Encrypted[Any]) -> tuple[Any, Any, Any]:
    """(primary key column, row uid column, ciphertext column) of an indexed attribute's model."""
    pk: Any = sa.inspect(model).primary_key
    if len(pk) != 1:
        raise CryptoError(f"{model.__name__} needs a single-column primary key for blind-index maintenance")
    return pk[0], getattr(model, d.row_uid), getattr(model, d.ct_attr)


def reindex(session: Session, model: type, name: str, *, bits: int | None = None, key_epoch: int | None = None,
            batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> blind.ReindexResult:
    """Rebuild ``model.name``'s blind index as a new generation, online (``crypto.blind.reindex``)."""
    descriptor = model.__dict__.get(name)
    if not isinstance(descriptor, Encrypted) or descriptor.index is None:
        raise CryptoError(f"{model.__name__}.{name} has no blind index")
    return blind.reindex(session, get_context(), model, descriptor, bits=bits, key_epoch=key_epoch,
                         batch_size=batch_size, progress=progress)


def index_buckets(session: Session, model: type, name: str, uid: uuid.UUID) -> list[int]:
    """The stored bucket(s) of one row's ``name`` index (one per live generation; [] if none). Needs the index
    keys (the entry is found by its keyed tag): for tests and checks, not for search."""
    descriptor = model.__dict__.get(name)
    if not isinstance(descriptor, Encrypted) or descriptor.index is None:
        raise CryptoError(f"{model.__name__}.{name} has no blind index")
    ctx = get_context()
    scope = blind.scope_of(model, descriptor)
    out = []
    for gen in blind.generations(session, ctx, scope, descriptor.index.bits):
        out += list(session.execute(sa.select(blind.BlindIndexEntry.bucket).where(
            blind.BlindIndexEntry.scope == scope, blind.BlindIndexEntry.generation == gen.generation,
            blind.BlindIndexEntry.id == blind.entry_id(ctx, gen, uid))).scalars())
    return out
