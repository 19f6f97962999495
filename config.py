"""wxauth configuration, read once from the environment.

`load_config(environ, instance_path)` turns environment variables into the Flask config
mapping. Tests build their own mapping and pass it to `create_app`, so nothing here reads
`os.environ` at import time.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

WECHAT_API_BASE = "https://api.weixin.qq.com"

# The demo mini-program that sandbox mode serves when no real credentials are configured.
SANDBOX_APPID = "wx5a4d8b0c0de5a4d0"
SANDBOX_SECRET = "sandbox-demo-secret-0000000000000"  # noqa: S105 - the demo app of the sandbox is public by design
SANDBOX_APP_NAME = "wxauth sandbox demo"

DEFAULT_TOKEN_TTL = 7 * 24 * 3600


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


@dataclass(frozen=True)
class MiniApp:
    """One mini-program this deployment serves."""

    appid: str
    secret: str
    name: str

    def __repr__(self) -> str:  # never print the secret, even in a traceback
        return f"MiniApp(appid={self.appid!r}, name={self.name!r})"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected 1 or 0, got {value!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _apps(env: Mapping[str, str]) -> list[MiniApp]:
    raw = env.get("WXAUTH_APPS", "").strip()
    if raw:
        try:
            items = json.loads(raw)
        except ValueError:
            raise ConfigError("WXAUTH_APPS must be a JSON list of {appid, secret, name}") from None
        if not isinstance(items, list) or not items:
            raise ConfigError("WXAUTH_APPS must be a non-empty JSON list")
        apps = []
        for item in items:
            if not isinstance(item, dict) or not item.get("appid") or not item.get("secret"):
                raise ConfigError("each WXAUTH_APPS entry needs an appid and a secret")
            apps.append(MiniApp(str(item["appid"]), str(item["secret"]), str(item.get("name") or item["appid"])))
        if len({a.appid for a in apps}) != len(apps):
            raise ConfigError("WXAUTH_APPS lists the same appid twice")
        return apps
    appid = env.get("WXAUTH_APPID", "").strip()
    secret = env.get("WXAUTH_SECRET", "").strip()
    if appid and secret:
        return [MiniApp(appid, secret, env.get("WXAUTH_APP_NAME", appid))]
    if appid or secret:
        raise ConfigError("set both WXAUTH_APPID and WXAUTH_SECRET, or neither (sandbox)")
    return []


def _sandbox_secret_key(instance_path: Path) -> str:
    """A SECRET_KEY generated once per instance folder, for sandbox mode only."""
    path = instance_path / "sandbox-secret-key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once agree on whichever key was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_config(env: Mapping[str, str], instance_path: str | Path) -> dict:
    """Build the Flask config mapping from environment variables."""
    instance = Path(instance_path)
    apps = _apps(env)
    sandbox = _flag(env.get("WXAUTH_SANDBOX"), default=not apps)
    if not apps:
        if not sandbox:
            raise ConfigError("WXAUTH_SANDBOX=0 needs WXAUTH_APPID/WXAUTH_SECRET or WXAUTH_APPS")
        apps = [MiniApp(SANDBOX_APPID, SANDBOX_SECRET, SANDBOX_APP_NAME)]

    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if not sandbox:
            raise ConfigError("SECRET_KEY is required outside sandbox mode")
        secret_key = _sandbox_secret_key(instance)
    elif len(secret_key) < 16 and not sandbox:
        raise ConfigError("SECRET_KEY is too short: use at least 32 random characters")

    database_url = env.get("DATABASE_URL", "").strip()
    if not database_url:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'wxauth.sqlite3'}"
    elif database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    token_api = env.get("WXAUTH_ACCESS_TOKEN_API", "").strip() or "stable"
    if token_api not in ("stable", "token"):
        raise ConfigError("WXAUTH_ACCESS_TOKEN_API must be 'stable' or 'token'")

    log_format = env.get("WXAUTH_LOG_FORMAT", "").strip() or ("text" if sandbox else "json")
    if log_format not in ("json", "text"):
        raise ConfigError("WXAUTH_LOG_FORMAT must be 'json' or 'text'")

    server_names = [h.strip().lower() for h in env.get("WXAUTH_SERVER_NAME", "").split(",") if h.strip()]
    if not server_names and not sandbox:
        raise ConfigError(
            "WXAUTH_SERVER_NAME is required outside sandbox mode: the host name(s) clients use, "
            "comma-separated (e.g. auth.example.com,127.0.0.1 for a local health check)"
        )
    sandbox_url = env.get("WXAUTH_SANDBOX_URL", "").strip().rstrip("/") or "http://127.0.0.1:5000"

    return {
        "SECRET_KEY": secret_key,
        "WXAUTH_LOG_FORMAT": log_format,
        "WXAUTH_ACCESS_TOKEN_API": token_api,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WXAUTH_APPS": apps,
        "WXAUTH_SANDBOX": sandbox,
        # Fixed here, never taken from a request: in sandbox mode, this server's own sandbox
        # at WXAUTH_SANDBOX_URL (scripts/run and gunicorn.conf.py set it to where they listen).
        "WXAUTH_WECHAT_API_BASE": env.get("WXAUTH_WECHAT_API_BASE", "").strip().rstrip("/")
        or (sandbox_url + "/_sandbox/wechat" if sandbox else WECHAT_API_BASE),
        # Requests for any other Host are refused (400), so no Host header picks a redirect
        # target; None (sandbox mode without the setting) accepts any.
        "TRUSTED_HOSTS": server_names or None,
        "WXAUTH_TRUST_FORWARDED_HOST": _flag(env.get("WXAUTH_TRUST_FORWARDED_HOST"), default=False),
        "WXAUTH_SANDBOX_DB": env.get("WXAUTH_SANDBOX_DB", "").strip() or str(instance / "sandbox.sqlite3"),
        "WXAUTH_TOKEN_TTL": _int(env, "WXAUTH_TOKEN_TTL", DEFAULT_TOKEN_TTL, minimum=60),
        "WXAUTH_TRUSTED_PROXIES": _int(env, "WXAUTH_TRUSTED_PROXIES", 0),
        "WXAUTH_WATERMARK_MAX_AGE": _int(env, "WXAUTH_WATERMARK_MAX_AGE", 0),
        "WXAUTH_REQUIRE_PHONE": _flag(env.get("WXAUTH_REQUIRE_PHONE"), default=False),
        "WXAUTH_WECHAT_TIMEOUT": float(env.get("WXAUTH_WECHAT_TIMEOUT", "") or 10.0),
        "WXAUTH_LOG_LEVEL": env.get("WXAUTH_LOG_LEVEL", "INFO").upper(),
        "WXAUTH_METRICS_TOKEN": env.get("WXAUTH_METRICS_TOKEN", "").strip() or None,
        # Mounts /_bench/ping, the bare endpoint bench/run measures against (wxauth.bench).
        "WXAUTH_BENCH": _flag(env.get("WXAUTH_BENCH"), default=False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not sandbox,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": not sandbox,
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # Flask-Limiter's own settings, fed from ours.
        "RATELIMIT_ENABLED": _flag(env.get("WXAUTH_RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URI": env.get("WXAUTH_RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "wxauth",
        "WXAUTH_RATELIMIT_LOGIN": env.get("WXAUTH_RATELIMIT_LOGIN", "").strip() or "60/minute;600/hour",
        "WXAUTH_RATELIMIT_PHONE": env.get("WXAUTH_RATELIMIT_PHONE", "").strip() or "30/minute;300/hour",
        "WXAUTH_RATELIMIT_PHONE_USER": env.get("WXAUTH_RATELIMIT_PHONE_USER", "").strip() or "5/minute;20/day",
        "WXAUTH_DASHBOARD_IDLE_MINUTES": _int(env, "WXAUTH_DASHBOARD_IDLE_MINUTES", 30, minimum=1),
        "WXAUTH_DASHBOARD_SESSION_HOURS": _int(env, "WXAUTH_DASHBOARD_SESSION_HOURS", 12, minimum=1),
        "WXAUTH_RATELIMIT_DASHBOARD_PHONE_SEARCH": env.get("WXAUTH_RATELIMIT_DASHBOARD_PHONE_SEARCH", "").strip()
        or "20/hour;60/day",
        "WXAUTH_RATELIMIT_DASHBOARD_LOGIN": env.get("WXAUTH_RATELIMIT_DASHBOARD_LOGIN", "").strip() or "10/minute",
    }
