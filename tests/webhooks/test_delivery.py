"""Delivery to a real HTTP receiver on loopback: signed, retried with backoff, recorded,
claimed by one sender at a time, and never lost."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support import Receiver
from wxauth.extensions import db
from wxauth.models import WebhookAttempt, WebhookDelivery, utcnow
from wxauth.webhooks import delivery, endpoints, signing


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def hook(app, receiver) -> str:
    with app.app_context():
        return endpoints.add(receiver.url, ["user.created", "user.deleted", "session.revoked"]).secret


def _deliver(app, **kw) -> int:
    with app.app_context():
        return delivery.deliver_due(**kw)


def _delivery(app) -> WebhookDelivery:
    with app.app_context():
        row = db.session.scalars(select(WebhookDelivery)).one()
        db.session.expunge(row)
        return row


def _attempts(app) -> list[WebhookAttempt]:
    with app.app_context():
        rows = list(db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all())
        db.session.expunge_all()
        return rows


def test_a_delivery_is_signed_and_its_attempt_recorded(app, api, receiver, hook):
    session = api.login()
    assert _deliver(app) == 1
    (request,) = receiver.wait_for(1)
    headers, body = request["headers"], request["body"]
    event = json.loads(body)
    assert set(event) == {"id", "type", "createdAt", "appid", "data"} and event["type"] == "user.created"
    assert event["data"]["user"] == session.user and headers["Wxauth-Event-Id"] == event["id"]
    t, v1 = (part.split("=", 1)[1] for part in headers["Wxauth-Signature"].split(","))
    assert abs(int(t) - time.time()) < 60
    assert v1 == hmac.new(hook.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert signing.verify(hook, body, headers["Wxauth-Signature"])
    assert not signing.verify(hook, body + b" ", headers["Wxauth-Signature"])
    assert not signing.verify(hook, body, headers["Wxauth-Signature"], now=int(t) + 301)
    row = _delivery(app)
    assert row.status == "delivered" and row.attempts == 1 and row.last_status == 200
    (attempt,) = _attempts(app)
    assert attempt.status_code == 200 and attempt.response_excerpt == "ok from receiver" and attempt.latency_ms >= 0
    assert _deliver(app) == 0  # delivered once


def test_a_failure_is_retried_within_10_s_then_with_growing_backoff(app, api, receiver, hook):
    receiver.status = 500
    api.login()
    start = utcnow()
    _deliver(app, now=start)
    row = _delivery(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_status == 500
    assert timedelta(0) < row.next_attempt_at - start <= timedelta(seconds=10)
    assert _deliver(app, now=start) == 0  # not due yet
    gaps, at = [], start
    for _ in range(5):
        at = _delivery(app).next_attempt_at
        _deliver(app, now=at)
        gaps.append((_delivery(app).next_attempt_at - at).total_seconds())
    for attempts, gap in enumerate(gaps, start=2):  # the gap after attempt n is within [c/2, c], c doubling
        ceiling = delivery.FIRST_RETRY * 2 ** (attempts - 1)
        assert ceiling / 2 <= gap <= ceiling, (attempts, gaps)
    assert [a.status_code for a in _attempts(app)] == [500] * 6 and _attempts(app)[0].error == "HTTP 500"


def test_backoff_doubles_its_ceiling_with_full_jitter():
    rng = random.Random(7)
    for attempts in range(1, 15):
        ceiling = min(delivery.FIRST_RETRY * 2 ** (attempts - 1), delivery.MAX_DELAY)
        values = [delivery.backoff(attempts, rng) for _ in range(200)]
        assert ceiling / 2 <= min(values) and max(values) <= ceiling
        assert max(values) - min(values) > ceiling / 10  # jittered, not one value


def test_a_receiver_down_for_an_hour_gets_the_event_when_it_is_back(app, api, receiver, hook):
    receiver.status = 503
    api.login()
    start = utcnow()
    at = start
    while at < start + timedelta(hours=1):
        _deliver(app, now=at)
        at = _delivery(app).next_attempt_at
    assert _delivery(app).status == "pending"
    receiver.status = 200
    _deliver(app, now=at)
    row = _delivery(app)
    assert row.status == "delivered" and row.attempts > 5
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same event every time (receivers dedupe on its id)


def test_after_the_retry_window_the_delivery_fails(app, api, receiver, hook, override_settings):
    override_settings(webhook_retry_hours=1)
    receiver.status = 500
    api.login()
    at = utcnow()
    for _ in range(100):
        _deliver(app, now=at)
        row = _delivery(app)
        if row.status != "pending":
            break
        at = row.next_attempt_at
    assert row.status == "failed" and at - row.created_at <= timedelta(hours=1)


def test_a_redirect_or_a_dead_port_is_a_failure(app, api, receiver):
    with app.app_context():
        endpoints.add("http://127.0.0.1:9/nothing-listens", ["user.created"])
    api.login()
    _deliver(app)
    row = _delivery(app)
    assert row.status == "pending" and row.last_status is None
    assert _attempts(app)[0].error == "could not connect"


def test_a_slow_receiver_is_a_failure(app, api, receiver, hook, monkeypatch):
    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    receiver.delay = 1.0
    api.login()
    _deliver(app)
    assert _delivery(app).status == "pending"
    assert _attempts(app)[0].error in ("timed out", "no answer within 10 s")


def test_concurrent_senders_never_send_one_row_twice(app, api, receiver, hook):
    for _ in range(12):
        api.login()
    receiver.delay = 0.05
    barrier = threading.Barrier(4)

    def sender():
        barrier.wait()
        while _deliver(app, limit=2):
            pass

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [json.loads(r["body"])["id"] for r in receiver.requests]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_redeliver_sends_again(app, api, receiver, hook):
    api.login()
    _deliver(app)
    row = _delivery(app)
    with app.app_context():
        assert delivery.redeliver(row.id)
    _deliver(app)
    assert len(receiver.wait_for(2)) == 2 and _delivery(app).attempts == 2


def test_a_removed_endpoint_gets_nothing_more(app, api, receiver, hook):
    api.login()
    with app.app_context():
        assert endpoints.remove(receiver.url)
    _deliver(app)
    assert receiver.requests == [] and _delivery(app).status == "failed"


def test_the_webhooks_cli(runner, receiver, app):
    result = runner.invoke(args=["webhooks", "add", receiver.url, "--event", "user.created", "--event", "user.deleted"])
    assert result.exit_code == 0 and result.output.startswith("secret: whsec_")
    secret = result.output.split(": ", 1)[1].strip()
    listing = runner.invoke(args=["webhooks", "list"]).output
    assert receiver.url in listing and "user.created user.deleted" in listing and secret not in listing
    tested = runner.invoke(args=["webhooks", "test", receiver.url])
    assert tested.exit_code == 0 and "HTTP 200" in tested.output, tested.output
    (request,) = receiver.wait_for(1)
    assert json.loads(request["body"])["type"] == "webhook.test"
    assert signing.verify(secret, request["body"], request["headers"]["Wxauth-Signature"])
    assert runner.invoke(args=["webhooks", "add", receiver.url, "--event", "user.created"]).exit_code != 0
    assert runner.invoke(args=["webhooks", "add", "ftp://x", "--event", "user.created"]).exit_code != 0
    assert runner.invoke(args=["webhooks", "remove", receiver.url]).exit_code == 0
    assert runner.invoke(args=["webhooks", "remove", receiver.url]).exit_code != 0
    receiver.status = 500
    runner.invoke(args=["webhooks", "add", receiver.url, "--event", "user.created"])
    assert runner.invoke(args=["webhooks", "test", receiver.url]).exit_code != 0


def test_the_secret_is_sealed_at_rest(app, hook):
    with app.app_context():
        (endpoint,) = endpoints.listed()
        assert hook not in endpoint.secret_ciphertext and endpoints.secret_of(endpoint) == hook


def test_purge_keeps_pending_deliveries(app, api, receiver, hook, runner):
    api.login()
    api.login()
    with app.app_context():
        first, second = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        first.status, first.created_at = "delivered", utcnow() - timedelta(days=40)
        second.created_at = utcnow() - timedelta(days=40)  # still pending
        db.session.commit()
    result = runner.invoke(args=["webhooks", "purge", "--older-than", "30d"])
    assert result.exit_code == 0 and "deleted 1 rows" in result.output, result.output
    with app.app_context():
        assert [r.status for r in db.session.scalars(select(WebhookDelivery))] == ["pending"]
