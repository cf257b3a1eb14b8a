"""The PKCS#11 KEK provider against a real SoftHSM2 token: the KEK stays in the token (non-extractable), data keys
are wrapped by it, and rotation, shredding and the data-key cache work exactly as with the key file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Case
from sqlalchemy.orm import Session

import crypto
from crypto.models import DataKey
from crypto.providers import Pkcs11KekProvider
from tests.softhsm import SoftHSMToken


@pytest.fixture(scope="session")
def hsm() -> Iterator[SoftHSMToken]:
    # One token per test process: SoftHSM reads its configuration once per process, when the library is initialised
    # (a second token's configuration would reach spawned rotation workers, but not this process).
    # Its own directory, not pytest's basetemp: pytest deletes all but the three newest basetemps of the user when a
    # run starts, so a second pytest run on the same machine removed this token's files under a running session
    # (seen as GeneralError / NoSuchToken half-way through the file).
    directory = Path(tempfile.mkdtemp(prefix="dayanisma-hsm-"))
    try:
        yield SoftHSMToken(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def token(hsm: SoftHSMToken) -> SoftHSMToken:
    """The module's token with no Dayanışma KEK in it (each test starts empty)."""
    provider = _provider(hsm)
    with provider._lock:
        for kek_id in list(provider._find()):
            provider.destroy(kek_id)
    return hsm


def _provider(token: SoftHSMToken, **kwargs: bool) -> Pkcs11KekProvider:
    return Pkcs11KekProvider(token.module, token.label, token.pin, **kwargs)


@pytest.fixture
def hsm_ctx(token: SoftHSMToken) -> Iterator[crypto.CryptoContext]:
    ctx = crypto.CryptoContext(crypto.generate_key_material(with_kek=False),
                               provider=_provider(token, create_first=True))
    crypto.configure(ctx)
    yield ctx
    crypto.configure(None)


def _titles(engine: sa.Engine, ctx: crypto.CryptoContext) -> list[str]:
    ctx.clear_cache()
    with Session(engine) as s:
        return sorted(c.title for c in s.scalars(sa.select(Case)))


def test_kek_never_leaves_the_token(token: SoftHSMToken, hsm_ctx: crypto.CryptoContext) -> None:
    import pkcs11
    from pkcs11 import Attribute, exceptions

    assert hsm_ctx.keyring.ids == [1]
    with pytest.raises(crypto.UnknownKey):
        hsm_ctx.keyring.key(1)              # type: ignore[attr-defined]
    lib = pkcs11.lib(token.module)
    with lib.get_token(token_label=token.label).open() as s:    # this process is logged in already
        key = s.get_key(label="dayanisma-kek-1")
        assert key[Attribute.EXTRACTABLE] is False and key[Attribute.SENSITIVE] is True
        with pytest.raises(exceptions.AttributeSensitive):
            _ = key[Attribute.VALUE]
    assert "kek" not in hsm_ctx.material.to_json()       # the key file of this provider holds no KEK


def test_round_trip_swap_and_shred(session: Session, engine: sa.Engine, hsm_ctx: crypto.CryptoContext) -> None:
    cases = [Case(title=f"dosya {i}") for i in range(4)]
    session.add_all(cases)
    session.commit()
    assert _titles(engine, hsm_ctx) == [f"dosya {i}" for i in range(4)]
    # A wrapped key copied onto another owner's row fails to unwrap (the token checks the associated data).
    with engine.begin() as conn:
        a, b = conn.execute(sa.select(DataKey.id, DataKey.wrapped).order_by(DataKey.id).limit(2)).all()
        conn.execute(sa.update(DataKey).where(DataKey.id == b.id).values(wrapped=a.wrapped))
    hsm_ctx.clear_cache()
    with Session(engine) as s:
        victim = s.scalars(sa.select(Case).join(DataKey, DataKey.owner_id == Case.public_id)
                           .where(DataKey.id == b.id)).one()
        with pytest.raises(crypto.DecryptionError):
            _ = victim.title
    crypto.shred(session, "case", cases[0].public_id, models=[Case], reason="test")
    session.commit()
    hsm_ctx.clear_cache()
    with Session(engine) as s, pytest.raises(crypto.KeyDestroyed):
        _ = s.get(Case, cases[0].id).title      # type: ignore[union-attr]


