"""KEK rotation: mixed versions readable throughout, killed mid-way and resumed, retirement refused while in use,
concurrent key creation not lost; and the click CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import Case
from sqlalchemy.orm import Session

import crypto
from crypto.cli import make_keys_cli
from crypto.keys import add_kek
from crypto.models import DataKey


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

    assert runner.invoke(cli, ["add-kek"]).exit_code == 0
    assert runner.invoke(cli, ["activate-kek", "2"]).exit_code == 0
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.active_id == 2
    out = runner.invoke(cli, ["retire", "1"])
    assert out.exit_code != 0 and "still wraps 7" in out.output
    out = runner.invoke(cli, ["rotate", "--batch-size", "3"])
    assert out.exit_code == 0 and "rewrapped 7 data keys in 3 batches" in out.output, out.output
    out = runner.invoke(cli, ["status"])
    assert "KEK 2 (active): 7 data keys" in out.output and "blind-index epochs: 1 (active 1)" in out.output
    assert runner.invoke(cli, ["retire", "1"]).exit_code == 0
    assert crypto.load_keys(path=tmp_path / "keys.json").keyring.ids == [2]
    assert runner.invoke(cli, ["add-index-epoch"]).exit_code == 0
    assert "blind-index epochs: 1, 2 (active 1)" in runner.invoke(cli, ["status"]).output
    _all_readable(engine, ctx, 7)
    for secret in (material.keyring.key(2).hex(),):
        assert secret not in out.output
