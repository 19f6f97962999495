"""wxauth configuration, read once from the environment.

`load_settings(environ, instance_path)` parses and validates every variable into a frozen,
typed `Settings`; each problem is a `ConfigError` that names the variable. The app keeps the
one `Settings` it was built with (`wxauth.settings.current()`), and hands Flask and its
extensions their own keys (`Settings.flask_config()`). Nothing here reads `os.environ` at
import time: tests pass their own environment.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

WECHAT_API_BASE = "https://api.weixin.qq.com"

# The demo mini-program that sandbox mode serves when no real credentials are configured.
SANDBOX_APPID = "wx5a4d8b0c0de5a4d0"
SANDBOX_SECRET = "sandbox-demo-secret-0000000000000"  # noqa: S105 - the demo app of the sandbox is public by design
SANDBOX_APP_NAME = "wxauth sandbox demo"

DEFAULT_TOKEN_TTL = 7 * 24 * 3600
SECRET_KEY_MIN_LENGTH = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


SIGNUP_POLICIES = ("open", "phone", "closed")


@dataclass(frozen=True)
class MiniApp:
    """One mini-program this deployment serves."""

    appid: str
    secret: str = field(repr=False)  # never printed, even in a traceback
    name: str
    # Who may become a user: anyone ("open"), only with a phone bound at the first login
    # ("phone"), or only people an operator provisioned by phone number ("closed").
    signup: str = "open"


class Apps(Sequence[MiniApp]):
    """The mini-programs this deployment serves, in configured order; the first is the default."""

    def __init__(self, apps: Sequence[MiniApp]):
        if not apps:
            raise ConfigError("at least one mini-program must be configured")
        self._apps = tuple(apps)
        self._by_appid = {a.appid: a for a in self._apps}
        if len(self._by_appid) != len(self._apps):
            raise ConfigError("WXAUTH_APPS lists the same appid twice")

    def get(self, appid: str | None) -> MiniApp | None:
        """The app with this appid, or None if this deployment does not serve it."""
        return self._by_appid.get(appid) if appid is not None else None

    @property
    def default(self) -> MiniApp:
        """The app a request that names none is for."""
        return self._apps[0]

    @property
    def appids(self) -> tuple[str, ...]:
        return tuple(self._by_appid)

    def name_of(self, appid: str | None) -> str | None:
        app = self.get(appid)
        return app.name if app is not None else None

    def choices(self) -> list[tuple[str, str]]:
        """(appid, "name (appid)") pairs for a select box."""
        return [(a.appid, f"{a.name} ({a.appid})") for a in self._apps]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, MiniApp):
            return self._by_appid.get(item.appid) == item
        return isinstance(item, str) and item in self._by_appid

    @overload
    def __getitem__(self, index: int) -> MiniApp: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[MiniApp]: ...
    def __getitem__(self, index):
        return self._apps[index]

    def __iter__(self) -> Iterator[MiniApp]:
        return iter(self._apps)

    def __len__(self) -> int:
        return len(self._apps)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Apps) and other._apps == self._apps

    def __hash__(self) -> int:
        return hash(self._apps)

    def __repr__(self) -> str:
        return f"Apps({list(self._apps)!r})"


@dataclass(frozen=True)
class Settings:
    """Everything wxauth reads from its environment, parsed and validated."""

    sandbox: bool
    apps: Apps
    secret_key: str = field(repr=False)
    database_url: str
    # Fixed here, never taken from a request: in sandbox mode, this server's own sandbox at
    # WXAUTH_SANDBOX_URL (scripts/run and gunicorn.conf.py set it to where they listen).
    wechat_api_base: str
    wechat_timeout: float
    access_token_api: Literal["stable", "token"]
    sandbox_db: str
    # Requests for any other Host are refused (400), so no Host header picks a redirect
    # target; empty (sandbox mode without the setting) accepts any.
    server_names: tuple[str, ...]
    trust_forwarded_host: bool
    trusted_proxies: int
    token_ttl: int
    watermark_max_age: int
    require_phone: bool
    log_format: Literal["json", "text"]
    log_level: str
    log_flush_seconds: float
    metrics_token: str | None = field(repr=False)
    bench: bool  # mounts /_bench/ping, the bare endpoint bench/run measures against
    ratelimit_enabled: bool
    ratelimit_storage_uri: str
    ratelimit_login: str
    ratelimit_phone: str
    ratelimit_phone_user: str
    ratelimit_dashboard_login: str
    ratelimit_export: str
    ratelimit_dashboard_phone_search: str
    dashboard_idle_minutes: int
    dashboard_session_hours: int
    # "opaque" (signed session references, checked against the database) or "jwt" (EdDSA
    # access tokens other services verify offline, with refresh tokens).
    token_format: Literal["opaque", "jwt"] = "opaque"  # noqa: S105 - a format's name
    jwt_ttl: int = 900
    jwt_issuer: str = "wxauth"
    ratelimit_service_auth: str = "30/minute;300/hour"
    # "app": the app's own workers deliver webhooks; "worker": only `flask webhooks worker` does.
    webhook_delivery: Literal["app", "worker"] = "app"
    webhook_retry_hours: int = 24
    # The team's own blueprints, "module:attribute", mounted beside wxauth's (docs/extending.md).
    blueprints: tuple[str, ...] = ()
    # "required": every operator enrols a second factor at their next sign-in.
    operator_mfa: Literal["optional", "required"] = "optional"
    dashboard_locale: Literal["zh_Hans", "en"] = "zh_Hans"
    # Lab only: session cookies without Secure outside sandbox mode, so the dashboard works
    # over plain HTTP (a warning is logged at start).
    lab_insecure_cookies: bool = False
    max_content_length: int = 64 * 1024
    # Not an environment variable: the tests' app lowers it (scrypt is slow on purpose).
    password_hash_method: str = "scrypt"  # noqa: S105 - a hash method's name, not a password

    @property
    def secure_cookies(self) -> bool:
        return not self.sandbox and not self.lab_insecure_cookies

    def flask_config(self) -> dict[str, Any]:
        """The keys Flask and its extensions read from `app.config`."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "TRUSTED_HOSTS": list(self.server_names) or None,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "BABEL_DEFAULT_LOCALE": self.dashboard_locale,
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "wxauth" / "translations"),
            "RATELIMIT_ENABLED": self.ratelimit_enabled,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "RATELIMIT_HEADERS_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": "wxauth",
            # CSRF is checked where cookies authenticate: the dashboard's own hook (the API is
            # bearer-only), rather than by a global hook on every request.
            "WTF_CSRF_CHECK_DEFAULT": False,
        }


