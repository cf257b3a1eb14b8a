"""``flask --app wsgi audit verify [--anchor SEQ:HASH]``: check the audit log's hash chain (exit 1 when broken), and
``flask --app wsgi audit head``: print the anchor to keep outside the database.

Meant for cron and monitoring as well as people: one line of output, and the exit status says intact or not. A cron
job that runs ``audit head`` daily and mails the line elsewhere, and ``audit verify --anchor`` with the previous
line, detects even the one tampering the chain alone cannot: deleting the newest events and winding the head back.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.audit import Anchor, AuditHead, check_anchor, current_anchor, parse_anchor, verify_chain
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
def verify_command(anchors: list[Anchor]) -> None:
    """Verify the audit log's hash chain; exit 1 at the first edited, deleted or reordered event."""
    key = current_app.extensions["dayanisma.audit_key"]
    count = db.session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1)) or 0
    broken = verify_chain(db.session(), key)
    for anchor in anchors:
        broken = broken or check_anchor(db.session(), anchor)
    db.session.rollback()  # read only: end the transaction
    if broken is None:
        checked = f", {len(anchors)} anchor(s) found" if anchors else ""
        click.echo(f"Audit log intact: {count} events{checked}.")
        return
    seq = broken.seq if broken.seq is not None else "?"
    event_id = broken.event_id if broken.event_id is not None else "?"
    click.echo(f"Audit log BROKEN at event seq={seq} (id={event_id}): {broken.problem}", err=True)
    raise SystemExit(1)


@audit_cli.command("head")
def head_command() -> None:
    """Print the current anchor (SEQ:HASH). Keep it outside the database; pass it to 'audit verify --anchor'."""
    anchor = current_anchor(db.session())
    db.session.rollback()
    if anchor is None:
        click.echo("The audit log is empty: no anchor yet.", err=True)
        raise SystemExit(1)
    click.echo(str(anchor))
