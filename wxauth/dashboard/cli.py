"""`flask operator …`: manage the people who may sign in to the dashboard; `flask overview
refresh`: fill the overview's stored counts ahead of its first look; `flask users provision`:
admit phone numbers to a mini-program whose sign-up is closed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from wxauth.models.operators import DEFAULT_TIME_ZONE
from wxauth.services import operators

operator_cli = AppGroup("operator", help="Manage dashboard operators.")


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _run(action, *args):
    try:
        return action(*args)
    except operators.OperatorError as exc:
        raise click.ClickException(str(exc)) from None


@operator_cli.command("create")
@click.argument("name")
@click.option("--password", help="Without it, you are asked twice (hidden).")
@click.option("--time-zone", default=DEFAULT_TIME_ZONE, show_default=True, help="IANA zone for dates on pages.")
def create(name: str, password: str | None, time_zone: str) -> None:
    """Create an operator who can sign in at /dashboard/login."""
    operator = _run(operators.create, name, _password(password), time_zone)
    click.echo(f"Created operator {operator.username!r}.")


@operator_cli.command("list")
def list_() -> None:
    """List operators, with their status and last sign-in."""
    rows = operators.all_operators()
    if not rows:
        click.echo("No operators yet: flask --app app operator create NAME")
        return
    click.echo(f"{'USERNAME':<24} {'STATUS':<9} {'TIME ZONE':<20} {'CREATED (UTC)':<17} LAST SIGN-IN (UTC)")
    for op in rows:
        last = f"{op.last_login_at:%Y-%m-%d %H:%M}" if op.last_login_at else "never"
        status = "disabled" if op.disabled else "active"
        click.echo(f"{op.username:<24} {status:<9} {op.time_zone:<20} {op.created_at:%Y-%m-%d %H:%M}  {last}")


@operator_cli.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Stop an operator from signing in (their open sessions end too)."""
    operator = _run(operators.set_disabled, name, True)
    click.echo(f"Disabled operator {operator.username!r}.")


@operator_cli.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Let a disabled operator sign in again."""
    operator = _run(operators.set_disabled, name, False)
    click.echo(f"Enabled operator {operator.username!r}.")


@operator_cli.command("set-password")
@click.argument("name")
@click.option("--password", help="Without it, you are asked twice (hidden).")
def set_password(name: str, password: str | None) -> None:
    """Change an operator's password; this signs them out everywhere and lifts a lockout."""
    _run(operators.get, name)
    operator = _run(operators.set_password, name, _password(password))
    click.echo(f"Changed the password of {operator.username!r}.")


overview_cli = AppGroup("overview", help="The dashboard overview's stored counts.")


@overview_cli.command("refresh")
def overview_refresh() -> None:
    """Count the closed 15-minute slots and the user totals now.

    The overview does this itself on its first look, which at millions of events takes
    seconds; run this once after upgrading a big database (or from cron) so no operator
    waits for it.
    """
    import time

    from wxauth.models import utcnow
    from wxauth.services import activity_counts, overview_totals

    started = time.monotonic()
    now = utcnow()
    activity_counts.ensure_rolled(now)
    click.echo(f"activity counts: up to date ({time.monotonic() - started:.1f} s)")
    started = time.monotonic()
    overview_totals.count(now)
    click.echo(f"user totals and active users: counted ({time.monotonic() - started:.1f} s)")


users_cli = AppGroup("users", help="Users: provision phone numbers for a mini-program whose sign-up is closed.")


@users_cli.command("provision")
@click.option("--appid", required=True, help="The mini-program the numbers are admitted to.")
@click.option("--phone", "phones", multiple=True, help="A phone number (repeat for several).")
@click.option("--file", "csv_file", type=click.File("r", encoding="utf-8-sig"), help="A CSV whose first column is the phone.")
def users_provision(appid: str, phones: tuple[str, ...], csv_file) -> None:
    """Admit people by phone number: their first login whose phone code yields the number
    creates their user (WXAUTH_SIGNUP=closed, or "signup": "closed" in WXAUTH_APPS)."""
    import csv

    from wxauth import settings
    from wxauth.services import provisioning

    app = settings.apps().get(appid)
    if app is None:
        raise click.ClickException(f"this deployment does not serve {appid!r}")
    numbers = list(phones)
    if csv_file is not None:
        rows = [row[0].strip() for row in csv.reader(csv_file) if row and row[0].strip()]
        if rows and not any(ch.isdigit() for ch in rows[0]):
            rows = rows[1:]  # a header line
        numbers += rows
    if not numbers:
        raise click.ClickException("give --phone or --file")
    try:
        with click.progressbar(length=len(numbers), label="Provisioning", show_pos=True) as bar:
            added = provisioning.provision(appid, numbers, progress=bar.update)
    except provisioning.ProvisionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{appid}: {added} number(s) provisioned, {len(numbers) - added} already were (sign-up: {app.signup})")