class _Env:
    """Typed reads of the environment; every failure names its variable."""

    def __init__(self, env: Mapping[str, str]):
        self._env = env

    def text(self, name: str, default: str = "") -> str:
        return self._env.get(name, "").strip() or default

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be 1 or 0, got {self._env[name]!r}")

    def integer(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise ConfigError(f"{name} must be {bounds}, got {value}")
        return value

    def seconds(self, name: str, default: float, *, zero_ok: bool = False) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
        if zero_ok and value == 0:
            return value
        if not 0 < value <= 300:
            lowest = "0 or more" if zero_ok else "more than 0"
            raise ConfigError(f"{name} must be {lowest} and at most 300 seconds, got {raw!r}")
        return value

    def choice(self, name: str, choices: Sequence[str], default: str, *, upper: bool = False) -> Any:
        raw = self.text(name, default)
        value = raw.upper() if upper else raw
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value

    def rate_limit(self, name: str, default: str) -> str:
        from limits import parse_many

        value = self.text(name, default)
        try:
            parse_many(value)
        except ValueError:
            raise ConfigError(f"{name} must be limits such as '30/minute;300/hour', got {value!r}") from None
        return value


def _apps(env: _Env) -> list[MiniApp]:
    raw = env.text("WXAUTH_APPS")
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
            signup = item.get("signup", "open")
            if signup not in SIGNUP_POLICIES:
                raise ConfigError(f"WXAUTH_APPS: signup of {item['appid']} must be one of {', '.join(SIGNUP_POLICIES)}")
            apps.append(MiniApp(str(item["appid"]), str(item["secret"]), str(item.get("name") or item["appid"]), signup))
        return apps
    appid = env.text("WXAUTH_APPID")
    secret = env.text("WXAUTH_SECRET")
    if appid and secret:
        return [MiniApp(appid, secret, env.text("WXAUTH_APP_NAME", appid), env.choice("WXAUTH_SIGNUP", SIGNUP_POLICIES, "open"))]
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


def _database_url(env: _Env, instance: Path) -> str:
    url = env.text("DATABASE_URL")
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance / 'wxauth.sqlite3'}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def _blueprints(env: _Env) -> tuple[str, ...]:
    names = tuple(b.strip() for b in env.text("WXAUTH_BLUEPRINTS").split(",") if b.strip())
    for name in names:
        module, _, attribute = name.partition(":")
        if not module or not attribute:
            raise ConfigError(f"WXAUTH_BLUEPRINTS entries are module:attribute, got {name!r}")
    return names


