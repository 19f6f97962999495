"""Helpers the tests share: the sandbox control API and a mini-program-shaped API client."""

from __future__ import annotations

from dataclasses import dataclass


class Sandbox:
    """Plays WeChat's client side through the sandbox control API."""

    def __init__(self, client):
        self.client = client

    def _post(self, path: str, **body) -> dict:
        resp = self.client.post(f"/_sandbox/api/{path}", json=body)
        assert resp.status_code in (200, 201), resp.get_json()
        return resp.get_json()

    def user(self, **fields) -> dict:
        return self._post("users", **fields)["user"]

    def login_code(self, openid: str | None = None, **fields) -> tuple[str, str]:
        data = self._post("login-code", openid=openid, **fields)
        return data["code"], data["openid"]

    def phone_code(self, openid: str, **fields) -> str:
        return self._post("phone-code", openid=openid, **fields)["code"]

    def encrypted_phone(self, openid: str) -> dict:
        return self._post("encrypted-phone", openid=openid)

    def encrypted_userinfo(self, openid: str, **fields) -> dict:
        return self._post("encrypted-userinfo", openid=openid, **fields)

    def fault(self, endpoint: str, **fields) -> None:
        self._post("faults", endpoint=endpoint, **fields)

    def expire_tokens(self, invalidate: bool = False) -> int:
        return self._post("access-tokens/expire", invalidate=invalidate)["expired"]

    def stats(self) -> dict:
        return self.client.get("/_sandbox/api/stats").get_json()["calls"]


@dataclass
class Session:
    token: str
    openid: str
    user: dict
    body: dict

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class ApiClient:
    """The calls a mini-program makes, through Flask's test client."""

    def __init__(self, client, sandbox: Sandbox):
        self.client = client
        self.sandbox = sandbox

    def login(self, openid: str | None = None, **body) -> Session:
        code, openid = self.sandbox.login_code(openid, **{k: body.pop(k) for k in ("unionid", "phoneNumber") if k in body})
        resp = self.client.post("/api/auth/login", json={"code": code, **body})
        assert resp.status_code == 200, resp.get_json()
        data = resp.get_json()
        return Session(token=data["token"], openid=openid, user=data["user"], body=data)

    def get(self, path: str, session: Session | None = None, **kw):
        return self.client.get(path, headers=session.headers if session else {}, **kw)

    def post(self, path: str, session: Session | None = None, **kw):
        return self.client.post(path, headers=session.headers if session else {}, **kw)

    def patch(self, path: str, session: Session | None = None, **kw):
        return self.client.patch(path, headers=session.headers if session else {}, **kw)


def assert_error(resp, status: int, code: str) -> dict:
    """The response is our JSON error shape with this status and code."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.is_json, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    # decrypt_failed alone says why, in `reason`.
    assert set(body) == ({"error", "message", "reason"} if code == "decrypt_failed" else {"error", "message"}), body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


class ServerProcess:
    """wxauth under gunicorn in a child process, on a free loopback port."""

    def __init__(self, env: dict, workers: int = 1, threads: int = 8):
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.workers = workers
        self.threads = threads
        self.proc = None

    def start(self) -> None:
        import os
        import subprocess
        import sys
        import time

        import requests

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "app:app",
            "-b",
            f"127.0.0.1:{self.port}",
            "-w",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
        ]
        import tempfile

        env = {"PATH": os.environ.get("PATH", ""), **self.env}
        # A file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
        self.log = tempfile.NamedTemporaryFile(prefix="wxauth-server-", suffix=".log", delete=False)
        # Its own process group, so kill9() takes the master and its workers at once.
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy in 30 s")

    def kill9(self) -> None:
        """SIGKILL the master and every worker: no cleanup, as in a crash."""
        import os
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def output(self) -> str:
        with open(self.log.name, errors="replace") as fh:
            return fh.read()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001 - a stuck child is killed; the test result stands
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            import os

            self.log.close()
            os.unlink(self.log.name)


class Receiver:
    """A real HTTP webhook receiver on loopback: records every request; answers `status`
    after `delay` seconds (both changeable while it runs)."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.status = status
        self.delay = delay
        self.requests: list[dict] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.arrived:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    receiver.arrived.notify_all()
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok from receiver")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict]:
        """Block until `count` requests arrived (AssertionError after `timeout`)."""
        import time

        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.requests)} of {count} webhook requests arrived in {timeout} s"
                self.arrived.wait(left)
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
