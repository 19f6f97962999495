"""Signed webhooks with a transactional outbox.

`outbox` writes an event for each subscribed endpoint in the transaction of the change it
reports (one INSERT … SELECT); `delivery` claims due rows, signs and POSTs them, and records
every attempt; `dispatcher` runs delivery in the app's own processes; `endpoints` manages
the receivers; `cli` is `flask webhooks`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire delivery into the app (see dispatcher.init_app)."""
    from wxauth.webhooks import dispatcher

    dispatcher.init_app(app)