def load_settings(environ: Mapping[str, str], instance_path: str | Path) -> Settings:
    """Parse and validate the environment into Settings; ConfigError names what is wrong."""
    env = _Env(environ)
    instance = Path(instance_path)
    apps = _apps(env)
    sandbox = env.flag("WXAUTH_SANDBOX", default=not apps)
    if not apps:
        if not sandbox:
            raise ConfigError("WXAUTH_SANDBOX=0 needs WXAUTH_APPID/WXAUTH_SECRET or WXAUTH_APPS")
        apps = [MiniApp(SANDBOX_APPID, SANDBOX_SECRET, SANDBOX_APP_NAME, env.choice("WXAUTH_SIGNUP", SIGNUP_POLICIES, "open"))]

    secret_key = env.text("SECRET_KEY")
    if not secret_key:
        if not sandbox:
            raise ConfigError("SECRET_KEY is required outside sandbox mode")
        secret_key = _sandbox_secret_key(instance)
    elif len(secret_key) < SECRET_KEY_MIN_LENGTH and not sandbox:
        raise ConfigError(f"SECRET_KEY is too short: use at least {SECRET_KEY_MIN_LENGTH} random characters")

    server_names = tuple(h.strip().lower() for h in env.text("WXAUTH_SERVER_NAME").split(",") if h.strip())
    if not server_names and not sandbox:
        raise ConfigError(
            "WXAUTH_SERVER_NAME is required outside sandbox mode: the host name(s) clients use, "
            "comma-separated (e.g. auth.example.com,127.0.0.1 for a local health check)"
        )
    sandbox_url = env.text("WXAUTH_SANDBOX_URL", "http://127.0.0.1:5000").rstrip("/")
    wechat_api_base = env.text("WXAUTH_WECHAT_API_BASE").rstrip("/") or (
        sandbox_url + "/_sandbox/wechat" if sandbox else WECHAT_API_BASE
    )

    return Settings(
        sandbox=sandbox,
        apps=Apps(apps),
        secret_key=secret_key,
        database_url=_database_url(env, instance),
        wechat_api_base=wechat_api_base,
        wechat_timeout=env.seconds("WXAUTH_WECHAT_TIMEOUT", 10.0),
        access_token_api=env.choice("WXAUTH_ACCESS_TOKEN_API", ("stable", "token"), "stable"),
        sandbox_db=env.text("WXAUTH_SANDBOX_DB", str(instance / "sandbox.sqlite3")),
        server_names=server_names,
        trust_forwarded_host=env.flag("WXAUTH_TRUST_FORWARDED_HOST", default=False),
        trusted_proxies=env.integer("WXAUTH_TRUSTED_PROXIES", 0, maximum=10),
        token_ttl=env.integer("WXAUTH_TOKEN_TTL", DEFAULT_TOKEN_TTL, minimum=60),
        watermark_max_age=env.integer("WXAUTH_WATERMARK_MAX_AGE", 0),
        require_phone=env.flag("WXAUTH_REQUIRE_PHONE", default=False),
        log_format=env.choice("WXAUTH_LOG_FORMAT", ("json", "text"), "text" if sandbox else "json"),
        log_level=env.choice("WXAUTH_LOG_LEVEL", LOG_LEVELS, "INFO", upper=True),
        log_flush_seconds=env.seconds("WXAUTH_LOG_FLUSH_SECONDS", 0.5, zero_ok=True),
        metrics_token=env.text("WXAUTH_METRICS_TOKEN") or None,
        bench=env.flag("WXAUTH_BENCH", default=False),
        ratelimit_enabled=env.flag("WXAUTH_RATELIMIT_ENABLED", default=True),
        ratelimit_storage_uri=env.text("WXAUTH_RATELIMIT_STORAGE_URI", "memory://"),
        ratelimit_login=env.rate_limit("WXAUTH_RATELIMIT_LOGIN", "60/minute;600/hour"),
        ratelimit_phone=env.rate_limit("WXAUTH_RATELIMIT_PHONE", "30/minute;300/hour"),
        ratelimit_phone_user=env.rate_limit("WXAUTH_RATELIMIT_PHONE_USER", "5/minute;20/day"),
        ratelimit_dashboard_login=env.rate_limit("WXAUTH_RATELIMIT_DASHBOARD_LOGIN", "10/minute"),
        ratelimit_export=env.rate_limit("WXAUTH_RATELIMIT_EXPORT", "10/hour"),
        ratelimit_dashboard_phone_search=env.rate_limit("WXAUTH_RATELIMIT_DASHBOARD_PHONE_SEARCH", "20/hour;60/day"),
        dashboard_idle_minutes=env.integer("WXAUTH_DASHBOARD_IDLE_MINUTES", 30, minimum=1),
        dashboard_session_hours=env.integer("WXAUTH_DASHBOARD_SESSION_HOURS", 12, minimum=1),
        token_format=env.choice("WXAUTH_TOKEN_FORMAT", ("opaque", "jwt"), "opaque"),
        jwt_ttl=env.integer("WXAUTH_JWT_TTL", 900, minimum=60, maximum=3600),
        jwt_issuer=env.text("WXAUTH_JWT_ISSUER", "wxauth"),
        ratelimit_service_auth=env.rate_limit("WXAUTH_RATELIMIT_SERVICE_AUTH", "30/minute;300/hour"),
        webhook_delivery=env.choice("WXAUTH_WEBHOOK_DELIVERY", ("app", "worker"), "app"),
        webhook_retry_hours=env.integer("WXAUTH_WEBHOOK_RETRY_HOURS", 24, minimum=1, maximum=168),
        blueprints=_blueprints(env),
        operator_mfa=env.choice("WXAUTH_OPERATOR_MFA", ("optional", "required"), "optional"),
        dashboard_locale=env.choice("WXAUTH_DASHBOARD_LOCALE", ("zh_Hans", "en"), "zh_Hans"),
        lab_insecure_cookies=env.flag("WXAUTH_LAB_INSECURE_COOKIES", default=False),
    )
