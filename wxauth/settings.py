"""The running app's Settings (see config.py): built once by create_app, read everywhere."""

from __future__ import annotations

from flask import current_app

from config import Apps, Settings

EXTENSION = "wxauth.settings"


def current() -> Settings:
    """The Settings of the app handling this request or command."""
    return current_app.extensions[EXTENSION]


def apps() -> Apps:
    """The mini-programs the current app serves."""
    return current().apps
