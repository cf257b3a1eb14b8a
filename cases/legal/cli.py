"""``flask legal releases``: run daily (cron or a systemd timer) so an expected release date that has come asks for
a risk re-assessment and alerts the case's team on that day."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.dates import local_today
from app.db import db
from cases.legal import services as legal_service

legal_cli = AppGroup("legal", help="The legal process of cases.")


@legal_cli.command("releases")
def releases_command() -> None:
    """Act on the releases from custody whose day has come (idempotent)."""
    count = legal_service.trigger_releases(today=local_today())
    db.session.commit()
    click.echo(f"{count} release(s) acted on.")
