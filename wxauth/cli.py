"""Flask CLI commands, registered by the factory."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Nothing yet beyond Flask-Migrate's `flask db`; feature commands register here."""
