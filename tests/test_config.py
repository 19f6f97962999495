"""Configuration from the environment, and what sandbox mode switches on and off."""

from __future__ import annotations

import json
import logging

import pytest

from config import SANDBOX_APPID, ConfigError, load_settings
from wxauth.factory import create_app

REAL = {
    "WXAUTH_APPID": "wx1234567890abcdef",
    "WXAUTH_SECRET": "s3cret-value",
    "SECRET_KEY": "x" * 40,
    "WXAUTH_SERVER_NAME": "auth.example.com,localhost",  # localhost: the test client
}


def test_no_environment_means_sandbox_on_sqlite(tmp_path):
    settings = load_settings({}, tmp_path)
    assert settings.sandbox is True
    assert settings.apps.default.appid == SANDBOX_APPID
    assert settings.database_url == f"sqlite:///{tmp_path / 'wxauth.sqlite3'}"
    assert settings.wechat_api_base == "http://127.0.0.1:5000/_sandbox/wechat"  # this server's own sandbox
    assert settings.flask_config()["TRUSTED_HOSTS"] is None
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is False


def test_sandbox_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_settings({}, tmp_path).secret_key
    assert len(first) >= 32
    assert load_settings({}, tmp_path).secret_key == first
    assert (tmp_path / "sandbox-secret-key").stat().st_mode & 0o077 == 0


def test_real_credentials_turn_sandbox_off(tmp_path):
    settings = load_settings(REAL, tmp_path)
    assert settings.sandbox is False
    assert settings.wechat_api_base == "https://api.weixin.qq.com"
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True
    assert settings.flask_config()["TRUSTED_HOSTS"] == ["auth.example.com", "localhost"]


