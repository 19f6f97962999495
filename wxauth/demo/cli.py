"""`flask demo …`: sandbox-only helpers that make the dashboard worth looking at."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from werkzeug.security import check_password_hash

from wxauth import settings
from wxauth.services import operators

demo_cli = AppGroup("demo", help="Demo data for sandbox mode (refused outside it).")

DEMO_OPERATOR = "demo"


def _sandbox_only() -> None:
    if not settings.current().sandbox:
        raise click.ClickException(
            "demo commands only run in sandbox mode (WXAUTH_SANDBOX=1): they would fill a real database with fake users"
        )


@demo_cli.command("operator")
@click.option("--reset", is_flag=True, help="Give the demo operator a new password (signs it out everywhere).")
def demo_operator(reset: bool) -> None:
    """Create the demo operator and print its credentials; the same ones on every start.

    The password is kept in instance/demo-operator-password (sandbox only), so a second
    start prints the password that already works instead of replacing it under a
    dashboard that is signed in with it.
    """
    _sandbox_only()
    kept = Path(current_app.instance_path) / "demo-operator-password"
    operator = operators.find(DEMO_OPERATOR)
    password = kept.read_text().strip() if kept.exists() and not reset else None
    if operator is None or password is None or not check_password_hash(operator.password_hash, password):
        password = secrets.token_urlsafe(12)
        if operator is None:
            operators.create(DEMO_OPERATOR, password, role="admin")  # the sandbox shows everything
        else:
            operators.set_password(DEMO_OPERATOR, password)
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.touch(mode=0o600)
        kept.write_text(password + "\n")
    if operators.get(DEMO_OPERATOR).disabled:
        operators.set_disabled(DEMO_OPERATOR, False)
    click.echo("Dashboard demo operator (sandbox only): sign in at /dashboard/login with")
    click.echo(f"  username: {DEMO_OPERATOR}")
    click.echo(f"  password: {password}")


@demo_cli.command("seed")
@click.option(
    "--users",
    "count",
    type=click.IntRange(1, 2_000_000),
    default=1000,
    show_default=True,
    help="How many users to add.",
)
@click.option("--days", type=click.IntRange(1, 365), default=60, show_default=True, help="How far back their history goes.")
@click.option("--seed", "rng_seed", type=int, help="Random seed, for the same data every time.")
@click.option("--if-empty", is_flag=True, help="Do nothing if there are users already (for run scripts).")
def demo_seed(count: int, days: int, rng_seed: int | None, if_empty: bool) -> None:
    """Add simulated users with logins, failures, phone binds and sessions over the past days."""
    _sandbox_only()
    from wxauth.demo.seed import has_users, seed

    if if_empty and has_users():
        click.echo("Demo seed skipped: the database already has users.")
        return

    started = time.monotonic()
    with click.progressbar(length=count, label=f"Simulating {count:,} users", show_pos=True) as bar:
        counts = seed(count, days=days, rng_seed=rng_seed, progress=bar.update)
    click.echo(
        f"Added {counts.users:,} users, {counts.logins:,} login events, {counts.failures:,} failures, "
        f"{counts.phone_binds:,} phone binds and {counts.sessions:,} sessions in {time.monotonic() - started:.1f} s."
    )
    # What the overview would otherwise count on its first look (seconds, at this size).
    from wxauth.models import utcnow
    from wxauth.services import activity_counts, overview_totals

    now = utcnow()
    activity_counts.ensure_rolled(now)
    overview_totals.count(now)
    click.echo("Filled the overview's counts: its first look is as fast as any other.")
