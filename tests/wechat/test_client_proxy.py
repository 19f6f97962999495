"""The WeChat client honours the environment's proxy settings, as requests reads them."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config import MiniApp
from wxauth.wechat.client import WeChatClient
from wxauth.wechat.errors import WeChatUnavailable

APP = MiniApp(appid="wx0123456789abcdef", secret="s" * 32, name="proxy test")


@pytest.fixture
def proxy():
    """An HTTP proxy that answers every request itself and records its request line."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append({"path": self.path, "headers": dict(self.headers)})
            body = json.dumps({"openid": "o-proxied", "session_key": "a2V5a2V5a2V5a2V5a2V5aw=="}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_http_proxy_from_the_environment_is_sent_the_whole_url(proxy, monkeypatch):
    proxy_url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    base = f"http://127.0.0.1:{_closed_port()}"  # nothing listens there: only the proxy can answer
    result = WeChatClient(base, total_timeout=3).code2session(APP, "code-through-proxy")
    assert result.openid == "o-proxied"
    assert len(seen) == 1
    assert seen[0]["path"].startswith(f"{base}/sns/jscode2session?")
    assert "js_code=code-through-proxy" in seen[0]["path"]
    assert seen[0]["headers"]["User-Agent"] == "wxauth"


def test_no_proxy_sends_the_call_directly(proxy, monkeypatch):
    proxy_url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    base = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(WeChatUnavailable) as failed:
        WeChatClient(base, total_timeout=3).code2session(APP, "code-direct")
    assert failed.value.reason == "connection failed"
    assert seen == []
