"""Key material at start-up: loads the KEK and index rings for crypto/ and the audit chain's HMAC key.

Development and test generate a key file under ``instance/`` (mode 0600) on first run; production reads
``DAYANISMA_KEYS`` or ``DAYANISMA_KEY_FILE`` and refuses to start without them (crypto.KeysMissing).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask

import crypto


def audit_chain_key(material: crypto.KeyMaterial) -> bytes:
    """Version 1 of the audit chain's key ring (``app/audit_keys.py``): derived from the first blind-index epoch, as
    every key was before the ring existed; copied into the ring's file on its first start.

    SECURITY: the key lives outside the database, so rows edited in the database cannot be re-chained.
    """
    ring = material.index_ring
    first = min(ring.ids)
    return hmac.new(ring.key(first), b"dayanisma audit chain v1", hashlib.sha256).digest()


def init_app(app: Flask) -> None:
    material = crypto.load_keys(
        path=app.config["KEY_FILE"],
        env_value=app.config.get("KEYS_FROM_ENV"),
        generate=bool(app.config.get("GENERATE_DEV_KEYS")),
    )
    context = crypto.configure(crypto.CryptoContext(material))
    app.extensions["dayanisma.crypto"] = context
    from pathlib import Path

    from app import audit_keys

    ring_path = app.config.get("AUDIT_KEY_FILE")
    if ring_path is None and not app.config.get("KEYS_FROM_ENV"):
        ring_path = Path(app.config["KEY_FILE"]).with_name("audit-keys.json")
    ring = audit_keys.load_ring(ring_path, legacy_key=audit_chain_key(material))
    app.extensions["dayanisma.audit_keys"] = ring
    app.extensions["dayanisma.audit_key"] = ring.active_key  # what new events are chained with
