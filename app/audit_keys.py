"""The audit chain's own, versioned HMAC key ring (issue 12 §2).

Until revision 0012a the chain key was derived from blind-index epoch 1, so it could never rotate and removing that
epoch would have made the whole log unverifiable. Now the chain has its own ring, in its own file
(``AUDIT_KEY_FILE``, default ``audit-keys.json`` beside the key file, mode 0600): version 1 holds exactly the old
derived key (so every existing event still verifies, whatever happens to the index epochs later), and
``flask audit add-key --activate`` adds a random one. Every event names the version that chained it
(``audit_events.key_version``); ``verify`` uses each event's own version. Keep every version for as long as the log
is kept; a running process picks up a newly activated version at its next start (events from both versions chain
correctly meanwhile, each naming its own).

With keys from the environment (``DAYANISMA_KEYS``) and no ``AUDIT_KEY_FILE``, the ring is version 1 only.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = 1
KEY_LEN = 32


class AuditKeyError(RuntimeError):
    pass


@dataclass
class AuditKeyRing:
    keys: dict[int, bytes]
    active: int
    path: Path | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never the bytes
        return f"<AuditKeyRing versions={sorted(self.keys)} active={self.active}>"

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise AuditKeyError(f"audit key version {version} is not in the ring") from None

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "active": self.active,
                           "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(self.keys.items())}},
                          indent=2) + "\n"


def _parse(text: str, path: Path) -> AuditKeyRing:
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError
        keys = {int(v): base64.b64decode(k, validate=True) for v, k in data["keys"].items()}
        active = int(data["active"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AuditKeyError(f"the audit key file {path} is malformed") from None  # SECURITY: no key bytes quoted
    if active not in keys or any(len(k) < KEY_LEN for k in keys.values()):
        raise AuditKeyError(f"the audit key file {path} is malformed")
    return AuditKeyRing(keys, active, path)


def save(ring: AuditKeyRing) -> Path:
    if ring.path is None:
        raise AuditKeyError("the audit key ring has no file (keys come from the environment): set AUDIT_KEY_FILE")
    tmp = ring.path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(ring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, ring.path)
    return ring.path


def load_ring(path: str | Path | None, legacy_key: bytes) -> AuditKeyRing:
    """The ring in ``path``; created there (version 1 = ``legacy_key``) when missing. No path: version 1 only."""
    if path is None:
        return AuditKeyRing({1: legacy_key}, 1)
    path = Path(path)
    if path.exists():
        # The file wins: its version 1 is the key that chained the log before the ring existed, kept even after the
        # blind-index epoch it was derived from is retired.
        return _parse(path.read_text(encoding="ascii"), path)
    ring = AuditKeyRing({1: legacy_key}, 1, path)
    save(ring)
    return ring


def add_key(ring: AuditKeyRing, *, activate: bool, rng: Callable[[int], bytes] = os.urandom) -> int:
    version = max(ring.keys) + 1
    ring.keys[version] = rng(KEY_LEN)
    if activate:
        ring.active = version
    return version


def activate(ring: AuditKeyRing, version: int) -> None:
    ring.key(version)
    ring.active = version
