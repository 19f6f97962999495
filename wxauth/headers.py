"""Response headers every part of the app shares: no caching of API answers, HSTS over TLS.

API answers carry tokens and personal data, so no shared or browser cache may keep them
and no browser may sniff them into something else. When the request came over TLS (by
itself, or as a trusted proxy's X-Forwarded-Proto says), browsers are told to use TLS only.

WSGI middleware, like the request log: it needs only the path and the scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask

API_PREFIXES = ("/api/", "/_sandbox/api/")
HSTS = "max-age=31536000; includeSubDomains"
_API = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
_REPLACED = {"cache-control", "x-content-type-options"}


class SharedHeaders:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        api = path.startswith(API_PREFIXES) or path == "/api"
        secure = environ.get("wsgi.url_scheme") == "https"
        if not api and not secure:
            return self.wsgi_app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            if api:
                headers[:] = [h for h in headers if h[0].lower() not in _REPLACED] + _API
            if secure and not any(name.lower() == "strict-transport-security" for name, _ in headers):
                headers.append(("Strict-Transport-Security", HSTS))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    app.wsgi_app = SharedHeaders(app.wsgi_app)  # type: ignore[method-assign]
