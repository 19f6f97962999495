"""`flask webhooks …`: add, list, remove and test endpoints; run delivery on its own."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from wxauth.webhooks import dispatcher, endpoints
from wxauth.webhooks.outbox import EVENTS

webhooks_cli = AppGroup("webhooks", help="Manage signed webhooks.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True, type=click.Choice(EVENTS), help="Repeatable.")
def add(url: str, events: tuple[str, ...]) -> None:
    """Send EVENTS to URL; prints the signing secret once."""
    try:
        added = endpoints.add(url, list(events))
    except endpoints.EndpointError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"secret: {added.secret}")


@webhooks_cli.command("list")
def list_() -> None:
    """List endpoints and their events (never their secrets)."""
    rows = endpoints.listed()
    if not rows:
        click.echo("No webhook endpoints yet: flask --app app webhooks add URL --event user.created")
        return
    for endpoint in rows:
        click.echo(f"{endpoint.url}  {' '.join(endpoint.event_list)}  (added {endpoint.created_at:%Y-%m-%d %H:%M} UTC)")


@webhooks_cli.command("remove")
@click.argument("url")
def remove(url: str) -> None:
    """Stop sending to URL."""
    if not endpoints.remove(url):
        raise click.ClickException(f"No endpoint at {url}.")
    click.echo(f"Removed {url}.")


@webhooks_cli.command("test")
@click.argument("url")
def test(url: str) -> None:
    """Send a signed webhook.test event to URL now and say what it answered."""
    from wxauth.webhooks import testing

    endpoint = endpoints.find(url)
    if endpoint is None:
        raise click.ClickException(f"No endpoint at {url}: add it first.")
    outcome = testing.send_test(endpoint)
    if not outcome.delivered:
        raise click.ClickException(f"{url} did not accept the test event: {outcome.error} ({outcome.latency_ms} ms)")
    click.echo(f"Delivered: HTTP {outcome.status_code} in {outcome.latency_ms} ms.")


@webhooks_cli.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age, e.g. 30d.")
def purge(older_than: str) -> None:
    """Delete delivered and failed deliveries (and their attempts) older than the given age;
    pending ones stay until they are delivered or fail."""
    from wxauth import retention
    from wxauth.models import WebhookDelivery, utcnow

    cutoff = utcnow() - retention.parse_age(older_than)
    done = (WebhookDelivery.status.in_(("delivered", "failed")),)
    deleted = retention.purge(WebhookDelivery, cutoff, 5000, where=done)
    click.echo(f"webhook_deliveries: deleted {deleted} rows older than {cutoff:%Y-%m-%d %H:%M} UTC")


@webhooks_cli.command("worker")
def worker() -> None:
    """Deliver webhooks in this process until stopped (with WXAUTH_WEBHOOK_DELIVERY=worker,
    the only process that does)."""
    click.echo("Delivering webhooks; Ctrl-C stops.")
    try:
        dispatcher.run_forever(current_app._get_current_object())  # type: ignore[attr-defined]
    except KeyboardInterrupt:
        pass