def test_rotation_in_the_token_and_a_second_process(session: Session, engine: sa.Engine, token: SoftHSMToken,
                                                    hsm_ctx: crypto.CryptoContext) -> None:
    session.add_all([Case(title=f"dosya {i}") for i in range(7)])
    session.commit()
    other = crypto.CryptoContext(crypto.generate_key_material(with_kek=False), provider=_provider(token))
    result = crypto.rotate(session, hsm_ctx, batch_size=3)
    assert (result.active_kek, result.rewrapped, result.batches) == (2, 7, 3)
    assert hsm_ctx.keyring.ids == [1, 2]
    assert dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all()) == {2: 7}
    crypto.configure(other)                 # a process started before the rotation: reloads from the token once
    assert other.keyring.ids == [1]
    assert _titles(engine, other) == [f"dosya {i}" for i in range(7)]
    assert other.keyring.ids == [1, 2]
    crypto.configure(hsm_ctx)
    with pytest.raises(crypto.KekInUse):
        crypto.retire_kek(session, hsm_ctx, 2)
    crypto.retire_kek(session, hsm_ctx, 1)
    session.commit()
    assert _provider(token).load().ids == [2]     # destroyed in the token
    assert _titles(engine, hsm_ctx) == [f"dosya {i}" for i in range(7)]


def test_rotation_in_parallel_token_sessions(session: Session, engine: sa.Engine, token: SoftHSMToken,
                                             hsm_ctx: crypto.CryptoContext) -> None:
    """Many keys to rewrap: worker processes, each with its own token session, share every batch (the token's
    library cannot be shared by threads); the result is the serial one, and a tampered key stops its batch."""
    session.add_all([Case(title=f"paralel {i}") for i in range(11)])
    session.commit()
    new = hsm_ctx.provider.create()
    hsm_ctx.reload_keks()
    crypto.set_active_kek(session, hsm_ctx, new)
    session.commit()
    result = crypto.rotate_keks(session, hsm_ctx, batch_size=4, workers=2)
    assert (result.rewrapped, result.batches) == (11, 3)
    assert dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all()) == {2: 11}
    assert _titles(engine, hsm_ctx) == sorted(f"paralel {i}" for i in range(11))     # cold: unwrapped by KEK 2

    third = hsm_ctx.provider.create()
    hsm_ctx.reload_keks()
    crypto.set_active_kek(session, hsm_ctx, third)
    victim = session.scalars(sa.select(DataKey).limit(1)).one()
    assert victim.wrapped is not None
    victim.wrapped = victim.wrapped[:-1] + bytes((victim.wrapped[-1] ^ 1,))
    session.commit()
    with pytest.raises(crypto.DecryptionError):
        crypto.rotate_keks(session, hsm_ctx, batch_size=20, workers=2)
    session.rollback()
    assert dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all()) == {2: 11}


