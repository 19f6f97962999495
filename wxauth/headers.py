"""Response headers every part of the app shares: no caching of API answers, HSTS over TLS.

API answers carry tokens and personal data, so no shared or browser cache may keep them
and no browser may sniff them into something else. When the request came over TLS (by
itself, or as a trusted proxy's X-Forwarded-Proto says), browsers are told to use TLS only.
"""

from __future__ import annotations

from flask import Flask, request

API_PREFIXES = ("/api/", "/_sandbox/api/")
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    @app.after_request
    def shared_headers(response):
        if request.path.startswith(API_PREFIXES) or request.path == "/api":
            response.headers["Cache-Control"] = "no-store"
            response.headers["X-Content-Type-Options"] = "nosniff"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
