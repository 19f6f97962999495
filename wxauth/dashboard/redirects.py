"""Where the dashboard may send a browser back to: its own pages only (no open redirect)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None) -> str:
    """`target` if it is a dashboard path on this site, else the overview (no open redirect)."""
    fallback = url_for("dashboard.overview")
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(fallback.rstrip("/")):
        return fallback
    return target
