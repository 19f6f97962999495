"""No secret reaches a log line, even at DEBUG, over the whole API flow."""

from __future__ import annotations

import logging

from sqlalchemy import select

from wxauth.extensions import db
from wxauth.models import AccessToken


def test_whole_flow_logs_no_secret(app, client, sandbox, caplog):
    store = app.extensions["wxauth.sandbox"]
    secrets_seen: set[str] = {app.extensions["wxauth.settings"].apps.default.secret, app.config["SECRET_KEY"]}
    with caplog.at_level(logging.DEBUG):
        user = sandbox.user(phoneNumber="13987654321", unionid="oUnionSecretish")
        code, openid = sandbox.login_code(user["openid"])
        secrets_seen.add(code)
        secrets_seen.add(store.user(user["appid"], openid)["session_key"])
        resp = client.post("/api/auth/login", json={"code": code}, headers={"User-Agent": "wxauth-test"})
        token = resp.get_json()["token"]
        secrets_seen.add(token)
        auth = {"Authorization": f"Bearer {token}"}

        phone_code = sandbox.phone_code(openid)
        secrets_seen.add(phone_code)
        assert client.post("/api/auth/phone", headers=auth, json={"code": phone_code}).status_code == 200
        enc = sandbox.encrypted_phone(openid)
        assert client.post("/api/auth/phone", headers=auth, json=enc).status_code == 200

        # failures must not leak either
        sandbox.fault("jscode2session", errcode=40125)
        bad_code, _ = sandbox.login_code(openid)
        secrets_seen.add(bad_code)
        secrets_seen.add(store.user(user["appid"], openid)["session_key"])
        client.post("/api/auth/login", json={"code": bad_code})
        client.post("/api/auth/phone", headers=auth, json={"encryptedData": enc["encryptedData"] + "x", "iv": enc["iv"]})

        refreshed = client.post("/api/auth/refresh", headers=auth).get_json()["token"]
        secrets_seen.add(refreshed)
        client.post("/api/auth/logout", headers={"Authorization": f"Bearer {refreshed}"})

    with app.app_context():
        row = db.session.scalar(select(AccessToken))
    from wxauth.security import unseal

    secrets_seen.add(unseal(app.config["SECRET_KEY"], "access_token", row.token_ciphertext))
    secrets_seen.add("13987654321")
    secrets_seen.add(enc["encryptedData"])

    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert len(caplog.records) > 20  # DEBUG was really on: urllib3, werkzeug and our lines
    leaked = [s[:12] + "…" for s in secrets_seen if s in text]
    assert leaked == []
