"""KEK rotation: mixed versions readable throughout, killed mid-way and resumed, retirement refused while in use,
concurrent key creation not lost; and the click CLI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import Case
from sqlalchemy.orm import Session

import crypto
from crypto.cli import make_keys_cli
from crypto.keys import add_kek
from crypto.models import DataKey, KekRecord


def _cases(session: Session, n: int) -> list[Case]:
    cases = [Case(title=f"dosya {i}") for i in range(n)]
    session.add_all(cases)
    session.commit()
    return cases


def _kek_counts(session: Session) -> dict[int, int]:
    return dict(session.execute(sa.select(DataKey.kek_id, sa.func.count()).group_by(DataKey.kek_id)).all())


def _all_readable(engine: sa.Engine, ctx: crypto.CryptoContext, n: int) -> None:
    ctx.clear_cache()   # force unwrapping from the database, with whichever KEK each key has now
    with Session(engine) as s:
        titles = sorted(c.title for c in s.scalars(sa.select(Case)))
    assert titles == sorted(f"dosya {i}" for i in range(n))


def test_rotation_killed_midway_and_resumed(session: Session, engine: sa.Engine, ctx: crypto.CryptoContext) -> None:
    _cases(session, 25)
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)
    seen: list[tuple[int, int]] = []

    def killer(done: int, total: int) -> None:
        seen.append((done, total))
        _all_readable(engine, ctx, 25)      # app keeps serving with mixed KEK versions
        if len(seen) == 2:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        crypto.rotate_keks(session, ctx, batch_size=10, progress=killer)
    assert seen == [(10, 25), (20, 25)]
    assert _kek_counts(session) == {1: 5, 2: 20}     # each batch was committed
    _all_readable(engine, ctx, 25)
    with pytest.raises(crypto.KekInUse):
        crypto.retire_kek(session, ctx, 1, save=False)

    result = crypto.rotate_keks(session, ctx, batch_size=10)
    assert (result.rewrapped, result.remaining_at_start) == (5, 5)
    assert _kek_counts(session) == {2: 25}
    _all_readable(engine, ctx, 25)
    assert crypto.rotate_keks(session, ctx).rewrapped == 0   # idempotent

    crypto.retire_kek(session, ctx, 1, save=False)
    assert ctx.keyring.ids == [2]
    _all_readable(engine, ctx, 25)


def test_rewrapped_keys_are_really_new(session: Session, ctx: crypto.CryptoContext) -> None:
    _cases(session, 3)
    before = {k.id: k.wrapped for k in session.scalars(sa.select(DataKey))}
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)
    crypto.rotate_keks(session, ctx)
    session.expire_all()
    after = {k.id: k.wrapped for k in session.scalars(sa.select(DataKey))}
    assert before.keys() == after.keys() and all(before[i] != after[i] for i in before)


def test_new_keys_during_rotation_use_active_kek(session: Session, engine: sa.Engine,
                                                 ctx: crypto.CryptoContext) -> None:
    _cases(session, 12)
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)
    created: list[uuid.UUID] = []

    def app_writes(done: int, total: int) -> None:
        with Session(engine) as app_session:      # the app creates a case between two batches
            c = Case(title=f"dosya {12 + len(created)}")
            app_session.add(c)
            app_session.commit()
            created.append(c.public_id)

    crypto.rotate_keks(session, ctx, batch_size=5, progress=app_writes)
    assert len(created) == 3
    assert _kek_counts(session) == {2: 15}
    _all_readable(engine, ctx, 15)


def test_rotation_does_not_resurrect_a_shredded_key(session: Session, engine: sa.Engine,
                                                    ctx: crypto.CryptoContext) -> None:
    cases = _cases(session, 4)
    add_kek(ctx.material)
    crypto.activate_kek(ctx.material, 2)

    def shred_meanwhile(done: int, total: int) -> None:
        with Session(engine) as other:
            crypto.shred(other, "case", cases[3].public_id, models=[Case], ctx=ctx)
            other.commit()

    crypto.rotate_keks(session, ctx, batch_size=2, progress=shred_meanwhile)
    key = session.scalars(sa.select(DataKey).where(DataKey.owner_id == cases[3].public_id)).one()
    assert key.wrapped is None and key.destroyed_at is not None


def test_retire_refuses_active(session: Session, ctx: crypto.CryptoContext) -> None:
    with pytest.raises(crypto.KekInUse):
        crypto.retire_kek(session, ctx, 1, save=False)


def test_cli_status_rotate_retire(session: Session, engine: sa.Engine, tmp_path: Path) -> None:
    material = crypto.load_keys(path=tmp_path / "keys.json", generate=True)
    ctx = crypto.CryptoContext(material)
    crypto.configure(ctx)
    _cases(session, 7)
    crypto.shred(session, "case", uuid.uuid4(), models=[Case])
    session.commit()
    cli = make_keys_cli(lambda: session, lambda: ctx)
    runner = CliRunner()

    out = runner.invoke(cli, ["status", "--json"])
    assert out.exit_code == 0, out.output
    st = json.loads(out.output)
    assert st["deks_per_kek"] == {"1": 7} and st["destroyed"] == 1 and st["index_epochs"] == [1]

    # The pieces: add (not active), activate (in the database), then retire refuses KEK 1 while it wraps keys.
    assert runner.invoke(cli, ["add-kek"]).exit_code == 0
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.ids == [1, 2]
    assert runner.invoke(cli, ["activate-kek", "2"]).exit_code == 0
    assert session.execute(sa.select(KekRecord.id).where(KekRecord.is_active.is_(True))).scalar_one() == 2
    out = runner.invoke(cli, ["retire", "1"])
    assert out.exit_code != 0 and "still wraps 7" in out.output
    out = runner.invoke(cli, ["retire", "2"])
    assert out.exit_code != 0 and "active" in out.output
    out = runner.invoke(cli, ["rotate", "--batch-size", "3"])     # resumes the rewrap to KEK 2: no KEK 3
    assert out.exit_code == 0 and "resuming rotation to KEK 2" in out.output, out.output
    assert "rewrapped 7 data keys in 3 batches" in out.output, out.output
    out = runner.invoke(cli, ["status"])
    assert "KEK 2 (active): 7 data keys" in out.output and "blind-index epochs: 1 (active 1)" in out.output
    assert runner.invoke(cli, ["retire", "1"]).exit_code == 0
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.ids == [2]
    assert runner.invoke(cli, ["add-index-epoch"]).exit_code == 0
    assert "blind-index epochs: 1, 2 (active 1)" in runner.invoke(cli, ["status"]).output
    _all_readable(engine, ctx, 7)
    for secret in (material.keyring.key(2).hex(),):
        assert secret not in out.output


def test_keys_rotate_is_one_command(session: Session, engine: sa.Engine, tmp_path: Path) -> None:
    """On a fresh install `keys rotate` adds a KEK, activates it and rewraps every data key (it used to print
    "rewrapped 0 data keys" and change nothing)."""
    ctx = crypto.CryptoContext(crypto.load_keys(path=tmp_path / "keys.json", generate=True))
    crypto.configure(ctx)
    _cases(session, 5)
    cli = make_keys_cli(lambda: session, lambda: ctx)
    out = CliRunner().invoke(cli, ["rotate", "--batch-size", "2"])
    assert out.exit_code == 0, out.output
    assert "added and activated KEK 2" in out.output and "rewrapped 5 data keys in 3 batches" in out.output
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.ids == [1, 2]
    assert session.execute(sa.select(KekRecord.id).where(KekRecord.is_active.is_(True))).scalar_one() == 2
    assert _kek_counts(session) == {2: 5}
    out = CliRunner().invoke(cli, ["rotate"])
    assert out.exit_code == 0 and "added and activated KEK 3" in out.output and _kek_counts(session) == {3: 5}
    _all_readable(engine, ctx, 5)


def test_rotate_killed_resumes_without_a_new_kek(session: Session, engine: sa.Engine, tmp_path: Path) -> None:
    ctx = crypto.CryptoContext(crypto.load_keys(path=tmp_path / "keys.json", generate=True))
    crypto.configure(ctx)
    _cases(session, 9)

    def kill(done: int, total: int) -> None:
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        crypto.rotate(session, ctx, batch_size=4, progress=kill)
    assert _kek_counts(session) == {1: 5, 2: 4}
    result = crypto.rotate(session, ctx, batch_size=4)
    assert result.active_kek == 2 and result.rewrapped == 5 and _kek_counts(session) == {2: 9}
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.ids == [1, 2]
    _all_readable(engine, ctx, 9)


def test_running_process_follows_a_rotation_without_restart(session: Session, engine: sa.Engine,
                                                             tmp_path: Path) -> None:
    """Two processes share the key file and the database: the operator's (CLI) rotates; the app's, started before,
    reads every case after its data-key cache has expired and wraps new keys with the new KEK, no restart."""
    path = tmp_path / "keys.json"
    operator = crypto.CryptoContext(crypto.load_keys(path=path, generate=True))
    app = crypto.CryptoContext(crypto.load_keys(path=path))
    crypto.configure(app)
    _cases(session, 6)
    _all_readable(engine, app, 6)

    crypto.configure(operator)
    crypto.rotate(session, operator, batch_size=4)
    crypto.configure(app)
    assert app.keyring.ids == [1]           # the app has not heard of KEK 2 yet ...
    _all_readable(engine, app, 6)           # ... and reads keys wrapped with it (one reload from the key file)
    assert app.keyring.ids == [1, 2]
    with Session(engine) as s:
        c = Case(title="dosya 6")
        s.add(c)
        s.commit()
        kek = s.execute(sa.select(DataKey.kek_id).where(DataKey.owner_id == c.public_id)).scalar_one()
    assert kek == 2                         # the active KEK comes from the database, not the process's ring
    _all_readable(engine, app, 7)


def test_unknown_kek_reloads_once_then_fails_closed(session: Session, engine: sa.Engine, tmp_path: Path) -> None:
    ctx = crypto.CryptoContext(crypto.load_keys(path=tmp_path / "keys.json", generate=True))
    crypto.configure(ctx)
    _cases(session, 1)
    with engine.begin() as conn:                    # a data key claiming a KEK nobody has
        conn.execute(sa.update(DataKey).values(kek_id=9))
    loads = []
    real_load = ctx.provider.load

    def counting_load() -> object:
        loads.append(1)
        return real_load()

    ctx.provider.load = counting_load       # type: ignore[method-assign]
    for _ in range(3):
        ctx.clear_cache()
        with Session(engine) as s, pytest.raises(crypto.UnknownKey, match="KEK 9"):
            _ = s.scalars(sa.select(Case)).one().title
    assert len(loads) == 1                  # one reload, then fail closed at once (no file read per request)
    with Session(engine) as s:              # creating a key under an active KEK nobody has is refused too
        s.execute(sa.insert(KekRecord).values(id=9, provider="file", is_active=True, created_at=datetime.now(UTC)))
        s.add(Case(title="yeni"))
        with pytest.raises(crypto.UnknownKey):
            s.commit()
