"""The retention commands. ``flask --app wsgi cases erase CASE_NUMBER --reason "…" [--category kvkk-request]``
crypto-shreds one case (operators, after a KVKK erasure request has been decided; prompts for confirmation unless
``--yes``). The audit log records the category only; the reason goes with the key's destruction record.

``flask --app wsgi retention run [--dry-run]``: apply the retention schedule (``cases.retention.services.schedule``):
crypto-shred cases closed longer ago than their period, delete the documents of cases closed longer ago than theirs,
shred location inquiries nobody linked, anonymise user accounts disabled longer ago than theirs, delete audit events
older than theirs behind a signed checkpoint (events of cases still held stay); record the run and one destruction
record per class (meant for a daily cron job; the admin's dry run calls the same ``execute_run``).

Each case is erased and committed in its own transaction, so one failure rolls back that case only; the command
reports it, goes on, and exits 1 at the end. ``--dry-run`` prints what a run would do and changes nothing but the
audit log (one ``retention.dry-run`` event). Output names case numbers and outcomes, never case content.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.audit import Actor
from app.db import db, utcnow
from cases.core.blueprint import bp
from cases.core.models import Case
from cases.retention.models import DestructionRecord, RetentionRun
from cases.retention.services import (
    ERASURE_CATEGORIES,
    SHRED,
    ErasureRefused,
    RunCounts,
    ScheduleEntry,
    audit_events_due,
    closed_cases_due,
    disabled_accounts_due,
    documents_due,
    erase_case,
    expire_account,
    expire_audit_events,
    expire_case,
    expire_document,
    expire_inquiry,
    is_erased,
    order_in_force,
    reclaim_destroyed_keys,
    record_run,
    retention_hold,
    schedule,
    unlinked_inquiries_due,
)

retention_cli = AppGroup("retention", help="Retention of closed cases (KVKK).")
RETENTION_ACTOR = Actor(None, "cli", "system", None)


@dataclass
class RunReport:
    """What a run did (or would do), for the command's output and the admin's dry-run page."""

    run: RetentionRun
    counts: RunCounts
    lines: list[str] = field(default_factory=list)


def execute_run(*, dry_run: bool, actor: Any, run_by: str, echo: Callable[[str], None] | None = None) -> RunReport:
    """Apply the schedule: every automated data class, one transaction per item (commits: this is the run's
    transaction boundary, for the command and the admin's dry run alike). Records the run and one destruction record
    per class; a dry run is recorded as such and destroys nothing."""
    entries = {e.data_class.key: e for e in schedule()}
    days = entries["closed-cases"].days
    due = closed_cases_due(days)
    report = RunReport(RetentionRun(is_dry_run=dry_run, run_by=run_by[:254], started_at=utcnow()),
                       RunCounts(days=days, due=len(due)))
    db.session.rollback()  # end the reads; each item gets its own transaction below

    def say(line: str) -> None:
        report.lines.append(line)
        if echo is not None:
            echo(line)

    counts = report.counts
    cases_record = DestructionRecord(data_class="closed-cases", method=SHRED, days=days, case_numbers=[])
    for item in due:
        try:
            case = db.session.get(Case, item.id)
            if case is None:  # deleted since the query: nothing left to erase
                counts.due -= 1
                continue
            hold = retention_hold(case)
            if hold is not None:
                counts.held[hold.kind] += 1
                say(f"{item.number}: skipped: {hold.message}")
            elif dry_run:
                counts.erased += 1
                cases_record.case_numbers = [*cases_record.case_numbers, item.number]
                say(f"{item.number}: would erase")
            else:
                result = expire_case(case, days=days, actor=actor)
                db.session.commit()
                counts.erased += 1
                cases_record.case_numbers = [*cases_record.case_numbers, item.number]
                say(f"{item.number}: erased ({len(result.dek_ids)} data key(s) destroyed)")
        # One case's failure must not stop the run or undo the others. Only the exception's type is printed: its
        # message may quote SQL parameters.
        except Exception as exc:  # noqa: BLE001
            counts.failed += 1
            say(f"{item.number}: FAILED ({type(exc).__name__}); this case is unchanged")
        finally:
            db.session.rollback()  # a dry run or a hold changed nothing; a failure is undone
    cases_record.item_count, cases_record.held = counts.erased, counts.skipped
    records = [cases_record]
    for key, select, expire in (("documents", documents_due, expire_document),
                                ("unlinked-inquiries", unlinked_inquiries_due, expire_inquiry),
                                ("disabled-accounts", disabled_accounts_due, expire_account)):
        entry = entries[key]
        record = DestructionRecord(data_class=key, method=entry.method, days=entry.days, case_numbers=[],
                                   item_count=0, held=0)
        for item_id, number in select(entry.days):
            try:
                if not dry_run:
                    expire(item_id, days=entry.days, actor=actor)
                    db.session.commit()
                record.item_count += 1
                if number is not None and number not in record.case_numbers:
                    record.case_numbers = [*record.case_numbers, number]
            except Exception as exc:  # noqa: BLE001  (as above: one item, type only)
                counts.failed += 1
                say(f"{key} #{item_id}: FAILED ({type(exc).__name__}); unchanged")
            finally:
                db.session.rollback()
        verb = "would go" if dry_run else "destroyed"
        say(f"{key}: {record.item_count} {verb} (older than {entry.days} days)")
        records.append(record)
    records.append(_expire_audit_events(entries["audit-events"], dry_run=dry_run, actor=actor, counts=counts,
                                        say=say))
    run = report.run
    run.records, run.failed, run.finished_at = records, counts.failed, utcnow()
    db.session.add(run)
    record_run(counts, dry_run=dry_run, actor=actor)
    db.session.commit()
    return report


def _expire_audit_events(entry: ScheduleEntry, *, dry_run: bool, actor: Any, counts: RunCounts,
                         say: Callable[[str], None]) -> DestructionRecord:
    """Old audit events go behind a signed checkpoint, in one transaction (``app/audit_expiry.py``)."""
    record = DestructionRecord(data_class="audit-events", method=entry.method, days=entry.days, case_numbers=[],
                               item_count=0, held=0)
    try:
        if dry_run:
            record.item_count, record.held = audit_events_due(entry.days)
        else:
            result = expire_audit_events(entry.days, actor=actor)
            record.item_count, record.held = result.deleted, result.kept
    except Exception as exc:  # noqa: BLE001  (as above: the type only; the log is unchanged)
        counts.failed += 1
        say(f"audit-events: FAILED ({type(exc).__name__}); unchanged (on PostgreSQL set DATABASE_OWNER_URL: "
            "the app's role may not delete audit events)")
    finally:
        db.session.rollback()
    verb = "would go" if dry_run else "destroyed"
    say(f"audit-events: {record.item_count} {verb} (older than {entry.days} days; {record.held} of cases still "
        "held kept)")
    return record


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be erased or kept; change nothing.")
def run(dry_run: bool) -> None:
    """Apply the retention schedule: erase (crypto-shred) cases closed longer ago than their period, delete the
    documents of closed cases and shred location inquiries nobody linked. Meant for a monthly cron job."""
    report = execute_run(dry_run=dry_run, actor=RETENTION_ACTOR, run_by="cli", echo=click.echo)
    counts = report.counts
    if counts.erased and not dry_run and (warning := reclaim_destroyed_keys()) is not None:
        click.echo(f"Warning: {warning}", err=True)
    verb = "would be erased" if dry_run else "erased"
    prefix = "Dry run, nothing changed. " if dry_run else ""
    click.echo(f"{prefix}Cases closed more than {counts.days} days ago: {counts.due} due, {counts.erased} {verb}, "
               f"{counts.skipped} skipped, {counts.failed} failed.")
    if counts.failed:
        sys.exit(1)


@bp.cli.command("erase")
@click.argument("case_number")
@click.option("--reason", required=True,
              help="Why the case is erased (at least 10 characters, so the decision is deliberate). Not stored: "
                   "its words could outlive the erasure; the category is what is kept.")
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
