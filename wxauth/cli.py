"""Flask CLI commands, registered by the factory. Each group lives next to what it acts on."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from wxauth.dashboard.cli import operator_cli, overview_cli, users_cli
    from wxauth.demo.cli import demo_cli
    from wxauth.integrations_cli import clients_cli, keys_cli
    from wxauth.retention import events_cli
    from wxauth.webhooks.cli import webhooks_cli

    app.cli.add_command(operator_cli)
    app.cli.add_command(overview_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(clients_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(webhooks_cli)
