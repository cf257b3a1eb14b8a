"""The ``keys`` command group (registered by the app as ``flask --app wsgi keys``), Flask-free.

``make_keys_cli(get_session, get_context)`` returns a click group; the app passes callables returning a SQLAlchemy
Session (e.g. ``lambda: db.session``) and the CryptoContext. Commands: status, rotate (add + activate + rewrap, the
usual one), retire, reindex (blind indexes: widen or re-key online), upgrade-format (rewrite values still in the
retired ciphertext format v1), and the pieces add-kek, activate-kek, add-index-epoch. Nothing here prints key
bytes or PINs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from crypto import blind, legacy
from crypto.context import CryptoContext
from crypto.errors import CryptoError
from crypto.keys import add_index_epoch
from crypto.operations import key_status, retire_kek, rotate, save_key_material, set_active_kek
from crypto.orm import encrypted_models, stored_models, stored_table_names

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
    def add_kek_cmd() -> None:
        """Add a KEK to the provider without activating it (`keys rotate` does add + activate + rewrap)."""
        session, ctx = get_session(), get_context()
        new_id = _guard(ctx.provider.create)
        ctx.reload_keks()
        click.echo(f"added KEK {new_id} ({ctx.provider.name}); not active. Running processes load it when needed.")
        del session

    @keys.command("activate-kek")
    @click.argument("kek_id", type=int)
    def activate_cmd(kek_id: int) -> None:
        """Make KEK_ID the one that wraps new data keys (every process follows; no restart)."""
        session, ctx = get_session(), get_context()
        _guard(lambda: set_active_kek(session, ctx, kek_id))
        session.commit()
        click.echo(f"KEK {kek_id} is active. Run `keys rotate` to rewrap the data keys still under older KEKs.")

    @keys.command("rotate")
    @click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1))
    @click.option("--pause", default=0.0, show_default=True, type=click.FloatRange(0),
                  help="Seconds to wait between batches (spares a busy database).")
    def rotate_cmd(batch_size: int, pause: float) -> None:
        """Add a new KEK, make it active and rewrap every data key to it, online, in committed batches.

        Killed half-way? Run it again: it finishes the rewrap instead of adding another KEK.
        """
        session, ctx = get_session(), get_context()
        bar: list[Any] = []

        def start(active: int, resumed: bool, pending: int) -> None:
            click.echo(f"{'resuming rotation to' if resumed else 'added and activated'} KEK {active} "
                       f"({ctx.provider.name}); {pending} data keys to rewrap")
            bar.append(click.progressbar(length=pending, label=f"rewrapping to KEK {active}"))
            bar[0].__enter__()

        done = [0]

        def progress(n: int, total: int) -> None:
            if bar:
                bar[0].update(n - done[0])
            done[0] = n
            if pause:
                time.sleep(pause)

        try:
            result = _guard(lambda: rotate(session, ctx, batch_size=batch_size, progress=progress, on_start=start))
        finally:
            if bar:
                bar[0].__exit__(None, None, None)
        click.echo(f"rewrapped {result.rewrapped} data keys in {result.batches} batches; "
                   f"KEK {result.active_kek} is active.")

    @keys.command("retire")
    @click.argument("kek_id", type=int)
    def retire(kek_id: int) -> None:
        """Destroy KEK_ID in the provider; refused while it is active or any data key is wrapped with it."""
        session, ctx = get_session(), get_context()
        _guard(lambda: retire_kek(session, ctx, kek_id))
        session.commit()
        click.echo(f"KEK {kek_id} retired. Destroy old copies of the key file once backups holding it expire.")

    @keys.command("upgrade-format")
    @click.option("--dry-run", is_flag=True, help="Only count the values that would be rewritten; change nothing.")
    @click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1))
    def upgrade_format_cmd(dry_run: bool, batch_size: int) -> None:
        """Rewrite every value still in the retired ciphertext format v1 as v2 (same data key, row and column).

        Online and resumable: committed in batches, a value changed meanwhile is left alone. Until it has run, a
        page that meets a v1 value answers 503 and shows nothing of it."""
        session, ctx = get_session(), get_context()
        stored = stored_table_names(session)
        places = [p for p in legacy.all_places(encrypted_models()) if p.table.name in stored]
        pending = legacy.count_v1(session, places)
        session.rollback()
        with click.progressbar(length=pending, label="v1 values" + (" (dry run)" if dry_run else "")) as bar:
            result = _guard(lambda: legacy.upgrade_format(session, ctx, places, batch_size=batch_size,
                                                          dry_run=dry_run, progress=bar.update))
        verb = "would rewrite" if dry_run else "rewrote"
        click.echo(f"{result.found} values in format v1 found; {verb} {result.upgraded} as v2; "
                   f"{result.destroyed} under destroyed data keys left as they are; {result.unreadable} unreadable; "
                   f"{result.changed} changed meanwhile.")
        for place, n in sorted(result.per_place.items()):
            click.echo(f"  {place}: {n}")
        if result.unreadable:
            raise click.ClickException(f"{result.unreadable} v1 values could not be read (missing data key or failed "
                                       "authentication); they are left as they are")

    @keys.command("add-index-epoch")
    def add_epoch() -> None:
        """Add a blind-index key epoch; the next `keys reindex` rebuilds every index under it."""
        ctx = get_context()
        epoch = add_index_epoch(ctx.material)
        click.echo(f"added blind-index epoch {epoch} to {_save(ctx)}; run `keys reindex` to build under it.")

    @keys.command("reindex")
    @click.option("--scope", help="Only this index (table.column, e.g. persons.tckn_ct).")
    @click.option("--bits", type=click.IntRange(1, 31), help="Width (default: from the number of stored values).")
    def reindex_cmd(scope: str | None, bits: int | None) -> None:
        """Rebuild blind indexes as a new generation, online; switch when complete; delete the old one.

        Widens an index as the population grows (buckets of 5+ values on average), moves it to the newest index
        key epoch, and on PostgreSQL rewrites its rows in bucket order (no insertion order left in a dump)."""
        session, ctx = get_session(), get_context()
        fields = [(cls, d) for cls, d in blind.indexed_fields(stored_models(session, encrypted_models()))
                  if scope in (None, blind.scope_of(cls, d))]
        if not fields:
            raise click.ClickException(f"no blind index {scope!r}")
        for cls, d in fields:
            count = session.execute(sa.select(sa.func.count()).select_from(cls)).scalar_one()
            with click.progressbar(length=count, label=blind.scope_of(cls, d)) as bar:
                result = _reindex(session, ctx, cls, d, bits, bar.update)
            click.echo(f"{result.scope}: generation {result.generation} active ({result.bits} bits, index key "
                       f"epoch {result.key_epoch}, {result.entries} entries); generation {result.retired} deleted.")

    return keys


def _reindex(session: Session, ctx: CryptoContext, cls: type, d: Any, bits: int | None,
             progress: Callable[[int], None]) -> blind.ReindexResult:
    try:
        return blind.reindex(session, ctx, cls, d, bits=bits, key_epoch=max(ctx.index_ring.ids), progress=progress)
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from None


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from None


def _save(ctx: CryptoContext) -> object:
    return _guard(lambda: save_key_material(ctx))
