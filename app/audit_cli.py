"""``flask --app wsgi audit verify [--anchor SEQ:HASH] [--anchors-from FILE]``: check the audit log's hash chain and
every anchor it finds (exit 1 when broken); ``audit head``: print the current anchor; ``audit anchor``: write it to the
anchor sinks now (cron).

Meant for cron and monitoring as well as people: one line of output, and the exit status says intact or not. The
anchors the app writes by itself (``app/audit_anchors.py``: the anchor file, syslog) and any given here detect the one
tampering the chain alone cannot: deleting the newest events, truncating or re-inserting, and winding the head back.
"""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app import audit_anchors
from app.audit import Anchor, AuditCheckpoint, AuditHead, check_anchor, current_anchor, parse_anchor, verify_chain
from app.db import db

audit_cli = AppGroup("audit", help="Audit log tools.")


def _anchor_option(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Anchor]:
    try:
        return [parse_anchor(value) for value in values]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@audit_cli.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=_anchor_option, metavar="SEQ:HASH",
              help="An anchor printed earlier by 'audit head' (repeatable): the log must still hold that event.")
@click.option("--anchors-from", "anchor_files", multiple=True, type=click.File("r", encoding="utf-8"),
              help="A file (or - for stdin) holding anchors, e.g. a copy of the anchor file or journalctl output.")
def verify_command(anchors: list[Anchor], anchor_files: tuple[Any, ...]) -> None:
    """Verify the audit log's hash chain and every anchor found; exit 1 at the first break."""
    key = current_app.extensions["dayanisma.audit_keys"]
    writer = audit_anchors.writer()
    found = writer.read() if writer is not None else []
    for handle in anchor_files:
        found += audit_anchors.parse_anchors(handle)
    given = sorted({*anchors, *found}, key=lambda a: (a.seq, a.hash))
    count = db.session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1)) or 0
    broken = verify_chain(db.session(), key)
    checkpoint = db.session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    since = (f" (expired events cut at seq {checkpoint.seq} behind a signed checkpoint, {checkpoint.kept_count} "
             "kept before it)") if checkpoint is not None else ""
    # The first anchor the database no longer matches: the point from which it was wound back or rewritten.
    for anchor in given:
        broken = broken or check_anchor(db.session(), anchor)
    db.session.rollback()  # read only: end the transaction
    if broken is None:
        checked = f", {len(given)} anchor(s) found" if given else ", no anchors found"
        click.echo(f"Audit log intact: {count} events{checked}.{since}")
        return
    seq = broken.seq if broken.seq is not None else "?"
    event_id = broken.event_id if broken.event_id is not None else "?"
    click.echo(f"Audit log BROKEN at event seq={seq} (id={event_id}): {broken.problem}", err=True)
    raise SystemExit(1)


@audit_cli.command("anchor")
def anchor_command() -> None:
    """Write the current head to the anchor sinks now (run it from cron: quiet hours get anchored too)."""
    anchor = current_anchor(db.session())
    db.session.rollback()
    writer = audit_anchors.writer()
    if anchor is None or writer is None or not writer.sinks:
        click.echo("Nothing anchored: " + ("the log is empty." if anchor is None else "no anchor sink configured."),
                   err=True)
        raise SystemExit(1)
    failed = writer.write(anchor)
    if failed:
        click.echo(f"Anchor {anchor} NOT written to: {', '.join(failed)}", err=True)
        raise SystemExit(1)
    click.echo(f"{anchor} written to: {', '.join(s.name for s in writer.sinks)}")


@audit_cli.command("head")
def head_command() -> None:
    """Print the current anchor (SEQ:HASH). Keep it outside the database; pass it to 'audit verify --anchor'."""
    anchor = current_anchor(db.session())
    db.session.rollback()
    if anchor is None:
        click.echo("The audit log is empty: no anchor yet.", err=True)
        raise SystemExit(1)
    click.echo(str(anchor))


@audit_cli.command("add-key")
@click.option("--activate", is_flag=True, help="Chain new events with it (processes started from now on).")
def add_key_command(activate: bool) -> None:
    """Add a random version to the audit chain's key ring (keep every version as long as the log)."""
    from app import audit, audit_keys

    ring = current_app.extensions["dayanisma.audit_keys"]
    try:
        version = audit_keys.add_key(ring, activate=activate)
        path = audit_keys.save(ring)
    except audit_keys.AuditKeyError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("audit.key-add", actor=audit.SYSTEM, details={"version": version, "activate": activate})
    db.session.commit()
    click.echo(f"audit key version {version} added{' (active)' if activate else ''} to {path}. Restart every app "
               "process; back the file up with the key file.")


@audit_cli.command("activate-key")
@click.argument("version", type=int)
def activate_key_command(version: int) -> None:
    """Chain new events with VERSION (processes started from now on)."""
    from app import audit, audit_keys

    ring = current_app.extensions["dayanisma.audit_keys"]
    try:
        audit_keys.activate(ring, version)
        audit_keys.save(ring)
    except audit_keys.AuditKeyError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("audit.key-activate", actor=audit.SYSTEM, details={"version": version})
    db.session.commit()
    click.echo(f"audit key version {version} is active. Restart every app process.")
