"""The ``keys`` command group (registered by the app as ``flask --app wsgi keys``), Flask-free.

``make_keys_cli(get_session, get_context)`` returns a click group; the app passes callables returning a SQLAlchemy
Session (e.g. ``lambda: db.session``) and the CryptoContext. Commands: status, add-kek, activate-kek, rotate, retire,
add-index-epoch. Nothing here prints key bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from crypto.context import CryptoContext
from crypto.errors import CryptoError
from crypto.keys import activate_kek, add_index_epoch, add_kek
from crypto.operations import key_status, retire_kek, rotate_keks, save_key_material

T = TypeVar("T")


def make_keys_cli(get_session: Callable[[], Session], get_context: Callable[[], CryptoContext],
                  name: str = "keys") -> click.Group:
    @click.group(name=name, help="Encryption keys: status, KEK rotation and retirement.")
    def keys() -> None:
        pass

    @keys.command("status")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def status(as_json: bool) -> None:
        """Data keys per KEK, destroyed keys, blind-index epochs."""
        st = key_status(get_session(), get_context())
        if as_json:
            click.echo(json.dumps({**asdict(st), "pending_rewrap": st.pending_rewrap}))
            return
        click.echo(f"active KEK: {st.active_kek}   KEKs in ring: {', '.join(map(str, st.kek_ids))}")
        for kek_id in sorted(set(st.kek_ids) | set(st.deks_per_kek)):
            mark = " (active)" if kek_id == st.active_kek else ""
            missing = "" if kek_id in st.kek_ids else "  MISSING FROM RING"
            click.echo(f"  KEK {kek_id}{mark}: {st.deks_per_kek.get(kek_id, 0)} data keys{missing}")
        click.echo(f"destroyed data keys: {st.destroyed}")
        click.echo(f"data keys awaiting rewrap: {st.pending_rewrap}")
        click.echo(f"blind-index epochs: {', '.join(map(str, st.index_epochs))} (active {st.active_index_epoch})")

    @keys.command("add-kek")
    @click.option("--activate", is_flag=True, help="Make it active at once (single-process deployments only).")
    def add_kek_cmd(activate: bool) -> None:
        """Add a new KEK to the key file (decrypt-only until activated)."""
        ctx = get_context()
        new_id = add_kek(ctx.material)
        if activate:
            activate_kek(ctx.material, new_id)
        path = _save(ctx)
        click.echo(f"added KEK {new_id}{' (active)' if activate else ''} to {path}. "
                   "Restart every app process so all of them know it, then activate and rotate.")

    @keys.command("activate-kek")
    @click.argument("kek_id", type=int)
    def activate_cmd(kek_id: int) -> None:
        """Make KEK_ID the one that wraps new data keys."""
        ctx = get_context()
        _guard(lambda: activate_kek(ctx.material, kek_id))
        click.echo(f"KEK {kek_id} is active in {_save(ctx)}. Restart app processes, then run `keys rotate`.")

    @keys.command("rotate")
    @click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1))
    def rotate(batch_size: int) -> None:
        """Rewrap every data key with the active KEK (online; each batch committed; rerun to resume)."""
        session, ctx = get_session(), get_context()
        st = key_status(session, ctx)
        with click.progressbar(length=st.pending_rewrap, label=f"rewrapping to KEK {ctx.keyring.active_id}") as bar:
            done = [0]

            def progress(n: int, total: int) -> None:
                bar.update(n - done[0])
                done[0] = n

            result = _guard(lambda: rotate_keks(session, ctx, batch_size=batch_size, progress=progress))
        click.echo(f"rewrapped {result.rewrapped} data keys in {result.batches} batches.")

    @keys.command("retire")
    @click.argument("kek_id", type=int)
    def retire(kek_id: int) -> None:
        """Remove KEK_ID from the key file; refused while any data key is wrapped with it."""
        session, ctx = get_session(), get_context()
        _guard(lambda: retire_kek(session, ctx, kek_id))
        click.echo(f"KEK {kek_id} retired. Destroy old copies of the key file once backups holding it expire.")

    @keys.command("add-index-epoch")
    def add_epoch() -> None:
        """Add a blind-index key epoch (decrypt-free: searches try every epoch; writes keep the active one)."""
        ctx = get_context()
        epoch = add_index_epoch(ctx.material)
        click.echo(f"added blind-index epoch {epoch} to {_save(ctx)} (not active).")

    return keys


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from None


def _save(ctx: CryptoContext) -> object:
    return _guard(lambda: save_key_material(ctx))
