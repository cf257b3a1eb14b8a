"""Key material: the KEK ring and the blind-index ring, and the key file or variable they are loaded from.

KEK metadata lives here (in the key file), never in the database: the database only holds data keys wrapped by a
KEK and the id of that KEK. Key file format (JSON, mode 0600)::

    {"format": "dayanisma-keys/v1",
     "kek":   {"active": 2, "keys": {"1": "<base64 32 bytes>", "2": "<base64 32 bytes>"}},
     "index": {"active": 1, "keys": {"1": "<base64 32 bytes>"}}}

The same JSON may be given in an environment variable (production secret stores) instead of a file. Key bytes
never appear in ``repr()``, ``str()`` or exception messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.envelope import KEY_LEN, Rng
from crypto.errors import KekInUse, KeyFileError, KeysMissing, UnknownKey

KEY_FILE_FORMAT: Final = "dayanisma-keys/v1"


class _Ring:
    """A versioned set of 32-byte keys with one active id. Older ids stay usable for reading only."""

    kind = "key"

    def __init__(self, keys: Mapping[int, bytes], active: int) -> None:
        if not keys:
            raise KeyFileError(f"the {self.kind} ring is empty")
        for key_id, key in keys.items():
            if not isinstance(key_id, int) or key_id < 1:
                raise KeyFileError(f"{self.kind} ids must be positive integers")
            if len(key) != KEY_LEN:
                raise KeyFileError(f"{self.kind} {key_id} must be {KEY_LEN} bytes")
        if active not in keys:
            raise KeyFileError(f"active {self.kind} {active} is not in the ring")
        self._keys: dict[int, bytes] = dict(keys)
        self.active_id = active

    @property
    def ids(self) -> list[int]:
        return sorted(self._keys)

    def key(self, key_id: int) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKey(f"{self.kind} {key_id} is not in the ring") from None

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __repr__(self) -> str:
        # SECURITY: ids only, never key bytes.
        return f"<{type(self).__name__} active={self.active_id} ids={self.ids}>"

    __str__ = __repr__

    def _export(self) -> dict[str, Any]:
        return {"active": self.active_id,
                "keys": {str(k): base64.b64encode(v).decode("ascii") for k, v in sorted(self._keys.items())}}


class KeyRing(_Ring):
    """Key-encryption keys (KEKs). The active KEK wraps new data keys; the others only unwrap."""

    kind = "KEK"

    def __init__(self, keys: Mapping[int, bytes], active: int) -> None:
        super().__init__(keys, active)
        # One AESGCM object per KEK, built once (construction costs about a microsecond).
        self._aeads = {k: AESGCM(v) for k, v in self._keys.items()}

    def aead(self, kek_id: int) -> AESGCM:
        try:
            return self._aeads[kek_id]
        except KeyError:
            raise UnknownKey(f"KEK {kek_id} is not in the ring") from None


class IndexRing(_Ring):
    """Blind-index root keys by epoch. Writes use the active epoch; searches try every epoch in the ring."""

    kind = "index key"


class KeyMaterial:
    """Both rings plus where they came from (a file path for the CLI's add/activate, or None for a variable).

    ``keyring`` is None in a key file written for the PKCS#11 provider (the KEKs are in the token; the file holds the
    blind-index ring only) until the context puts the provider's ring there."""

    def __init__(self, keyring: Any, index_ring: IndexRing, source_path: Path | None = None) -> None:
        self.keyring = keyring
        self.index_ring = index_ring
        self.source_path = source_path

    def __repr__(self) -> str:
        return f"<KeyMaterial {self.keyring!r} {self.index_ring!r} source={self.source_path}>"

    def to_json(self) -> str:
        data: dict[str, Any] = {"format": KEY_FILE_FORMAT}
        if isinstance(self.keyring, KeyRing):       # a token's ring has no bytes to write
            data["kek"] = self.keyring._export()
        data["index"] = self.index_ring._export()
        return json.dumps(data, indent=2) + "\n"


def _parse_ring(data: Any, name: str) -> tuple[dict[int, bytes], int]:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise KeyFileError(f"key material has no {name!r} ring")
    keys: dict[int, bytes] = {}
    try:
        for key_id, encoded in data["keys"].items():
            keys[int(key_id)] = base64.b64decode(encoded, validate=True)
        active = int(data["active"])
    except (KeyError, TypeError, ValueError, binascii.Error):
        # SECURITY: no `from exc`: the original message could quote key material.
        raise KeyFileError(f"the {name!r} ring is malformed") from None
    return keys, active


