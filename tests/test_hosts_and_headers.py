"""Host headers choose nothing, the sandbox's control API refuses cross-site requests, and
API answers carry the headers that keep tokens and personal data out of caches."""

from __future__ import annotations

import http.server
import threading

import pytest

from wxauth.factory import create_app

PROD = {
    "WXAUTH_SANDBOX": "0",
    "WXAUTH_APPID": "wx0123456789abcdef",
    "WXAUTH_SECRET": "a-real-looking-app-secret-0123456789",
    "SECRET_KEY": "x" * 48,
    "WXAUTH_SERVER_NAME": "auth.example.com",
}


@pytest.fixture()
def prod(tmp_path):
    def make(**env):
        return create_app({"TESTING": True}, environ={**PROD, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}", **env})

    return make


def test_an_unknown_host_is_refused_before_any_redirect(prod):
    client = prod().test_client()
    for path in ("/dashboard", "/dashboard/", "/dashboard/users"):
        resp = client.get(path, headers={"Host": "evil.example"})
        assert resp.status_code == 400
        assert "evil.example" not in resp.headers.get("Location", "")
    resp = client.get("/api/me", headers={"Host": "evil.example"})
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_request"


def test_the_configured_host_is_served(prod):
    resp = prod().test_client().get("/dashboard", headers={"Host": "auth.example.com"})
    assert resp.status_code in (301, 308) and resp.headers["Location"].endswith("/dashboard/")


def test_x_forwarded_host_is_ignored_unless_trusted(prod):
    headers = {"Host": "auth.example.com", "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "1.2.3.4"}
    resp = prod(WXAUTH_TRUSTED_PROXIES="1").test_client().get("/dashboard", headers=headers)
    assert "evil.example" not in resp.headers.get("Location", "")
    trusting = prod(
        WXAUTH_TRUSTED_PROXIES="1", WXAUTH_TRUST_FORWARDED_HOST="1", WXAUTH_SERVER_NAME="auth.example.com,evil.example"
    )
    resp = trusting.test_client().get("/dashboard", headers=headers)
    assert "evil.example" in resp.headers.get("Location", "")  # the setting does what it says


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        _Listener.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args):
        pass


def test_in_sandbox_mode_the_host_header_does_not_pick_where_wechat_calls_go(app_env, live_url, sandbox, app):
    listener = http.server.HTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    _Listener.hits.clear()
    try:
        served = create_app({"TESTING": True}, environ={**app_env, "WXAUTH_SANDBOX_URL": live_url})
        code, _ = sandbox.login_code()
        resp = served.test_client().post(
            "/api/auth/login", json={"code": code}, headers={"Host": f"127.0.0.1:{listener.server_port}"}
        )
        assert resp.status_code == 200, resp.get_json()
        assert _Listener.hits == []  # the secret never went to whoever the Host header named
    finally:
        listener.shutdown()


def test_the_control_api_refuses_cross_site_requests(client):
    resp = client.post("/_sandbox/api/reset", data="{}", content_type="text/plain")
    assert resp.status_code == 415
    resp = client.post("/_sandbox/api/reset", json={}, headers={"Origin": "http://evil.example"})
    assert resp.status_code == 403
    resp = client.post("/_sandbox/api/reset", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403
    assert client.post("/_sandbox/api/reset", json={}, headers={"Origin": "http://localhost"}).status_code == 200
    assert client.post("/_sandbox/api/reset", json={}).status_code == 200  # scripts send no Origin


def test_api_answers_are_not_cached_or_sniffed(api, client):
    session = api.login()
    for resp in (
        session_resp := client.post("/api/auth/refresh", headers=session.headers),
        client.get("/api/me", headers={"Authorization": "Bearer " + session_resp.get_json()["token"]}),
        client.get("/api/nope"),
        client.post("/api/auth/login", json={}),
    ):
        assert resp.headers["Cache-Control"] == "no-store", resp.request.path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_when_the_request_came_over_tls(prod):
    client = prod(WXAUTH_TRUSTED_PROXIES="1").test_client()
    over_tls = client.get("/healthz", headers={"Host": "auth.example.com", "X-Forwarded-Proto": "https"})
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = client.get("/healthz", headers={"Host": "auth.example.com"})
    assert "Strict-Transport-Security" not in plain.headers
