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
    """The audit chain's HMAC key, derived from the first blind-index epoch (kept for as long as the log is).

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
    app.extensions["dayanisma.audit_key"] = audit_chain_key(material)
