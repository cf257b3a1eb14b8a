"""``flask --app wsgi cases erase CASE_NUMBER --reason "…" [--category kvkk-request]``: crypto-shred one case
(operators, after a KVKK erasure request has been decided). Prompts for confirmation unless ``--yes``. The audit log
records the category only; the reason goes with the key's destruction record."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa

from app.audit import Actor
from app.db import db
from cases.models import Case
from cases.services.erasure import ERASURE_CATEGORIES, ErasureRefused, erase_case, is_erased
from cases.services.retention import order_in_force
from cases.views import bp


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
    click.echo(f"Case {case.number} erased: {len(result.dek_ids)} data key(s) destroyed, "
               f"{sum(result.cleared_indexes.values())} search index value(s) cleared.")