@pytest.mark.parametrize(
    "env",
    [
        {"WXAUTH_APPID": "wx1", "WXAUTH_SECRET": "s"},  # no SECRET_KEY outside sandbox
        {k: v for k, v in REAL.items() if k != "WXAUTH_SERVER_NAME"},  # no host names outside sandbox
        {**REAL, "SECRET_KEY": "short"},
        {"WXAUTH_SANDBOX": "0"},  # no credentials
        {"WXAUTH_APPID": "wx1"},  # half the credentials
        {**REAL, "WXAUTH_TOKEN_TTL": "soon"},
        {**REAL, "WXAUTH_SANDBOX": "maybe"},
        {"WXAUTH_APPS": "not json"},
        {"WXAUTH_APPS": json.dumps([{"appid": "wx1"}])},
        {"WXAUTH_APPS": json.dumps([{"appid": "wx1", "secret": "a"}, {"appid": "wx1", "secret": "b"}])},
    ],
)
def test_bad_environments_refuse_to_start(tmp_path, env):
    with pytest.raises(ConfigError):
        load_settings(env, tmp_path)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**REAL, "WXAUTH_WECHAT_TIMEOUT": "soon"}, "WXAUTH_WECHAT_TIMEOUT"),
        ({**REAL, "WXAUTH_WECHAT_TIMEOUT": "0"}, "WXAUTH_WECHAT_TIMEOUT"),
        ({**REAL, "WXAUTH_TOKEN_TTL": "5"}, "WXAUTH_TOKEN_TTL"),
        ({**REAL, "WXAUTH_RATELIMIT_LOGIN": "lots"}, "WXAUTH_RATELIMIT_LOGIN"),
        ({**REAL, "WXAUTH_LOG_LEVEL": "chatty"}, "WXAUTH_LOG_LEVEL"),
        ({**REAL, "WXAUTH_LOG_FORMAT": "xml"}, "WXAUTH_LOG_FORMAT"),
        ({**REAL, "WXAUTH_LOG_FLUSH_SECONDS": "-1"}, "WXAUTH_LOG_FLUSH_SECONDS"),
        ({**REAL, "WXAUTH_LOG_FLUSH_SECONDS": "often"}, "WXAUTH_LOG_FLUSH_SECONDS"),
        ({**REAL, "WXAUTH_REQUIRE_PHONE": "sometimes"}, "WXAUTH_REQUIRE_PHONE"),
        ({**REAL, "WXAUTH_DASHBOARD_IDLE_MINUTES": "0"}, "WXAUTH_DASHBOARD_IDLE_MINUTES"),
        ({**REAL, "SECRET_KEY": "k" * 31}, "at least 32"),
        ({**REAL, "WXAUTH_OPERATOR_MFA": "always"}, "WXAUTH_OPERATOR_MFA"),
        ({**REAL, "WXAUTH_DASHBOARD_LOCALE": "fr"}, "WXAUTH_DASHBOARD_LOCALE"),
        ({**REAL, "WXAUTH_LAB_INSECURE_COOKIES": "please"}, "WXAUTH_LAB_INSECURE_COOKIES"),
    ],
)
def test_each_bad_value_is_a_config_error_that_names_it(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings(env, tmp_path)


def test_request_lines_are_batched_unless_told_otherwise(tmp_path):
    assert load_settings(REAL, tmp_path).log_flush_seconds == 0.5
    assert load_settings({**REAL, "WXAUTH_LOG_FLUSH_SECONDS": "0"}, tmp_path).log_flush_seconds == 0
    assert load_settings({**REAL, "WXAUTH_LOG_FLUSH_SECONDS": "2"}, tmp_path).log_flush_seconds == 2


def test_a_secret_key_of_the_length_asked_for_is_accepted(tmp_path):
    assert load_settings({**REAL, "SECRET_KEY": "k" * 32}, tmp_path).secret_key == "k" * 32


def test_several_apps(tmp_path):
    apps = [{"appid": "wxaaa", "secret": "sa", "name": "Shop"}, {"appid": "wxbbb", "secret": "sb"}]
    settings = load_settings(
        {"WXAUTH_APPS": json.dumps(apps), "SECRET_KEY": "y" * 40, "WXAUTH_SERVER_NAME": "a.example"}, tmp_path
    )
    assert [(a.appid, a.name) for a in settings.apps] == [("wxaaa", "Shop"), ("wxbbb", "wxbbb")]
    assert settings.apps.get("wxbbb") is settings.apps[1] and settings.apps.get("wxccc") is None
    assert settings.apps.choices() == [("wxaaa", "Shop (wxaaa)"), ("wxbbb", "wxbbb (wxbbb)")]
    assert "sa" not in repr(settings.apps) and "y" * 40 not in repr(settings)


def test_postgres_urls_use_psycopg3(tmp_path):
    settings = load_settings({**REAL, "DATABASE_URL": "postgres://u@h/db"}, tmp_path)
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_sandbox_is_not_mounted_outside_sandbox_mode(tmp_path):
    app = create_app(environ={**REAL, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert "sandbox" not in app.blueprints
    client = app.test_client()
    assert client.get("/_sandbox/api/stats").status_code == 404
    assert client.post("/_sandbox/api/login-code", json={}).status_code == 404
    assert client.get("/_sandbox/wechat/sns/jscode2session").status_code == 404


def test_bench_endpoint_is_mounted_only_when_asked(tmp_path):
    env = {**REAL, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}"}
    assert create_app(environ=env).test_client().get("/_bench/ping").status_code == 404
    resp = create_app(environ={**env, "WXAUTH_BENCH": "1"}).test_client().get("/_bench/ping")
    assert resp.status_code == 200 and resp.get_json() == {"ok": True}


def test_sandbox_mode_warns_at_start(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="wxauth"):
        create_app(
            environ={
                "SECRET_KEY": "z" * 40,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'y.sqlite3'}",
                "WXAUTH_SANDBOX_DB": str(tmp_path / "s.sqlite3"),
            }
        )
    assert "SANDBOX MODE" in caplog.text


def test_requests_name_their_app(tmp_path):
    """With several apps, `appid` in the body picks one, and codes of one app fail on another."""
    apps = [{"appid": "wxaaa", "secret": "sa"}, {"appid": "wxbbb", "secret": "sb"}]
    env = {
        "WXAUTH_APPS": json.dumps(apps),
        "WXAUTH_SANDBOX": "1",
        "SECRET_KEY": "w" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        "WXAUTH_SANDBOX_DB": str(tmp_path / "s.sqlite3"),
    }
    app = create_app({"TESTING": True}, environ=env)
    import threading

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.extensions["wxauth.wechat"].client.base_url = f"http://127.0.0.1:{server.server_port}/_sandbox/wechat"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = app.test_client()
        code_b = client.post("/_sandbox/api/login-code", json={"appid": "wxbbb", "openid": "o-same"}).get_json()["code"]
        assert client.post("/api/auth/login", json={"code": code_b}).status_code == 401  # default app is wxaaa
        code_b = client.post("/_sandbox/api/login-code", json={"appid": "wxbbb", "openid": "o-same"}).get_json()["code"]
        code_a = client.post("/_sandbox/api/login-code", json={"appid": "wxaaa", "openid": "o-same"}).get_json()["code"]
        ub = client.post("/api/auth/login", json={"code": code_b, "appid": "wxbbb"}).get_json()["user"]
        ua = client.post("/api/auth/login", json={"code": code_a}).get_json()["user"]
        assert (ua["appid"], ub["appid"]) == ("wxaaa", "wxbbb")
        assert ua["id"] != ub["id"]  # users are per (appid, openid)
    finally:
        server.shutdown()


def test_healthz_reports_a_dead_database(tmp_path):
    app = create_app(environ={**REAL, "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/x.sqlite3"})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable"}


def test_the_app_builds_with_rate_limiting_off_and_without_the_global_limit_hook(tmp_path):
    """Every limit is a decorator: the extension's per-request hook is taken out, and with
    WXAUTH_RATELIMIT_ENABLED=0 (when the extension registers none) the app still builds."""
    from wxauth.extensions import limiter

    env = {**REAL, "DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}"}
    for enabled in ("1", "0"):
        app = create_app(environ={**env, "WXAUTH_RATELIMIT_ENABLED": enabled})
        assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_the_operator_settings_default_to_chinese_optional_mfa_and_secure_cookies(tmp_path):
    settings = load_settings(REAL, tmp_path)
    assert (settings.dashboard_locale, settings.operator_mfa, settings.lab_insecure_cookies) == ("zh_Hans", "optional", False)
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True
    lab = load_settings({**REAL, "WXAUTH_LAB_INSECURE_COOKIES": "1", "WXAUTH_OPERATOR_MFA": "required"}, tmp_path)
    assert lab.flask_config()["SESSION_COOKIE_SECURE"] is False and lab.operator_mfa == "required"
