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
    assert set(body) == {"error", "message"}, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body
