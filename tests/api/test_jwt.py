"""JWT access tokens (WXAUTH_TOKEN_FORMAT=jwt): signed with a kid, verifiable with the JWKS,
refreshed once per refresh token, a reuse revoking the family, keys rotating."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, update

from config import ConfigError, load_settings
from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import ApiSession, SigningKey, WebhookDelivery, utcnow
from wxauth.services import signing_keys
from wxauth.webhooks import endpoints


@pytest.fixture()
def jwt_mode(override_settings):
    override_settings(token_format="jwt")


def _verify(client, token: str) -> dict:
    """Verify as another service would: the JWKS, the header's kid, EdDSA, the issuer."""
    keys = {k["kid"]: jwt.PyJWK(k) for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, keys[kid].key, algorithms=["EdDSA"], issuer="wxauth")


def test_login_answers_a_jwt_that_the_jwks_verifies(jwt_mode, api, client):
    session = api.login(unionid="u-jwt-1")
    body = session.body
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "EdDSA" and header["kid"]
    claims = _verify(client, body["token"])
    assert set(claims) == {"iss", "sub", "iat", "exp", "jti", "sid", "appid", "openid", "unionid"}
    assert claims["sub"] == str(session.user["id"]) and claims["openid"] == session.openid
    assert claims["unionid"] == "u-jwt-1" and claims["appid"] == session.user["appid"]
    assert claims["exp"] - claims["iat"] == 900
    assert body["refreshToken"].startswith("rt_") and body["refreshExpiresAt"]
    assert api.get("/api/me", session).status_code == 200


def test_opaque_stays_the_default(api):
    body = api.login().body
    assert "refreshToken" not in body and body["token"].count(".") == 1


def test_jwt_ttl_is_bounded_and_used(override_settings, api, client, app):
    override_settings(token_format="jwt", jwt_ttl=120)
    claims = _verify(client, api.login().token)
    assert claims["exp"] - claims["iat"] == 120
    with pytest.raises(ConfigError, match="WXAUTH_JWT_TTL"):
        load_settings({"WXAUTH_SANDBOX": "1", "WXAUTH_JWT_TTL": "3601"}, app.instance_path)
    with pytest.raises(ConfigError, match="WXAUTH_TOKEN_FORMAT"):
        load_settings({"WXAUTH_SANDBOX": "1", "WXAUTH_TOKEN_FORMAT": "paseto"}, app.instance_path)


def test_a_tampered_expired_or_unsigned_jwt_is_refused(jwt_mode, api, client, app):
    session = api.login()
    head, payload, sig = session.token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    forged = jwt.utils.base64url_encode(json.dumps({**claims, "sub": "999"}).encode()).decode()
    none_alg = jwt.encode(
        {**claims}, key=None, algorithm="none", headers={"kid": jwt.get_unverified_header(session.token)["kid"]}
    )
    with app.app_context():
        key = signing_keys.signer()
    expired = jwt.encode({**claims, "exp": claims["iat"] - 1}, key.key, algorithm="EdDSA", headers={"kid": key.kid})
    for token in (f"{head}.{forged}.{sig}", none_alg, expired, session.token[:-4] + "AAAA", "eyJ.x.y"):
        assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token")


def _refresh(client, refresh_token: str):
    return client.post("/api/auth/refresh", json={"refreshToken": refresh_token})


def test_each_refresh_token_works_once_and_a_reuse_revokes_the_family(jwt_mode, api, client, app, live_url):
    with app.app_context():
        endpoints.add("http://127.0.0.1:9/hook", ["session.revoked"])
    session = api.login()
    first = _refresh(client, session.body["refreshToken"])
    assert first.status_code == 200, first.get_json()
    pair = first.get_json()
    assert set(pair) == {"token", "expiresAt", "refreshToken", "refreshExpiresAt"}
    assert client.get("/api/me", headers={"Authorization": f"Bearer {pair['token']}"}).status_code == 200
    second = _refresh(client, pair["refreshToken"]).get_json()  # the new one works, once

    # The first refresh token again: a reuse. The family dies, the newest pair with it.
    assert_error(_refresh(client, session.body["refreshToken"]), 401, "invalid_token")
    for token in (session.token, pair["token"], second["token"]):
        assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 401, "invalid_token")
    assert_error(_refresh(client, second["refreshToken"]), 401, "invalid_token")
    with app.app_context():
        revoked = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.type == "session.revoked")).all()
        assert [json.loads(r.payload)["reason"] for r in revoked] == ["refresh_reuse"]


def test_a_forged_refresh_token_for_a_real_session_does_not_revoke_it(jwt_mode, api, client):
    session = api.login()
    sid = session.body["refreshToken"][3:].split(".")[0]
    for forged in (f"rt_{sid}.0.AAAA", f"rt_{sid}.7.AAAA", "rt_x", "nonsense"):
        assert_error(_refresh(client, forged), 401, "invalid_token")
    assert_error(_refresh(client, "rt_" + "a" * 300), 400, "invalid_request")
    assert api.get("/api/me", session).status_code == 200
    assert _refresh(client, session.body["refreshToken"]).status_code == 200


