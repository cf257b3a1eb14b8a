"""The retention commands. ``flask --app wsgi cases erase CASE_NUMBER --reason "…" [--category kvkk-request]``
crypto-shreds one case (operators, after a KVKK erasure request has been decided; prompts for confirmation unless
``--yes``). The audit log records the category only; the reason goes with the key's destruction record.

``flask --app wsgi retention run [--dry-run]``: crypto-shred cases closed longer ago than the retention period
(``RETENTION_CLOSED_CASE_DAYS``; meant for a daily cron job).

Each case is erased and committed in its own transaction, so one failure rolls back that case only; the command
reports it, goes on, and exits 1 at the end. ``--dry-run`` prints what a run would do and changes nothing but the
audit log (one ``retention.dry-run`` event). Output names case numbers and outcomes, never case content.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.audit import Actor
from app.db import db
from cases.core.blueprint import bp
from cases.core.models import Case
from cases.retention.services import (
    ERASURE_CATEGORIES,
    ErasureRefused,
    RunCounts,
    closed_cases_due,
    erase_case,
    expire_case,
    is_erased,
    order_in_force,
    reclaim_destroyed_keys,
    record_run,
    retention_days,
    retention_hold,
)

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
    if counts.erased and not dry_run and (warning := reclaim_destroyed_keys()) is not None:
        click.echo(f"Warning: {warning}", err=True)
    verb = "would be erased" if dry_run else "erased"
    prefix = "Dry run, nothing changed. " if dry_run else ""
    click.echo(f"{prefix}Cases closed more than {days} days ago: {counts.due} due, {counts.erased} {verb}, "
               f"{counts.skipped} skipped, {counts.failed} failed.")
    if counts.failed:
        sys.exit(1)



@bp.cli.command("erase")
@click.argument("case_number")
@click.option("--reason", required=True, help="Why the case is erased (kept with the destruction record).")
@click.option("--category", type=click.Choice(ERASURE_CATEGORIES), default="kvkk-request", show_default=True,
              help="What kind of erasure this is: the only part the audit log records.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--despite-order", is_flag=True,
              help="Erase even though a protective order is in force, awaiting approval or not yet started.")
def erase(case_number: str, reason: str, category: str, yes: bool, despite_order: bool) -> None:
    """Destroy a case's data key: its encrypted data becomes unreadable for good."""
    case = db.session.scalar(sa.select(Case).where(Case.number == case_number.strip().upper()))
    if case is None:
        click.echo(f"No case {case_number}.", err=True)
        sys.exit(2)
    if is_erased(case):
        click.echo(f"Case {case.number} was erased already.", err=True)
        sys.exit(2)
    if order_in_force(case) and not despite_order:
        # A court or the police may still need the file while an order protects her (Law 6284).
        click.echo(f"Case {case.number} has a protective order in force, awaiting approval or not yet started. "
                   "Its records may still be needed; pass --despite-order if the erasure was decided regardless.",
                   err=True)
        sys.exit(2)
    if not yes:
        click.confirm(f"Erase case {case.number} for good? Its data cannot be recovered", abort=True)
    try:
        result = erase_case(case, reason=reason, actor=Actor(None, "cli", "system", None), category=category)
    except ErasureRefused as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    db.session.commit()
    if (warning := reclaim_destroyed_keys()) is not None:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Case {case.number} erased: {len(result.dek_ids)} data key(s) destroyed, "
               f"{sum(result.cleared_indexes.values())} search index value(s) cleared.")
