"""``flask --app wsgi audit verify``: check the audit log's hash chain from the command line (exit 1 when broken).

Meant for cron and monitoring as well as people: one line of output, and the exit status says intact or not.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.audit import AuditHead, verify_chain
from app.db import db

audit_cli = AppGroup("audit", help="Audit log tools.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Verify the audit log's hash chain; exit 1 at the first edited, deleted or reordered event."""
    key = current_app.extensions["dayanisma.audit_key"]
    count = db.session.scalar(sa.select(AuditHead.seq).where(AuditHead.id == 1)) or 0
    broken = verify_chain(db.session(), key)
    db.session.rollback()  # read only: end the transaction
    if broken is None:
        click.echo(f"Audit log intact: {count} events.")
        return
    seq = broken.seq if broken.seq is not None else "?"
    event_id = broken.event_id if broken.event_id is not None else "?"
    click.echo(f"Audit log BROKEN at event seq={seq} (id={event_id}): {broken.problem}", err=True)
    raise SystemExit(1)
