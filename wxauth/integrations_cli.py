"""`flask clients …`: the service clients of the team's other services; `flask keys …`: the
JWT signing keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from wxauth.services import clients, signing_keys

clients_cli = AppGroup("clients", help="Manage service clients (HTTP Basic credentials of your other services).")
keys_cli = AppGroup("keys", help="Manage the JWT signing keys.")


@clients_cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(clients.SCOPES), help="Repeatable.")
def clients_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a client; its secret is printed once and stored only as a hash."""
    try:
        created = clients.create(name, list(scopes))
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"client_id: {created.client_id}")
    click.echo(f"client_secret: {created.client_secret}")


@clients_cli.command("list")
def clients_list() -> None:
    """List clients (never their secrets)."""
    rows = clients.listed()
    if not rows:
        click.echo("No service clients yet: flask --app app clients create NAME --scope introspect")
        return
    click.echo(f"{'NAME':<24} {'CLIENT ID':<26} {'SCOPES':<24} {'STATUS':<8} LAST USED (UTC)")
    for c in rows:
        last = f"{c.last_used_at:%Y-%m-%d %H:%M}" if c.last_used_at else "never"
        status = "revoked" if c.revoked_at else "active"
        click.echo(f"{c.name:<24} {c.client_id:<26} {c.scopes:<24} {status:<8} {last}")


@clients_cli.command("revoke")
@click.argument("name")
def clients_revoke(name: str) -> None:
    """Revoke a client: refused at once here, within 10 s on every other instance."""
    if not clients.revoke(name):
        raise click.ClickException(f"No live client named {name}.")
    click.echo(f"Revoked client {name!r}.")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Sign new JWTs with a new key; the old public key stays in the JWKS until its tokens expired."""
    kid = signing_keys.rotate()
    click.echo(f"New signing key: {kid}")


@keys_cli.command("list")
def keys_list() -> None:
    """List signing keys (kid, created, retired)."""
    rows = signing_keys.listed()
    if not rows:
        click.echo("No signing key yet: one is made at the first JWT login, or by flask keys rotate.")
        return
    for key in rows:
        retired = f"retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else "signing"
        click.echo(f"{key.kid:<20} {key.alg:<6} created {key.created_at:%Y-%m-%d %H:%M}  {retired}")
