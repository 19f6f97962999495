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


def test_integration_secrets_reach_no_log(app, client, sandbox, caplog, runner, override_settings):
    """Client secrets, webhook secrets, refresh tokens, JWTs and signing keys: never logged,
    and a webhook body carries none of them."""
    import base64
    import json

    from tests.support import Receiver
    from wxauth.models import SigningKey
    from wxauth.security import unseal
    from wxauth.services.signing_keys import PURPOSE
    from wxauth.webhooks import delivery

    override_settings(token_format="jwt")
    receiver = Receiver()
    try:
        with caplog.at_level(logging.DEBUG):
            creds = runner.invoke(args=["clients", "create", "svc", "--scope", "introspect", "--scope", "wechat_token"]).output
            client_id, client_secret = (line.split(": ", 1)[1] for line in creds.strip().splitlines())
            hook = runner.invoke(args=["webhooks", "add", receiver.url, "--event", "user.created", "--event", "session.revoked"])
            webhook_secret = hook.output.split(": ", 1)[1].strip()
            code, _ = sandbox.login_code()
            body = client.post("/api/auth/login", json={"code": code}).get_json()
            basic = {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}
            client.post("/api/oauth/introspect", data={"token": body["token"]}, headers=basic)
            client.post("/api/oauth/introspect", data={"token": body["token"]}, headers={"Authorization": "Basic eDp5"})
            shared = client.get("/api/internal/wechat/access-token", headers=basic).get_json()["accessToken"]
            pair = client.post("/api/auth/refresh", json={"refreshToken": body["refreshToken"]}).get_json()
            client.post("/api/auth/refresh", json={"refreshToken": body["refreshToken"]})  # a reuse
            with app.app_context():
                delivery.deliver_due()
        receiver.wait_for(2)
        with app.app_context():
            key = db.session.scalar(select(SigningKey))
            private = unseal(app.config["SECRET_KEY"], PURPOSE, key.private_ciphertext)
    finally:
        receiver.close()
    secrets = [client_secret, webhook_secret, body["token"], body["refreshToken"], pair["refreshToken"], shared, private, code]
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert [s[:12] for s in secrets if s in text] == []
    sent = "\n".join(r["body"].decode() + json.dumps(r["headers"]) for r in receiver.requests)
    assert [s[:12] for s in secrets if s in sent] == []