def test_a_rotation_worker_that_cannot_open_the_token_fails_the_rotation(
        session: Session, token: SoftHSMToken, hsm_ctx: crypto.CryptoContext, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an endless respawn of workers (what a Pool does when its initializer raises): the error, at once."""
    session.add_all([Case(title=f"iş {i}") for i in range(3)])
    session.commit()
    new = hsm_ctx.provider.create()
    hsm_ctx.reload_keks()
    crypto.set_active_kek(session, hsm_ctx, new)
    session.commit()
    monkeypatch.setattr(hsm_ctx.provider, "session_args", lambda: (token.module, "no-such-token", token.pin))
    with pytest.raises(crypto.KeysMissing, match="NoSuchToken|TokenNotPresent|GeneralError|cannot open"):
        crypto.rotate_keks(session, hsm_ctx, batch_size=2, workers=2)
    session.rollback()
    assert dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all()) == {1: 3}


def test_wrong_pin_fails_without_leaking_it(token: SoftHSMToken) -> None:
    # In a fresh process: a PKCS#11 login belongs to the process, and this one is logged in already.
    wrong = "9" * 8 + uuid.uuid4().hex[:6]
    code = ("import logging, sys, crypto\n"
            "from crypto.providers import Pkcs11KekProvider\n"
            "logging.basicConfig(level=logging.DEBUG)\n"
            "try:\n"
            f"    Pkcs11KekProvider({token.module!r}, {token.label!r}, sys.argv[1]).load()\n"
            "except crypto.KeysMissing as exc:\n"
            "    print(repr(exc), str(exc), exc.__cause__, exc.__suppress_context__)\n"
            "    raise\n")
    done = subprocess.run([sys.executable, "-c", code, wrong], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2], env={**os.environ, "SOFTHSM2_CONF": str(token.conf)})
    assert done.returncode != 0
    assert "PinIncorrect" in done.stdout and "None True" in done.stdout, done.stdout + done.stderr
    assert wrong not in done.stdout + done.stderr       # not in the message, the traceback or any log line
    assert token.pin not in repr(_provider(token))


def test_operations_use_a_session_copy_that_stays_in_the_token(token: SoftHSMToken,
                                                                hsm_ctx: crypto.CryptoContext) -> None:
    """Wraps and unwraps go through a per-session copy of the KEK (in memory in the token, not re-read from its
    object file each time), as sensitive and non-extractable as the KEK; listing and destroying KEKs see only token
    objects, and a KEK retired by another process loses its copy here when the ring is reloaded."""
    from pkcs11 import Attribute, exceptions

    provider = hsm_ctx.provider
    assert isinstance(provider, Pkcs11KekProvider)
    nonce, aad = os.urandom(12), b"aad"
    wrapped = hsm_ctx.kek_aead(1).encrypt(nonce, b"k" * 32, aad)
    with provider._lock:
        work, stored = provider._work[1], provider._find()[1]
        assert work is not stored
        assert work[Attribute.TOKEN] is False and stored[Attribute.TOKEN] is True
        assert work[Attribute.SENSITIVE] is True and work[Attribute.EXTRACTABLE] is False
        with pytest.raises(exceptions.AttributeSensitive):
            _ = work[Attribute.VALUE]
        assert sorted(provider._find()) == [1]            # the copy is not another KEK
    # Another provider (its own copy) unwraps what this copy wrapped: the same key, inside the token.
    assert _provider(token).load().aead(1).decrypt(nonce, wrapped, aad) == b"k" * 32

    second = provider.create()
    hsm_ctx.reload_keks()
    hsm_ctx.kek_aead(second).encrypt(nonce, b"k" * 32, aad)
    elsewhere = _provider(token)
    with elsewhere._lock:
        elsewhere.destroy(1)                              # `keys retire 1` in another process
    hsm_ctx.reload_keks()
    assert 1 not in provider._work and second in provider._work
    with pytest.raises(crypto.UnknownKey):
        hsm_ctx.kek_aead(1).decrypt(nonce, wrapped, aad)


def test_pipelined_rotation_stopped_half_way_resumes(session: Session, engine: sa.Engine, token: SoftHSMToken,
                                                     hsm_ctx: crypto.CryptoContext) -> None:
    """With worker processes the rotation is a pipeline (the workers rewrap batch i while batch i-1 is written and
    batch i+1 read): stopped after its second commit, the committed batches are rewrapped, the batch in flight is
    not, and a second run finishes; every key unwraps under the new KEK."""
    session.add_all([Case(title=f"boru {i}") for i in range(13)])
    session.commit()
    new = hsm_ctx.provider.create()
    hsm_ctx.reload_keks()
    crypto.set_active_kek(session, hsm_ctx, new)
    session.commit()
    seen: list[int] = []

    def stop_after_two(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 2:
            raise KeyboardInterrupt         # a kill between two batches

    with pytest.raises(KeyboardInterrupt):
        crypto.rotate_keks(session, hsm_ctx, batch_size=3, workers=2, progress=stop_after_two)
    session.rollback()
    counts = dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all())
    assert seen == [3, 6] and counts == {1: 7, new: 6}
    result = crypto.rotate_keks(session, hsm_ctx, batch_size=3, workers=2)
    assert (result.rewrapped, result.remaining_at_start) == (7, 7)
    assert dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all()) == {new: 13}
    assert _titles(engine, hsm_ctx) == sorted(f"boru {i}" for i in range(13))


@pytest.mark.parametrize(("which", "attempts", "error"), [("pin", 1, "PinIncorrect"), ("label", 3, "NoSuchToken")])
def test_a_rotation_worker_retries_a_missing_token_never_a_refused_pin(token: SoftHSMToken, which: str,
                                                                      attempts: int, error: str) -> None:
    """A worker that found no token (SoftHSM2 seen listing none while another process wrote its files) initialises
    its library again and retries; a refused PIN is never tried again (each try counts against the token's PIN).
    In a fresh process: a PKCS#11 login belongs to the process, and this one is logged in already."""
    label = token.label if which == "pin" else "no-such-token"
    pin = "9" * 8 + uuid.uuid4().hex[:6] if which == "pin" else token.pin
    code = ("import sys\n"
            "from crypto import operations, providers\n"
            "opened = []\n"
            "real_open = providers.Pkcs11KekProvider._open\n"
            "def counting_open(self):\n"
            "    opened.append(1)\n"
            "    return real_open(self)\n"
            "providers.Pkcs11KekProvider._open = counting_open\n"
            "operations._token_worker_init((sys.argv[1], sys.argv[2], sys.argv[3]), 1)\n"
            "print(len(opened), operations._WORKER_REWRAP.token_error)\n")
    done = subprocess.run([sys.executable, "-c", code, token.module, label, pin], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2],
                          env={**os.environ, "SOFTHSM2_CONF": str(token.conf)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(attempts), error]
    assert pin not in done.stdout + done.stderr
