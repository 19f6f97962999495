"""`flask operator …`: manage the people who may sign in to the dashboard; `flask overview
refresh`: fill the overview's stored counts ahead of its first look; `flask users provision`:
admit phone numbers to a mini-program whose sign-up is closed."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from wxauth.models.operators import DEFAULT_TIME_ZONE, ROLES
from wxauth.services import ClientInfo, audit, operators

operator_cli = AppGroup("operator", help="Manage dashboard operators.")


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


def _run(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except operators.OperatorError as exc:
        raise click.ClickException(str(exc)) from None


def _audit(action: str, detail: str) -> None:
    """The audit names the shell's user as the one who acted (there is no operator)."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    audit.record(None, action, detail, ClientInfo(ip=None, user_agent=None), username=f"shell:{who}"[:64])


@operator_cli.command("create")
@click.argument("name")
@click.option("--password", help="Without it, you are asked twice (hidden).")
@click.option("--time-zone", default=DEFAULT_TIME_ZONE, show_default=True, help="IANA zone for dates on pages.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=operators.DEFAULT_ROLE,
    show_default=True,
    help="viewer reads; support also reveals phones, revokes sessions, exports; admin also manages.",
)
def create(name: str, password: str | None, time_zone: str, role: str) -> None:
    """Create an operator who can sign in at /dashboard/login."""
    operator = _run(operators.create, name, _password(password), time_zone, role)
    _audit(audit.OPERATOR_CREATE, f"{operator.username}: {operator.role}")
    click.echo(f"Created operator {operator.username!r} ({operator.role}).")


@operator_cli.command("list")
def list_() -> None:
    """List operators, with their status and last sign-in."""
    rows = operators.all_operators()
    if not rows:
        click.echo("No operators yet: flask --app app operator create NAME")
        return
    click.echo(
        f"{'USERNAME':<24} {'ROLE':<8} {'STATUS':<9} {'MFA':<4} {'TIME ZONE':<20} {'CREATED (UTC)':<17} LAST SIGN-IN (UTC)"
    )
    for op in rows:
        last = f"{op.last_login_at:%Y-%m-%d %H:%M}" if op.last_login_at else "never"
        status = "disabled" if op.disabled else "active"
        mfa = "on" if op.mfa_enabled else "off"
        click.echo(
            f"{op.username:<24} {op.role:<8} {status:<9} {mfa:<4} {op.time_zone:<20} {op.created_at:%Y-%m-%d %H:%M}  {last}"
        )


@operator_cli.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Stop an operator from signing in (their open sessions end too)."""
    operator = _run(operators.set_disabled, name, True)
    _audit(audit.OPERATOR_DISABLE, operator.username)
    click.echo(f"Disabled operator {operator.username!r}.")


@operator_cli.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Let a disabled operator sign in again."""
    operator = _run(operators.set_disabled, name, False)
    _audit(audit.OPERATOR_ENABLE, operator.username)
    click.echo(f"Enabled operator {operator.username!r}.")


@operator_cli.command("set-password")
@click.argument("name")
@click.option("--password", help="Without it, you are asked twice (hidden).")
def set_password(name: str, password: str | None) -> None:
    """Change an operator's password; this signs them out everywhere and lifts a lockout."""
    _run(operators.get, name)
    operator = _run(operators.set_password, name, _password(password))
    _audit(audit.PASSWORD_RESET, operator.username)
    click.echo(f"Changed the password of {operator.username!r}.")


@operator_cli.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def set_role(name: str, role: str) -> None:
    """Give an operator another role (their sessions end, so it holds at once)."""
    operator = _run(operators.set_role, name, role)
    _audit(audit.OPERATOR_ROLE, f"{operator.username}: {role}")
    click.echo(f"{operator.username!r} is now {role}.")


@operator_cli.command("reset-mfa")
@click.argument("name")
def reset_mfa(name: str) -> None:
    """Forget an operator's second factor (a lost phone): they enrol again at next sign-in."""
    operator = _run(operators.reset_mfa, name)
    _audit(audit.MFA_RESET, operator.username)
    click.echo(f"Reset the second factor of {operator.username!r}: they enrol again at their next sign-in.")


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
