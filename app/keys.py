"""Key material at start-up: loads the KEK and index rings for crypto/ and the audit chain's HMAC key.

Development and test generate a key file under ``instance/`` (mode 0600) on first run; production reads
``DAYANISMA_KEYS`` or ``DAYANISMA_KEY_FILE`` and refuses to start without them (crypto.KeysMissing). With
``DAYANISMA_KEK_PROVIDER=pkcs11`` the KEKs live in a PKCS#11 token and the key file holds the blind-index ring only.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import Flask

import crypto
from config import ConfigError
from crypto.providers import FileKekProvider, KekProvider, StaticKekProvider, pkcs11_from_environment


def audit_chain_key(material: crypto.KeyMaterial) -> bytes:
    """Version 1 of the audit chain's key ring (``app/audit_keys.py``): derived from the first blind-index epoch, as
    every key was before the ring existed; copied into the ring's file on its first start.

    SECURITY: the key lives outside the database, so rows edited in the database cannot be re-chained.
    """
    ring = material.index_ring
    first = min(ring.ids)
    return hmac.new(ring.key(first), b"dayanisma audit chain v1", hashlib.sha256).digest()


def init_app(app: Flask) -> None:
    kind = app.config.get("KEK_PROVIDER") or "file"
    if kind not in ("file", "pkcs11"):
        raise ConfigError("DAYANISMA_KEK_PROVIDER must be 'file' or 'pkcs11'.")
    generate = bool(app.config.get("GENERATE_DEV_KEYS"))
    env_value = app.config.get("KEYS_FROM_ENV") or os.environ.get("DAYANISMA_KEYS")
    material = crypto.load_keys(path=app.config["KEY_FILE"], env_value=env_value, generate=generate,
                                with_kek=kind == "file")
    # SECURITY: the key JSON leaves the environment (child processes, /proc/<pid>/environ, crash reports) and the
    # config (debug pages, config dumps) once loaded; the rings hold it from here on.
    os.environ.pop("DAYANISMA_KEYS", None)
    app.config["KEYS_FROM_ENV"] = None
    provider: KekProvider
    if kind == "pkcs11":
        provider = pkcs11_from_environment(create_first=generate)
        material.keyring = None     # a KEK in the key file is not used with a token
    elif env_value:
        provider = StaticKekProvider(material.keyring)
    else:
        provider = FileKekProvider(app.config["KEY_FILE"])
    context = crypto.configure(crypto.CryptoContext(material, provider=provider,
                                                    dek_ttl=float(app.config.get("DEK_CACHE_TTL", 60.0))))
    app.extensions["dayanisma.crypto"] = context
    from pathlib import Path

    from app import audit_keys

    ring_path = app.config.get("AUDIT_KEY_FILE")
    if ring_path is None and not app.config.get("KEYS_FROM_ENV"):
        ring_path = Path(app.config["KEY_FILE"]).with_name("audit-keys.json")
    ring = audit_keys.load_ring(ring_path, legacy_key=audit_chain_key(material))
    app.extensions["dayanisma.audit_keys"] = ring
    app.extensions["dayanisma.audit_key"] = ring.active_key  # what new events are chained with
