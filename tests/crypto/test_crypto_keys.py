"""Key material: development key file (0600, created once), production refusal, variables, no bytes in repr."""

from __future__ import annotations

import base64
import json
import logging
import stat
from pathlib import Path

import pytest

import crypto
from crypto.keys import add_kek, remove_kek


def test_development_generates_a_0600_key_file_once(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "keys.json"
    first = crypto.load_keys(path=path, generate=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = crypto.load_keys(path=path, generate=True)
    assert first.keyring.key(1) == second.keyring.key(1)
    assert first.index_ring.key(1) == second.index_ring.key(1)
    assert first.keyring.key(1) != first.index_ring.key(1)   # separate rings
    assert second.source_path == path


def test_production_refuses_without_keys(tmp_path: Path) -> None:
    with pytest.raises(crypto.KeysMissing, match="refusing"):
        crypto.load_keys(path=tmp_path / "absent.json", env_value=None, generate=False)
    with pytest.raises(crypto.KeysMissing):
        crypto.load_keys()
    assert not (tmp_path / "absent.json").exists()


def test_keys_from_environment_variable() -> None:
    text = crypto.generate_key_material().to_json()
    material = crypto.load_keys(env_value=text, path="/nonexistent", generate=False)
    assert material.source_path is None
    assert material.keyring.key(1) == base64.b64decode(json.loads(text)["kek"]["keys"]["1"])


def test_group_readable_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    crypto.load_keys(path=path, generate=True)
    path.chmod(0o644)
    with pytest.raises(crypto.KeyFileError, match="chmod 600"):
        crypto.load_keys(path=path)


_K32 = "A" * 43 + "="   # 32 zero bytes in base64


@pytest.mark.parametrize("text", ["not json", "{}", '{"format": "dayanisma-keys/v1"}',
                                  '{"format": "dayanisma-keys/v1", "kek": {"active": 1, "keys": {"1": "AA=="}},'
                                  ' "index": {"active": 1, "keys": {"1": "AA=="}}}',
                                  '{"format": "dayanisma-keys/v1", "kek": {"active": 2, "keys": {"1": "' + _K32 + '"}},'
                                  ' "index": {"active": 1, "keys": {"1": "' + _K32 + '"}}}'])
def test_malformed_key_material(text: str) -> None:
    with pytest.raises(crypto.KeyFileError):
        crypto.parse_key_material(text)


def test_key_bytes_never_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    material = crypto.generate_key_material()
    ctx = crypto.CryptoContext(material)
    secrets = [material.keyring.key(1), material.index_ring.key(1)]
    logging.getLogger("test").info("%r %s %r %r", material, material, ctx, material.keyring)
    text = " ".join([repr(material), str(material), repr(ctx), repr(material.keyring), repr(material.index_ring),
                     caplog.text])
    for secret in secrets:
        for form in (secret.hex(), base64.b64encode(secret).decode(), repr(secret)):
            assert form not in text


def test_kek_ring_changes(tmp_path: Path) -> None:
    material = crypto.load_keys(path=tmp_path / "k.json", generate=True)
    new_id = add_kek(material)
    assert new_id == 2 and material.keyring.active_id == 1
    crypto.activate_kek(material, 2)
    assert material.keyring.active_id == 2
    with pytest.raises(crypto.KekInUse):
        remove_kek(material, 2)
    with pytest.raises(crypto.UnknownKey):
        crypto.activate_kek(material, 9)
    crypto.write_key_file(material.source_path, material)  # type: ignore[arg-type]
    reread = crypto.load_keys(path=tmp_path / "k.json")
    assert reread.keyring.ids == [1, 2] and reread.keyring.active_id == 2
    assert stat.S_IMODE((tmp_path / "k.json").stat().st_mode) == 0o600
