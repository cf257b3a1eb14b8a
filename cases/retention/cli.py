"""``flask --app wsgi retention run [--dry-run]``: crypto-shred cases closed longer ago than the retention period
(``RETENTION_CLOSED_CASE_DAYS``; meant for a daily cron job).

Each case is erased and committed in its own transaction, so one failure rolls back that case only; the command
reports it, goes on, and exits 1 at the end. ``--dry-run`` prints what a run would do and changes nothing but the
audit log (one ``retention.dry-run`` event). Output names case numbers and outcomes, never case content.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.audit import Actor
from app.db import db
from cases.models import Case
from cases.services.retention import (
    RunCounts,
    closed_cases_due,
    expire_case,
    record_run,
    retention_days,
    retention_hold,
)
from cases.views import bp

retention_cli = AppGroup("retention", help="Retention of closed cases (KVKK).")
RETENTION_ACTOR = Actor(None, "cli", "system", None)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be erased or kept; change nothing.")
def run(dry_run: bool) -> None:
    """Erase (crypto-shred) every case closed more than RETENTION_CLOSED_CASE_DAYS days ago."""
    days = retention_days()
    due = closed_cases_due(days)
    db.session.rollback()  # end the read; each case gets its own transaction below
    counts = RunCounts(days=days, due=len(due))
    for item in due:
        try:
            case = db.session.get(Case, item.id)
            if case is None:  # deleted since the query: nothing left to erase
                counts.due -= 1
                continue
            hold = retention_hold(case)
            if hold is not None:
                counts.held[hold.kind] += 1
                click.echo(f"{item.number}: skipped: {hold.message}")
            elif dry_run:
                counts.erased += 1
                click.echo(f"{item.number}: would erase")
            else:
                result = expire_case(case, days=days, actor=RETENTION_ACTOR)
                db.session.commit()
                counts.erased += 1
                click.echo(f"{item.number}: erased ({len(result.dek_ids)} data key(s) destroyed)")
        # One case's failure must not stop the run or undo the others. Only the exception's type is printed: its
        # message may quote SQL parameters.
        except Exception as exc:  # noqa: BLE001
            counts.failed += 1
            click.echo(f"{item.number}: FAILED ({type(exc).__name__}); this case is unchanged", err=True)
        finally:
            db.session.rollback()  # a dry run or a hold changed nothing; a failure is undone
    record_run(counts, dry_run=dry_run, actor=RETENTION_ACTOR)
    db.session.commit()
    verb = "would be erased" if dry_run else "erased"
    prefix = "Dry run, nothing changed. " if dry_run else ""
    click.echo(f"{prefix}Cases closed more than {days} days ago: {counts.due} due, {counts.erased} {verb}, "
               f"{counts.skipped} skipped, {counts.failed} failed.")
    if counts.failed:
        sys.exit(1)


bp.record_once(lambda state: state.app.cli.add_command(retention_cli))
