"""``flask --app wsgi reports publish YEAR --by ADMIN_EMAIL``: publish a closed year's statistics (or its next
revision) from the command line — the same release as the page's "Publish" button (``publish_year``), e.g. from a
cron job on 2 January.

``--by``: the admin account the release is issued by (a release always names its issuer; the register at
``/reports/releases`` shows it). The audit event names the command line as the actor and the admin as the issuer.
Refusals (a year not ended, too few applications, a group fallen below the threshold) exit 2 with the reason; no
figure is printed, only the year, the revision and how many tables were withheld.
"""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask_babel import force_locale

from app.audit import Actor
from app.db import db
from app.reports.releases import ReleaseRefused, publish_year
from app.reports.views import bp
from app.users.models import Role, User

REPORTS_ACTOR = Actor(None, "cli", "system", None)


@bp.cli.command("publish")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option("--by", "email", required=True, help="E-mail of the active admin account the release is issued by.")
def publish(year: int, email: str) -> None:
    """Publish the statistics of YEAR (a calendar year that has ended), or its next revision."""
    admin = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if admin is None or admin.role != Role.ADMIN or not admin.is_active:
        click.echo("--by must name an active admin account.", err=True)
        sys.exit(2)
    with force_locale("en"):
        try:
            release = publish_year(year, actor=admin, audit_actor=REPORTS_ACTOR)
        except ReleaseRefused as exc:
            db.session.rollback()
            click.echo(f"Not published: {exc}", err=True)
            sys.exit(2)
    db.session.commit()
    withheld = f", {len(release.withheld)} table(s) not revised" if release.withheld else ""
    click.echo(f"Statistics for {release.year} published: revision {release.revision}{withheld}.")