def test_logout_and_deletion_end_the_family(jwt_mode, api, client):
    session = api.login()
    assert api.post("/api/auth/logout", session).status_code == 200
    assert_error(_refresh(client, session.body["refreshToken"]), 401, "invalid_token")
    other = api.login()
    assert client.delete("/api/me", headers=other.headers).status_code == 200
    assert_error(_refresh(client, other.body["refreshToken"]), 401, "invalid_token")


def test_the_bearer_refresh_still_swaps_a_token(jwt_mode, api, client):
    session = api.login()
    resp = api.post("/api/auth/refresh", session)
    assert resp.status_code == 200 and resp.get_json()["refreshToken"]
    assert_error(api.get("/api/me", session), 401, "invalid_token")


def test_rotation_keeps_the_old_key_published_until_its_tokens_expired(jwt_mode, api, client, app, runner):
    before = api.login().token
    old_kid = jwt.get_unverified_header(before)["kid"]
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    new_kid = result.output.split(":")[1].strip()
    with app.app_context():
        signing_keys.forget()  # this process re-reads at once; others within SIGNER_CACHE
    after = api.login().token
    assert jwt.get_unverified_header(after)["kid"] == new_kid != old_kid
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids == {old_kid, new_kid}
    assert _verify(client, before)["sub"] and _verify(client, after)["sub"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {before}"}).status_code == 200
    # Once every token the old key signed has expired, it leaves the set.
    with app.app_context():
        long_ago = utcnow() - timedelta(seconds=900) - signing_keys.JWKS_GRACE - timedelta(seconds=1)
        db.session.execute(update(SigningKey).where(SigningKey.kid == old_kid).values(retired_at=long_ago))
        db.session.commit()
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids == {new_kid}
    listing = runner.invoke(args=["keys", "list"]).output
    assert new_kid in listing and old_kid in listing and "retired" in listing


def test_the_private_key_is_sealed_and_the_jwks_has_no_private_part(jwt_mode, api, client, app):
    api.login()
    with app.app_context():
        row = db.session.scalars(select(SigningKey)).one()
        assert "PRIVATE KEY" not in row.private_ciphertext and row.private_ciphertext.startswith("v1.")
    (key,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"} and key["crv"] == "Ed25519"


def test_a_revoked_session_refuses_its_jwt_at_once(jwt_mode, api, app):
    session = api.login()
    with app.app_context():
        db.session.execute(update(ApiSession).values(revoked_at=utcnow()))
        db.session.commit()
    assert_error(api.get("/api/me", session), 401, "invalid_token")


def test_every_bearer_endpoint_accepts_a_jwt(jwt_mode, api, client, sandbox):
    session = api.login()
    auth = session.headers
    assert client.get("/api/me", headers=auth).status_code == 200
    assert client.put("/api/me", json={"nickName": "JWT"}, headers=auth).status_code == 200
    assert client.get("/api/me/export", headers=auth).status_code == 200
    assert client.post("/api/auth/phone", json={"code": sandbox.phone_code(session.openid)}, headers=auth).status_code == 200
    assert client.post("/api/auth/logout", headers=auth).status_code == 200
    assert_error(client.get("/api/me", headers=auth), 401, "invalid_token")
    other = api.login()
    assert client.delete("/api/me", headers=other.headers).status_code == 200


def test_a_key_another_instance_just_wrote_verifies_at_once(jwt_mode, api, client, app):
    """Even right after this process met a made-up kid: the cause of a flaky kit test, where
    two workers' first logins each created a key and a reload had just run."""
    session = api.login()
    claims = json.loads(jwt.utils.base64url_decode(session.token.split(".")[1]))
    with app.app_context():
        signer = signing_keys.signer()
    made_up = jwt.encode(claims, signer.key, algorithm="EdDSA", headers={"kid": "no-such-kid"})
    assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {made_up}"}), 401, "invalid_token")
    with app.app_context():
        kid = signing_keys._create()  # another instance's key, behind this process's back
        db.session.commit()
        other = signing_keys._private(db.session.get(SigningKey, kid))
        db.session.commit()
    token = jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": kid})
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # A retired key past the window verifies nothing.
    with app.app_context():
        long_ago = utcnow() - timedelta(seconds=900) - signing_keys.JWKS_GRACE - timedelta(seconds=1)
        kid2 = signing_keys._create()
        db.session.flush()
        db.session.execute(update(SigningKey).where(SigningKey.kid == kid2).values(retired_at=long_ago))
        db.session.commit()
        old = signing_keys._private(db.session.get(SigningKey, kid2))
        db.session.commit()
    stale = jwt.encode(claims, old, algorithm="EdDSA", headers={"kid": kid2})
    assert_error(client.get("/api/me", headers={"Authorization": f"Bearer {stale}"}), 401, "invalid_token")
