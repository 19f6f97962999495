"""The mini-program simulator at /_sandbox/: a page that plays the mini-program in a browser.

It is only a client. It runs the real client kit (clients/miniprogram/wxauth.js) on a
browser stand-in for `wx` (sandbox-wx.js) and calls the real API; the control API only
provides what WeChat's client would (codes, encrypted data) and injects faults.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, render_template, send_from_directory

from wxauth import settings
from wxauth.sandbox import bp

KIT_DIR = Path(__file__).resolve().parents[2] / "clients" / "miniprogram"
KIT_FILES = frozenset({"wxauth.js", "sandbox-wx.js"})

# Everything the page loads is its own: no inline script or style, no CDN. Avatars may be
# any https URL a user filled in elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@bp.get("/")
def simulator():
    page = render_template("sandbox/simulator.html", apps=settings.apps())
    return page, {"Content-Security-Policy": CSP}


@bp.get("/kit/<name>")
def kit_file(name: str):
    """The client kit, served from its one source so the simulator runs exactly what ships."""
    if name not in KIT_FILES:
        abort(404)
    return send_from_directory(KIT_DIR, name, mimetype="text/javascript", max_age=0)
