"""Fixtures: app -> client/runner -> database -> sandbox helpers.

The database is chosen by WXAUTH_TEST_DATABASE_URL (scripts/test sets it to a private
PostgreSQL for the second run); without it, a temporary SQLite file. The schema is built by
the real migrations. One app serves the whole session, and a real HTTP server in a thread
serves that same app, so the WeChat client reaches the sandbox over real HTTP exactly as in
production. Every test starts from empty tables and a fresh sandbox.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.support import ApiClient, Sandbox
from wxauth.extensions import db
from wxauth.factory import ROOT, create_app
from wxauth.settings import EXTENSION as SETTINGS

TEST_ENV = {
    "WXAUTH_SANDBOX": "1",
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    # Tests log in hundreds of times a minute from 127.0.0.1: limits stay on, but out of
    # reach, except where the rate-limit tests lower them.
    "WXAUTH_RATELIMIT_LOGIN": "100000/minute",
    "WXAUTH_RATELIMIT_PHONE": "100000/minute",
    "WXAUTH_RATELIMIT_PHONE_USER": "100000/minute",
    "WXAUTH_RATELIMIT_DASHBOARD_LOGIN": "100000/minute",
    "WXAUTH_RATELIMIT_EXPORT": "100000/minute",
    "WXAUTH_RATELIMIT_SERVICE_AUTH": "100000/minute",
    # Tests read the dashboard's English text; tests/dashboard/test_translations.py reads
    # the Chinese (the deployment's default) too.
    "WXAUTH_DASHBOARD_LOCALE": "en",
    # Tests read a request's log line right after it; tests/test_requestlog.py checks the
    # batched writing of production.
    "WXAUTH_LOG_FLUSH_SECONDS": "0",
}


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("WXAUTH_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wxauth-test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app_env(database_url, tmp_path_factory) -> dict:
    """The environment of every app in this session, in-process or spawned."""
    return {
        **TEST_ENV,
        "DATABASE_URL": database_url,
        "WXAUTH_SANDBOX_DB": str(tmp_path_factory.mktemp("sandbox") / "sandbox.sqlite3"),
    }


@pytest.fixture(scope="session")
def app(app_env):
    # Operators' passwords are hashed cheaply here: scrypt is slow on purpose, and every
    # signed-in test would pay for it. test_auth.py checks production's method on its own.
    app = create_app({"TESTING": True}, environ=app_env, settings={"password_hash_method": "pbkdf2:sha256:1000"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.extensions["wxauth.wechat"].client.base_url = app.config["LIVE_URL"] + "/_sandbox/wechat"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()


@pytest.fixture(scope="session", autouse=True)
def _request_lines_written():
    """Apps built with production's batched request log (WXAUTH_LOG_FLUSH_SECONDS > 0)
    write what they noted while pytest still holds the stream their lines go to."""
    yield
    from wxauth import requestlog

    requestlog.write_all_noted()


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty tables and a fresh sandbox after every test that touched the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own table names
    app.extensions["wxauth.sandbox"].reset()
    wechat = app.extensions["wxauth.wechat"]
    wechat.tokens._memo.clear()
    wechat.tokens.fetches = 0
    from wxauth.services import clients, signing_keys

    signing_keys.forget()
    clients.forget()


@pytest.fixture()
def override_settings(app, monkeypatch):
    """`override_settings(token_ttl=120)`: change fields of the app's Settings for one test."""

    def override(**changes) -> None:
        current = app.extensions[SETTINGS]
        monkeypatch.setitem(app.extensions, SETTINGS, dataclasses.replace(current, **changes))

    return override


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def sandbox(client) -> Sandbox:
    return Sandbox(client)


@pytest.fixture()
def api(client, sandbox) -> ApiClient:
    return ApiClient(client, sandbox)


@pytest.fixture()
def live_url(app) -> str:
    return app.config["LIVE_URL"]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser build)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, live_url):
    """A fresh browser context (cookies, storage) per test, with errors surfaced."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture()
def spawn_server(app_env, live_url):
    """Start extra wxauth processes (gunicorn, as in production) on this session's database.

    They use the in-process server's sandbox, so WeChat-side state (codes, tokens, call
    counts) is shared with the test, as one WeChat is shared by every real instance.
    """
    from tests.support import ServerProcess

    started: list[ServerProcess] = []

    def spawn(workers: int = 1, threads: int = 8, **env) -> ServerProcess:
        server = ServerProcess(
            {**app_env, "WXAUTH_WECHAT_API_BASE": live_url + "/_sandbox/wechat", **env},
            workers=workers,
            threads=threads,
        )
        started.append(server)
        server.start()
        return server

    yield spawn
    for server in started:
        server.stop()


@pytest.fixture()
def dashboard_login(app):
    """`sign_in(page)`: signs a browser page in to the dashboard as an operator it creates."""
    from wxauth.services import operators

    password = "browser-operator-password"

    def sign_in(page, username: str = "browser-operator", role: str = "admin") -> None:
        with app.app_context():
            if operators.find(username) is None:
                operators.create(username, password, role=role)
        page.goto("/dashboard/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#sign-in")
        page.wait_for_url("**/dashboard/")

    return sign_in
