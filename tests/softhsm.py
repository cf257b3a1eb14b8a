"""A throwaway SoftHSM2 token for the PKCS#11 KEK provider tests: its own config and token directory, no daemon.

Debian's ``softhsm2`` package (``make test`` installs it when missing and root). Without it the tests skip, except
when ``CI=true``: then a missing SoftHSM2 fails the run, as a missing PostgreSQL does.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

CI = os.environ.get("CI", "").lower() == "true"
MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                     "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")


class SoftHSMToken:
    def __init__(self, directory: Path, label: str = "dayanisma") -> None:
        util = shutil.which("softhsm2-util")
        module = next((m for m in MODULE_CANDIDATES if Path(m).exists()), None)
        if util is None or module is None:
            message = "SoftHSM2 is missing: apt-get install softhsm2 (make test installs it when root)"
            if CI:
                pytest.fail(message)
            pytest.skip(message)
        self.module = module
        self.label = label
        self.pin = secrets.token_hex(8)
        self.so_pin = secrets.token_hex(8)
        tokens = directory / "tokens"
        tokens.mkdir(parents=True)
        self.conf = directory / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        # SoftHSM reads its configuration from this variable, in this process and in every child.
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        subprocess.run([util, "--init-token", "--free", "--label", label, "--pin", self.pin, "--so-pin", self.so_pin],
                       check=True, capture_output=True)

    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf), "DAYANISMA_KEK_PROVIDER": "pkcs11",
                "DAYANISMA_PKCS11_MODULE": self.module, "DAYANISMA_PKCS11_TOKEN": self.label,
                "DAYANISMA_PKCS11_PIN": self.pin}
