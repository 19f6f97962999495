"""The outbox: each event is written in the transaction of the change it reports, for the
endpoints subscribed to it, and never carries a secret."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from wxauth.extensions import db
from wxauth.models import User, WebhookDelivery
from wxauth.services import login_writes
from wxauth.webhooks import delivery, endpoints


def _rows(app, event_type: str | None = None) -> list[WebhookDelivery]:
    with app.app_context():
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if event_type:
            query = query.where(WebhookDelivery.type == event_type)
        rows = list(db.session.scalars(query).all())
        db.session.expunge_all()
        return rows


@pytest.fixture()
def subscribed(app):
    with app.app_context():
        a = endpoints.add("http://127.0.0.1:9/a", ["user.created", "user.phone_bound", "user.deleted"])
        b = endpoints.add("http://127.0.0.1:9/b", ["user.created", "user.profile_updated", "session.revoked"])
        return a.endpoint.id, b.endpoint.id


def test_a_first_login_writes_user_created_for_each_subscriber(app, api, subscribed):
    session = api.login(unionid="u-out")
    rows = _rows(app, "user.created")
    assert sorted(r.endpoint_id for r in rows) == sorted(subscribed)
    assert len({r.event_id for r in rows}) == 1 and rows[0].user_id == session.user["id"]
    with app.app_context():
        document = json.loads(delivery.body(rows[0]))
    assert document["type"] == "user.created" and document["id"] == rows[0].event_id
    assert document["data"]["user"] == session.user  # the API's user shape, as the login answered
    assert document["appid"] == session.user["appid"] and document["createdAt"]
    api.login(openid=session.openid)  # a returning user is not created again
    assert len(_rows(app, "user.created")) == 2


def test_a_one_tap_phone_login_reports_the_bind_with_the_user(app, api, sandbox, client, subscribed):
    code, openid = sandbox.login_code()
    phone = sandbox.phone_code(openid)
    body = client.post("/api/auth/login", json={"code": code, "phoneCode": phone}).get_json()
    (bound,) = _rows(app, "user.phone_bound")
    assert bound.endpoint_id == subscribed[0]
    with app.app_context():
        user = json.loads(delivery.body(bound))["data"]["user"]
    assert user["phoneNumber"] == body["user"]["phoneNumber"] is not None


def test_phone_profile_logout_and_deletion_are_reported(app, api, sandbox, client, subscribed):
    session = api.login()
    assert api.post("/api/auth/phone", session, json={"code": sandbox.phone_code(session.openid)}).status_code == 200
    assert api.patch("/api/me", session, json={"nickName": "新名字"}).status_code == 200
    assert api.post("/api/auth/logout", session).status_code == 200
    other = api.login()
    assert client.delete("/api/me", headers=other.headers).status_code == 200
    types = [r.type for r in _rows(app) if r.type != "user.created"]
    assert types == ["user.phone_bound", "user.profile_updated", "session.revoked", "user.deleted"]
    with app.app_context():
        documents = {r.type: json.loads(delivery.body(r)) for r in _rows(app) if r.type != "user.created"}
    assert documents["user.profile_updated"]["data"]["user"]["nickName"] == "新名字"
    assert documents["session.revoked"]["data"]["reason"] == "logout"
    assert documents["user.deleted"]["data"]["user"]["id"] == other.user["id"]
    assert documents["user.deleted"]["data"]["requestedBy"] == "user"


def test_no_subscriber_no_row(app, api):
    api.login()
    assert _rows(app) == []


def test_an_event_is_never_written_for_a_change_that_rolled_back(app, api, subscribed, monkeypatch):
    original = login_writes.outbox.enqueue

    def enqueue_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the transaction fails after the event was written")

    monkeypatch.setattr(login_writes.outbox, "enqueue", enqueue_then_fail)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            pytest.skip("PostgreSQL writes a login in one statement: there is no later step to fail")
    with pytest.raises(RuntimeError):
        api.login()
    assert _rows(app) == []
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None


def test_no_secret_reaches_a_payload(app, api, sandbox, client, subscribed):
    code, openid = sandbox.login_code()
    resp = client.post("/api/auth/login", json={"code": code, "phoneCode": sandbox.phone_code(openid)})
    token = resp.get_json()["token"]
    with app.app_context():
        sealed = db.session.scalar(select(User.session_key_ciphertext))
        bodies = [delivery.body(r).decode() for r in _rows(app)]
        stored = [r.payload for r in _rows(app)]
    assert bodies and stored
    for text in bodies:
        assert "session_key" not in text
    for text in bodies + stored:
        assert token not in text and code not in text and sealed not in text


def test_a_profile_change_that_rolls_back_leaves_no_event(app, api, subscribed, monkeypatch):
    from wxauth.services import profile

    session = api.login()
    original = profile.outbox.user_event

    def event_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("the transaction fails after the event was written")

    monkeypatch.setattr(profile.outbox, "user_event", event_then_fail)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    resp = api.patch("/api/me", session, json={"nickName": "never"})
    assert resp.status_code == 500 and resp.get_json()["error"] == "internal_error"
    assert _rows(app, "user.profile_updated") == []
    with app.app_context():
        assert db.session.scalar(select(User.nickname)) != "never"


def test_the_dispatcher_is_woken_only_by_a_commit_that_wrote_events(app, api, monkeypatch):
    from wxauth.webhooks import dispatcher

    wakes: list[int] = []
    monkeypatch.setattr(dispatcher, "wake", lambda: wakes.append(1))
    session = api.login()  # no endpoint: nothing written, nobody woken
    assert wakes == []
    with app.app_context():
        endpoints.add("http://127.0.0.1:9/a", ["user.created"])
    api.login(openid=session.openid)  # a returning user: no event
    assert wakes == []
    api.login()
    assert len(wakes) == 1 and len(_rows(app, "user.created")) == 1
