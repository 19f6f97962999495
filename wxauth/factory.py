"""The application factory: it only wires."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings, load_settings
from wxauth import database
from wxauth import settings as wxauth_settings
from wxauth.extensions import csrf, db, limiter, login_manager, migrate
from wxauth.json import JSONProvider

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("wxauth")


class WxAuthFlask(Flask):
    json_provider_class = JSONProvider

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from wxauth.sessions_cookie import DashboardSessionInterface

        self.session_interface = DashboardSessionInterface()
        self._sync: dict = {}

    def ensure_sync(self, func):
        # Flask asks, for every hook and view on every request, whether it is a coroutine
        # function; none here changes its nature, so the answer is kept per function.
        try:
            return self._sync[func]
        except KeyError:
            sync = super().ensure_sync(func)
            if len(self._sync) < 4096:  # hooks and views: a bounded set, unless something makes them per call
                self._sync[func] = sync
            return sync


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the app from `environ` (default: os.environ).

    `settings` replaces fields of the Settings read from it (tests lower the password hash
    cost this way); `config` adds Flask keys (TESTING).
    """
    app = WxAuthFlask(
        "wxauth",
        root_path=str(ROOT / "wxauth"),
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    loaded = load_settings(os.environ if environ is None else environ, app.instance_path)
    if settings:
        loaded = dataclasses.replace(loaded, **settings)
    app.extensions[wxauth_settings.EXTENSION] = loaded
    app.config.update(loaded.flask_config())
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(loaded.database_url)

    # WSGI middleware, innermost first: the request log and the shared headers read the
    # client address and scheme that ProxyFix, outside them, has set from a trusted proxy.
    register_logging(app, loaded)
    register_headers(app)
    register_proxy_fix(app, loaded)
    register_extensions(app)
    register_wechat(app, loaded)
    register_blueprints(app, loaded)
    register_commands(app)
    return app


def register_logging(app: Flask, settings: Settings) -> None:
    from wxauth import requestlog
    from wxauth.logs import configure

    configure(settings.log_level, settings.log_format)
    requestlog.init_app(app, settings.log_flush_seconds)


def register_proxy_fix(app: Flask, settings: Settings) -> None:
    hops = settings.trusted_proxies
    if hops:
        # X-Forwarded-Host names where redirects point: only trusted when asked for.
        host_hops = hops if settings.trust_forwarded_host else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=host_hops)  # type: ignore[method-assign]


def register_headers(app: Flask) -> None:
    from wxauth import headers

    headers.init_app(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    if not app.config["WTF_CSRF_CHECK_DEFAULT"]:
        # The dashboard checks its own forms (config.py); the extension's global hook would
        # only return, on every request.
        hooks = app.before_request_funcs[None]
        hooks[:] = [f for f in hooks if getattr(f, "__qualname__", "") != "CSRFProtect.init_app.<locals>.csrf_protect"]
    from wxauth import ratelimit

    app.config["RATELIMIT_STORAGE_URI"] = ratelimit.storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    ratelimit.init_app(app)
    login_manager.init_app(app)


def register_wechat(app: Flask, settings: Settings) -> None:
    from wxauth.wechat.api import WeChatAPI
    from wxauth.wechat.client import WeChatClient
    from wxauth.wechat.tokens import AccessTokenCache

    client = WeChatClient(settings.wechat_api_base, settings.wechat_timeout)
    tokens = AccessTokenCache(db, client, settings.secret_key, api=settings.access_token_api)
    app.extensions["wxauth.wechat"] = WeChatAPI(client, tokens)


def register_blueprints(app: Flask, settings: Settings) -> None:
    from wxauth import api, dashboard, errors, health, metrics

    errors.init_app(app)
    api.init_app(app)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(health.bp)
    dashboard.init_app(app)  # cookie sessions: CSRF applies to every form
    if settings.sandbox:
        from wxauth import sandbox

        sandbox.init_app(app)
        log.warning(
            "SANDBOX MODE: WeChat is simulated at /_sandbox/ (no real AppID configured). "
            "Set WXAUTH_APPID/WXAUTH_SECRET and WXAUTH_SANDBOX=0 for production."
        )
    if settings.lab_insecure_cookies and not settings.sandbox:
        log.warning(
            "WXAUTH_LAB_INSECURE_COOKIES=1: dashboard cookies are sent over plain HTTP, where anyone on "
            "the network can read and replay them. For a lab only; in production put TLS in front."
        )
    if settings.bench:
        from wxauth import bench

        bench.init_app(app)
    from wxauth import webhooks

    webhooks.init_app(app)
    register_team_blueprints(app, settings)


def register_team_blueprints(app: Flask, settings: Settings) -> None:
    """Mount the team's own blueprints named by WXAUTH_BLUEPRINTS (docs/extending.md)."""
    import importlib

    from config import ConfigError

    for name in settings.blueprints:
        module_name, _, attribute = name.partition(":")
        try:
            blueprint = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"WXAUTH_BLUEPRINTS: cannot load {name} ({exc})") from exc
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from wxauth.cli import register

    register(app)
