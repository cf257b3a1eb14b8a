"""Loading key material at start-up and handing it to crypto/ and the audit chain."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask


def init_app(app: Flask) -> None:
    secret = str(app.config["SECRET_KEY"]).encode()
    app.extensions["dayanisma.audit_key"] = hmac.new(secret, b"dayanisma audit chain v1", hashlib.sha256).digest()
