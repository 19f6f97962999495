"""docs/extending.md: its example blueprint, taken from the page itself, mounted with
WXAUTH_BLUEPRINTS and called with a real login."""

from __future__ import annotations

import re
import sys

import pytest

from config import ConfigError
from tests.support import assert_error
from wxauth.factory import ROOT, create_app

DOC = ROOT / "docs" / "extending.md"


@pytest.fixture()
def orders_app(app_env, live_url, tmp_path, monkeypatch):
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "blueprint(" in block]
    package = tmp_path / "myteam"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "orders.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myteam.orders", raising=False)
    own = create_app({"TESTING": True}, environ={**app_env, "WXAUTH_BLUEPRINTS": "myteam.orders:bp"})
    own.extensions["wxauth.wechat"].client.base_url = live_url + "/_sandbox/wechat"
    return own


def test_the_documented_blueprint_works_with_a_real_login(orders_app, sandbox):
    client = orders_app.test_client()
    code, _ = sandbox.login_code()
    token = client.post("/api/auth/login", json={"code": code}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/orders", json={"item": "tea"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    order = made.get_json()["order"]
    assert order["item"] == "tea"
    assert client.get(f"/api/orders/{order['id']}", headers=auth).get_json() == {"order": order}
    # The API's error shape and status, never an HTML page.
    assert_error(client.post("/api/orders", json={"item": "tea"}), 401, "invalid_token")
    assert_error(client.post("/api/orders", json={}, headers=auth), 400, "invalid_request")
    assert_error(client.post("/api/orders", data="x", headers=auth), 400, "invalid_request")
    assert_error(client.get("/api/orders/999", headers=auth), 404, "not_found")
    assert_error(client.get("/api/orders/not-a-number", headers=auth), 404, "not_found")


def test_a_blueprint_that_cannot_be_loaded_stops_the_start(app_env):
    with pytest.raises(ConfigError, match="nowhere.orders:bp"):
        create_app({"TESTING": True}, environ={**app_env, "WXAUTH_BLUEPRINTS": "nowhere.orders:bp"})
    with pytest.raises(ConfigError, match="module:attribute"):
        create_app({"TESTING": True}, environ={**app_env, "WXAUTH_BLUEPRINTS": "nocolon"})
