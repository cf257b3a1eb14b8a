"""Field encryption for Dayanışma: row-bound AES-256-GCM with per-owner data keys, blind indexes, KEK rotation,
crypto-shredding. A pure library (no Flask); DESIGN.md §3.3, §3.4 and §4 are the invariants it keeps.

Start-up (the app, once per process)::

    import crypto
    material = crypto.load_keys(path=cfg["KEY_FILE"], env_value=cfg["KEYS_FROM_ENV"],
                                generate=cfg["GENERATE_DEV_KEYS"])   # production: KeysMissing if absent
    crypto.configure(crypto.CryptoContext(material))                  # DEK cache TTL: dek_ttl=60 s
    # Alembic env.py: target_metadata = [db.metadata, crypto.CryptoBase.metadata]

Model authors (the before_flush hook is installed on every Session when ``crypto`` is imported)::

    class Person(PublicIdMixin, Base):                 # public_id = the row uid bound into every ciphertext
        __tablename__ = "persons"
        case_public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
        full_name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary)     # ciphertext, never read directly
        full_name = crypto.Encrypted(index="name")      # str; also kind="date" / "int" / "json"; index="tckn" …
        # the blind index is not on the row: one unlinkable entry in crypto_blind_indexes (crypto.blind)
        def __key_owner__(self): return ("case", self.case_public_id)   # or __key_owner__ = "case" (own key)

    db.session.add(Person(case_public_id=case.public_id, full_name="Ayşe Yılmaz")); db.session.flush()
    crypto.search(db.session, Person.full_name, "AYSE YILMAZ")   # -> [person]: decrypted, verified matches only
    select(Person).where(Person.full_name.matches(session, "ayşe yılmaz"))   # candidates only (collisions too)
    crypto.reindex(session, Person, "full_name")    # widen / re-key one index online (``keys reindex``)

Erasure: ``result = crypto.shred(db.session, "case", case.public_id, models=crypto.encrypted_models(Base),
reason="KVKK request")`` then write the audit event from ``result`` and commit. Reading a shredded value raises
``KeyDestroyed``. One-off values (e.g. a TOTP secret): ``ctx.encrypt(session, ("user", uid), table, column, uid,
value)`` / ``ctx.decrypt(session, table, column, uid, blob)``. CLI: ``crypto.cli.make_keys_cli(get_session,
get_context)``.
"""

from __future__ import annotations

from crypto import blind, legacy
from crypto.context import CryptoContext, DekHandle, configure, get_context
from crypto.errors import (
    CryptoError,
    DecryptionError,
    InvalidIdentifier,
    InvalidPhone,
    InvalidTCKN,
    InvalidYKN,
    KekInUse,
    KeyDestroyed,
    KeyFileError,
    KeysMissing,
    NotConfigured,
    RetiredFormat,
    UnknownKey,
)
from crypto.keys import (
    IndexRing,
    KeyMaterial,
    KeyRing,
    activate_kek,
    add_index_epoch,
    add_kek,
    generate_key_material,
    load_keys,
    parse_key_material,
    read_key_file,
    write_key_file,
)
from crypto.models import BlindIndexEntry, CryptoBase, DataKey, IndexGeneration, KekRecord
from crypto.normalise import (
    normalise_document_number,
    normalise_name,
    normalise_phone,
    normalise_tckn,
    normalise_ykn,
    turkish_lower,
)
from crypto.operations import (
    KeyStatus,
    RotationResult,
    ShredResult,
    key_status,
    retire_kek,
    rotate,
    rotate_keks,
    set_active_kek,
    shred,
)
from crypto.orm import (
    BlindIndex,
    Encrypted,
    EncryptedAttribute,
    encrypted_models,
    index_buckets,
    key_owner,
    reindex,
    search,
)
from crypto.providers import FileKekProvider, KekProvider, Pkcs11KekProvider, StaticKekProvider

__all__ = [
    "BlindIndex", "BlindIndexEntry", "IndexGeneration", "blind", "legacy", "index_buckets", "reindex",
    "CryptoBase", "FileKekProvider", "KekProvider", "Pkcs11KekProvider", "StaticKekProvider",
    "rotate", "set_active_kek", "KekRecord", "CryptoContext", "CryptoError", "DataKey", "DecryptionError", "DekHandle",
    "Encrypted", "EncryptedAttribute", "IndexRing", "InvalidIdentifier", "InvalidPhone", "InvalidTCKN", "InvalidYKN",
    "KekInUse", "KeyDestroyed", "KeyFileError", "KeyMaterial", "KeyRing", "KeyStatus", "KeysMissing",
    "NotConfigured", "RetiredFormat", "RotationResult", "ShredResult", "UnknownKey", "activate_kek", "add_index_epoch",
    "add_kek",
    "configure", "encrypted_models", "generate_key_material", "get_context", "key_owner", "key_status", "load_keys",
    "normalise_document_number", "normalise_name", "normalise_phone", "normalise_tckn", "normalise_ykn",
    "parse_key_material", "read_key_file", "retire_kek", "rotate_keks", "search", "shred", "turkish_lower",
    "write_key_file",
]