def parse_key_material(text: str, source_path: Path | None = None) -> KeyMaterial:
    try:
        data = json.loads(text)
    except ValueError:
        raise KeyFileError("key material is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
        raise KeyFileError(f"key material must have \"format\": \"{KEY_FILE_FORMAT}\"")
    keyring = None
    if "kek" in data:       # absent in a file for the PKCS#11 provider
        kek_keys, kek_active = _parse_ring(data.get("kek"), "kek")
        keyring = KeyRing(kek_keys, kek_active)
    idx_keys, idx_active = _parse_ring(data.get("index"), "index")
    return KeyMaterial(keyring, IndexRing(idx_keys, idx_active), source_path)


def generate_key_material(rng: Rng = os.urandom, *, with_kek: bool = True) -> KeyMaterial:
    """New key material; ``with_kek=False`` for the PKCS#11 provider (the KEK is created in the token)."""
    keyring = KeyRing({1: rng(KEY_LEN)}, 1) if with_kek else None
    return KeyMaterial(keyring, IndexRing({1: rng(KEY_LEN)}, 1))


def write_key_file(path: str | Path, material: KeyMaterial, *, exclusive: bool = False) -> None:
    """Write atomically with mode 0600: a new file under a random name (O_EXCL | O_NOFOLLOW, so nothing planted at
    that name, not even a symlink, is written through), then renamed over ``path``, or with ``exclusive`` linked
    to ``path`` only if nothing is there yet (two processes generating keys at once cannot both win)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive and path.exists():
        raise KeyFileError(f"key file {path} already exists")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # SECURITY: created 0600 from the start; never briefly world-readable.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(material.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            try:
                os.link(tmp, path)      # atomic and fails if path exists, unlike rename
            except FileExistsError:
                raise KeyFileError(f"key file {path} already exists") from None
            finally:
                tmp.unlink(missing_ok=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    material.source_path = path


def read_key_file(path: str | Path) -> KeyMaterial:
    path = Path(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # SECURITY: keys readable by other users are as good as published.
        raise KeyFileError(f"key file {path} must not be accessible by group or others (chmod 600)")
    return parse_key_material(path.read_text(encoding="utf-8"), path)


def load_keys(*, path: str | Path | None = None, env_value: str | None = None, generate: bool = False,
              rng: Rng = os.urandom, with_kek: bool = True) -> KeyMaterial:
    """Load key material for the app.

    Order: ``env_value`` (the JSON, e.g. from ``DAYANISMA_KEYS``) wins; else the file at ``path``; else, only when
    ``generate`` is true (development and tests), a new key file is created at ``path``. Production passes
    ``generate=False`` and gets :class:`KeysMissing` when neither is there.
    """
    if env_value:
        return parse_key_material(env_value)
    if path is not None and Path(path).exists():
        return read_key_file(path)
    if generate:
        if path is None:
            raise KeysMissing("development key generation needs a key file path")
        material = generate_key_material(rng, with_kek=with_kek)
        try:
            write_key_file(path, material, exclusive=True)
        except KeyFileError:
            if not Path(path).exists():
                raise
            return read_key_file(path)     # another process starting at the same moment wrote it first: use its
        return material
    raise KeysMissing("encryption keys are missing: set DAYANISMA_KEYS or provide the key file "
                      f"({path or 'no path given'}); refusing to start without them")


# --- KEK ring changes (written back to the key file) -------------------------------------------------------------


def add_kek(material: KeyMaterial, rng: Rng = os.urandom) -> int:
    """Add a new KEK, decrypt-only until :func:`activate_kek`. Returns the new id."""
    ring = material.keyring
    new_id = max(ring.ids) + 1
    keys = {k: ring.key(k) for k in ring.ids}
    keys[new_id] = rng(KEY_LEN)
    material.keyring = KeyRing(keys, ring.active_id)
    return new_id


def activate_kek(material: KeyMaterial, kek_id: int) -> None:
    ring = material.keyring
    ring.key(kek_id)
    material.keyring = KeyRing({k: ring.key(k) for k in ring.ids}, kek_id)


def remove_kek(material: KeyMaterial, kek_id: int) -> None:
    """Drop a KEK from the ring. Callers must check the database first (see ``crypto.operations.retire_kek``)."""
    ring = material.keyring
    ring.key(kek_id)
    if kek_id == ring.active_id:
        raise KekInUse(f"KEK {kek_id} is active; activate another KEK first")
    material.keyring = KeyRing({k: ring.key(k) for k in ring.ids if k != kek_id}, ring.active_id)


def add_index_epoch(material: KeyMaterial, rng: Rng = os.urandom, *, activate: bool = False) -> int:
    ring = material.index_ring
    new_id = max(ring.ids) + 1
    keys = {k: ring.key(k) for k in ring.ids}
    keys[new_id] = rng(KEY_LEN)
    material.index_ring = IndexRing(keys, new_id if activate else ring.active_id)
    return new_id
