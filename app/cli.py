"""Command-line interface: ``flask --app wsgi users|centres|demo|audit|keys …`` (contracts in DESIGN.md §5)."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import NoReturn

import click
import pyotp
import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.cli import AppGroup, with_appcontext
from flask.sansio.app import App

from app import audit
from app.auth import mfa, passwords
from app.db import db, utcnow
from app.users.models import Centre, Role, User

users_cli = AppGroup("users", help="Staff accounts.")
centres_cli = AppGroup("centres", help="Solidarity centres.")
demo_cli = AppGroup("demo", help="Demo data for development (refused in production).")

CLI_ACTOR = audit.Actor(None, "cli", "system", None)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(2)


@centres_cli.command("create")
@click.argument("code")
@click.argument("name")
def create_centre(code: str, name: str) -> None:
    """Create a centre. CODE prefixes its case numbers (e.g. BYK)."""
    code = code.strip().upper()
    if not (code.isascii() and code.isalnum() and 2 <= len(code) <= 10):
        _fail("CODE must be 2–10 ASCII letters or digits (it appears in case numbers).")
    if db.session.scalar(sa.select(Centre).where(Centre.code == code)):
        _fail(f"A centre with code {code} exists already.")
    centre = Centre(code=code, name=name.strip()[:200])
    db.session.add(centre)
    db.session.flush()
    audit.record("centres.create", actor=CLI_ACTOR, object_type="centres", object_id=centre.public_id)
    db.session.commit()
    click.echo(f"Centre {code} created.")


@centres_cli.command("list")
def list_centres() -> None:
    for centre in db.session.scalars(sa.select(Centre).order_by(Centre.code)):
        click.echo(f"{centre.code}\t{centre.name}")


def _read_password(from_stdin: bool, email: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        passwords.check_policy(password, email=email)
    except passwords.PasswordRejected as exc:
        _fail(f"Password rejected: {exc}")
    return password


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--centre", "centre_code", required=True, help="Centre code, e.g. BYK.")
@click.option("--name", default=None, help="Display name (defaults to the part of EMAIL before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email: str, role: str, centre_code: str, name: str | None, password_stdin: bool) -> None:
    """Create a staff account and print its one-time TOTP provisioning URI."""
    from app.users.services import UserError
    from app.users.services import create_operator_account as create

    password = _read_password(password_stdin, email)
    centre = db.session.scalar(sa.select(Centre).where(Centre.code == centre_code.strip().upper()))
    if centre is None:
        codes = ", ".join(db.session.scalars(sa.select(Centre.code).order_by(Centre.code))) or "none yet"
        _fail(f"No centre with code {centre_code!r} (existing: {codes}). "
              "Create one with `flask --app wsgi centres create CODE NAME`.")
    try:
        user, secret = create(email=email, name=name or email.split("@")[0], role=Role(role), centre=centre,
                              password=password, actor=CLI_ACTOR)
    except UserError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"User {user.email} created ({role}, centre {centre.code}).")
    click.echo("Add this to an authenticator app now; it is shown only once:")
    click.echo(mfa.provisioning_uri(user, secret))


@users_cli.command("confirm")
@click.argument("email")
def confirm_account_request(email: str) -> None:
    """Bootstrap only: confirm an administrator's open request for EMAIL when her centre has no supervisor yet,
    and print the one-time activation code to hand over in person."""
    from app.users import services

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    activation = services.open_request_of(user) if user is not None else None
    if user is None or activation is None or not activation.needs_confirmation or activation.confirmed_at:
        _fail(f"No request waiting for confirmation for {email!r}.")
    if services.has_other_supervisor(activation):
        _fail("A supervisor of this centre confirms this request in the app (Account requests); the command line "
              "confirms only while a centre has no supervisor yet.")
    code = services.confirm_request(activation, actor=CLI_ACTOR, reason="bootstrap: no supervisor in the centre")
    db.session.commit()
    click.echo(f"Request confirmed ({activation.kind.value}) for {user.email}.")
    if code:
        click.echo(f"One-time activation code (valid 72 hours; she enters it at /activate): {code}")


# --- demo data ---------------------------------------------------------------------------------------------------

DEMO_CENTRE = ("BYK", "Beyoğlu Kadın Dayanışma Merkezi (DEMO)")
DEMO_USERS = [
    ("danisman@demo.dayanisma.test", "Deniz Yılmaz (demo)", Role.COUNSELLOR, "demo-danisman-parola-2026"),
    ("koordinator@demo.dayanisma.test", "Gül Işık (demo)", Role.COORDINATOR, "demo-koordinator-parola-2026"),
    ("sorumlu@demo.dayanisma.test", "Şule Çelik (demo)", Role.SUPERVISOR, "demo-sorumlu-parola-2026"),
    ("denetci@demo.dayanisma.test", "İpek Öztürk (demo)", Role.AUDITOR, "demo-denetci-parola-2026"),
    ("yonetici@demo.dayanisma.test", "Ayla Güneş (demo)", Role.ADMIN, "demo-yonetici-parola-2026"),
]


DEMO_SEEDERS_KEY = "dayanisma.demo_seeders"


def register_demo_seeder(app: App, order: int, seeder: Callable[[Centre, dict[Role, User]], None]) -> None:
    """Features add demo data to ``flask demo seed`` without ``app`` importing them.

    ``seeder(centre, users_by_role)`` must be idempotent, flush and never commit; seeders run by ``order``.
    """
    app.extensions.setdefault(DEMO_SEEDERS_KEY, []).append((order, seeder))


DEMO_GENERATORS_KEY = "dayanisma.demo_generators"
DemoGenerator = Callable[..., None]


def register_demo_generator(app: App, order: int, generator: DemoGenerator) -> None:
    """Features add synthetic data to ``flask demo generate`` without ``app`` importing them.

    ``generator(centre, users_by_role, n, rng, progress, *, batch_size)`` adds its part for ``n`` new cases (the
    cases generator creates them; later ones read the centre's newest ``n`` cases), using ``rng`` (a seeded
    ``random.Random``) for every choice and calling ``progress(k)`` as it goes. It flushes, never commits, and writes
    no per-row audit events (the command writes one summary event). Generators run by ``order``.
    """
    app.extensions.setdefault(DEMO_GENERATORS_KEY, []).append((order, generator))


def _require_demo_allowed() -> None:
    if not current_app.config.get("DEMO_ALLOWED"):
        _fail("Demo commands are for development only (DAYANISMA_ENV=development).")


@demo_cli.command("seed")
def seed() -> None:
    """Create demo data (idempotent) and print demo credentials. DEMO ONLY."""
    _require_demo_allowed()
    centre = db.session.scalar(sa.select(Centre).where(Centre.code == DEMO_CENTRE[0]))
    if centre is None:
        centre = Centre(code=DEMO_CENTRE[0], name=DEMO_CENTRE[1])
        db.session.add(centre)
        db.session.flush()
    rows: list[tuple[str, str, str, str]] = []
    users: dict[Role, User] = {}
    for email, name, role, password in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role, centre_id=centre.id, is_demo=True,
                        password_hash=passwords.hash_password(password))
            db.session.add(user)
            db.session.flush()
            mfa.set_secret(user, mfa.new_secret())
            user.mfa_enrolled_at = utcnow()
            audit.record("users.create", actor=CLI_ACTOR, object_type="users", object_id=user.public_id,
                         reason="demo data")
        rows.append((role.value, email, password, mfa.get_secret(user) if user.totp_secret_enc else "(reset)"))
        users[role] = user
    g.audit_actor = CLI_ACTOR
    for _order, seeder in sorted(current_app.extensions.get(DEMO_SEEDERS_KEY, []), key=lambda item: item[0]):
        seeder(centre, users)
    db.session.commit()
    click.echo("")
    click.echo("=== DEMO ACCOUNTS — for trying Dayanışma on this machine only, never in production ===")
    for role_name, email, password, secret in rows:
        click.echo(f"  {role_name:<12} {email:<34} password: {password}")
        click.echo(f"  {'':<12} TOTP secret: {secret}")
    click.echo("No authenticator app? Print a demo user's current code with:")
    click.echo("  .venv/bin/flask --app wsgi demo code danisman@demo.dayanisma.test")
    click.echo("")


@demo_cli.command("generate")
@click.option("--cases", "n", required=True, type=click.IntRange(1, 1_000_000), help="How many cases to add.")
@click.option("--centre", "centre_code", default=DEMO_CENTRE[0], show_default=True, help="Centre code.")
@click.option("--seed", type=int, default=None, help="Random seed: the same seed gives the same content.")
@click.option("--batch-size", type=click.IntRange(1, 20_000), default=2000, show_default=True,
              help="Cases written per batch.")
def generate(n: int, centre_code: str, seed: int | None, batch_size: int) -> None:
    """Add N synthetic cases (people, plans, referrals, orders, shelter stays) to a centre. DEMO ONLY."""
    import random

    _require_demo_allowed()
    code = centre_code.strip().upper()
    centre = db.session.scalar(sa.select(Centre).where(Centre.code == code))
    if centre is None:
        hint = "Run `flask --app wsgi demo seed` first." if code == DEMO_CENTRE[0] else \
            "Create it with `flask --app wsgi centres create CODE NAME`."
        _fail(f"No centre with code {code!r}. {hint}")
    users: dict[Role, User] = {}
    for user in db.session.scalars(sa.select(User).where(User.centre_id == centre.id, User.is_active.is_(True))
                                   .order_by(User.is_demo.desc(), User.id)):
        users.setdefault(user.role, user)
    if Role.COUNSELLOR not in users:
        _fail(f"Centre {code} has no active counsellor to own the cases; create one first.")
    rng = random.Random(seed)  # noqa: S311  (demo content, reproducible by seed; never keys, ids or nonces)
    g.audit_actor = CLI_ACTOR
    generators = sorted(current_app.extensions.get(DEMO_GENERATORS_KEY, []), key=lambda item: item[0])
    started = time.monotonic()
    with click.progressbar(length=n, label=f"Generating {n} cases", file=sys.stderr) as bar:
        for _order, generator in generators:
            generator(centre, users, n, rng, bar.update, batch_size=batch_size)
    audit.record("demo.generate", actor=CLI_ACTOR, object_type="centres", object_id=centre.public_id,
                 reason="demo data", details={"cases": n})
    db.session.commit()
    click.echo(f"Added {n} synthetic cases to centre {code} in {time.monotonic() - started:.1f} s.")


@demo_cli.command("code")
@click.argument("email")
def demo_code(email: str) -> None:
    """Print the current one-time code of a DEMO user (development only)."""
    _require_demo_allowed()
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_demo:
        _fail("Only demo users have codes printed here.")
    if user.totp_secret_enc is None:
        _fail("This demo user's MFA was reset; sign in to enrol again.")
    totp = pyotp.TOTP(mfa.get_secret(user))
    step = int(time.time()) // 30
    if user.last_totp_step is not None and user.last_totp_step >= step:
        step = user.last_totp_step + 1  # the current code was used already: give the next one
        if step > int(time.time()) // 30 + 1:
            _fail("Codes for this window are used up; try again in 30 seconds.")
    remaining = (step + 1) * 30 - int(time.time())
    click.echo(f"{totp.generate_otp(step)}  (valid for about {max(remaining, 1)} seconds, once)")


@click.command("routes-policies")
def routes_policies() -> None:
    """Every URL rule with its endpoint and declared access policy."""
    from app import access

    policies = access.route_policies(current_app)
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS")))
        click.echo(f"{rule.rule:<60} {methods:<10} {rule.endpoint:<32} {policies[rule.endpoint] or 'NONE'}")


def audited_key_commands(group: click.Group) -> click.Group:
    """Every key operation (``keys add-kek``, ``activate-kek``, ``rotate``, ``retire``, ``add-index-epoch``) writes an
    audit event, success or failure (DESIGN.md §1: the auditor sees key events). ``crypto`` knows nothing of the app,
    so the app wraps its commands here; ``keys status`` only reads. Parameters are key ids and flags, never keys."""
    for name, command in group.commands.items():
        if name != "status" and command.callback is not None:
            command.callback = with_appcontext(_audited_command(f"keys.{name}", command.callback))
    return group


def _audited_command(action: str, callback: Callable[..., object]) -> Callable[..., object]:
    @functools.wraps(callback)
    def run(*args: object, **kwargs: object) -> object:
        details = {k: v for k, v in kwargs.items() if isinstance(v, (bool, int))} or None
        try:
            result = callback(*args, **kwargs)
        except BaseException as exc:
            if not (isinstance(exc, SystemExit) and not exc.code):
                db.session.rollback()
                audit.record(action, actor=CLI_ACTOR, outcome=audit.Outcome.FAILURE, details=details,
                             reason=type(exc).__name__)
                db.session.commit()
                raise
            result = None
        audit.record(action, actor=CLI_ACTOR, details=details)
        db.session.commit()
        return result

    return run


def init_app(app: Flask) -> None:
    app.cli.add_command(routes_policies)
    import crypto
    from crypto.cli import make_keys_cli

    app.cli.add_command(audited_key_commands(make_keys_cli(lambda: db.session(), crypto.get_context)))
    app.cli.add_command(users_cli)
    app.cli.add_command(centres_cli)
    app.cli.add_command(demo_cli)
    from app.audit_cli import audit_cli

    app.cli.add_command(audit_cli)
