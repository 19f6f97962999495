"""The application factory: it only wires."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_config
from wxauth import database
from wxauth.extensions import csrf, db, limiter, login_manager, migrate
from wxauth.json import JSONProvider

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("wxauth")


class WxAuthFlask(Flask):
    json_provider_class = JSONProvider


def create_app(config: Mapping | None = None, *, environ: Mapping[str, str] | None = None) -> Flask:
    """Build the app from `environ` (default: os.environ), then apply `config` overrides."""
    app = WxAuthFlask(
        "wxauth",
        root_path=str(ROOT / "wxauth"),
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(os.environ if environ is None else environ, app.instance_path))
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])

    register_logging(app)
    register_proxy_fix(app)
    register_headers(app)
    register_extensions(app)
    register_wechat(app)
    register_blueprints(app)
    register_bench(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    from wxauth import requestlog
    from wxauth.logs import configure

    configure(app)
    requestlog.init_app(app)


def register_proxy_fix(app: Flask) -> None:
    hops = app.config["WXAUTH_TRUSTED_PROXIES"]
    if hops:
        # X-Forwarded-Host names where redirects point: only trusted when asked for.
        host_hops = hops if app.config["WXAUTH_TRUST_FORWARDED_HOST"] else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=host_hops)


def register_headers(app: Flask) -> None:
    from wxauth import headers

    headers.init_app(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    from wxauth.ratelimit import storage_uri

    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    login_manager.init_app(app)


def register_wechat(app: Flask) -> None:
    from wxauth.wechat.api import WeChatAPI
    from wxauth.wechat.client import WeChatClient
    from wxauth.wechat.tokens import AccessTokenCache

    client = WeChatClient(app.config["WXAUTH_WECHAT_API_BASE"], app.config["WXAUTH_WECHAT_TIMEOUT"])
    tokens = AccessTokenCache(db, client, app.config["SECRET_KEY"], api=app.config["WXAUTH_ACCESS_TOKEN_API"])
    app.extensions["wxauth.wechat"] = WeChatAPI(client, tokens)


def register_blueprints(app: Flask) -> None:
    from wxauth import api, dashboard, health, metrics

    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)
    csrf.exempt(api.bp)  # bearer tokens, not cookies: CSRF does not apply
    app.register_blueprint(health.bp)
    dashboard.init_app(app)  # cookie sessions: CSRF applies to every form
    if app.config["WXAUTH_SANDBOX"]:
        from wxauth import sandbox

        sandbox.init_app(app)
        csrf.exempt(sandbox.bp)
        log.warning(
            "SANDBOX MODE: WeChat is simulated at /_sandbox/ (no real AppID configured). "
            "Set WXAUTH_APPID/WXAUTH_SECRET and WXAUTH_SANDBOX=0 for production."
        )


def register_bench(app: Flask) -> None:
    if app.config["WXAUTH_BENCH"]:
        from wxauth import bench

        bench.init_app(app)


def register_error_handlers(app: Flask) -> None:
    from wxauth.api.errors import register_error_handlers as register_api

    register_api(app)


def register_commands(app: Flask) -> None:
    from wxauth.cli import register

    register(app)
