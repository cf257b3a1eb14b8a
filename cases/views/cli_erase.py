"""``flask --app wsgi cases erase CASE_NUMBER --reason "…"``: crypto-shred one case (operators, after a KVKK
erasure request has been decided). Prompts for confirmation unless ``--yes``."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa

from app.audit import Actor
from app.db import db
from cases.models import Case
from cases.services.erasure import ErasureRefused, erase_case, is_erased
from cases.views import bp


@bp.cli.command("erase")
@click.argument("case_number")
@click.option("--reason", required=True, help="Why the case is erased (recorded in the audit log).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(case_number: str, reason: str, yes: bool) -> None:
    """Destroy a case's data key: its encrypted data becomes unreadable for good."""
    case = db.session.scalar(sa.select(Case).where(Case.number == case_number.strip().upper()))
    if case is None:
        click.echo(f"No case {case_number}.", err=True)
        sys.exit(2)
    if is_erased(case):
        click.echo(f"Case {case.number} was erased already.", err=True)
        sys.exit(2)
    if not yes:
        click.confirm(f"Erase case {case.number} for good? Its data cannot be recovered", abort=True)
    try:
        result = erase_case(case, reason=reason, actor=Actor(None, "cli", "system", None))
    except ErasureRefused as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Case {case.number} erased: {len(result.dek_ids)} data key(s) destroyed, "
               f"{sum(result.cleared_indexes.values())} search index value(s) cleared.")
