"""Delivery by the app's own gunicorn workers, with no separate process: the login never
waits on the receiver, `kill -9` mid-delivery loses nothing, a database restart neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, select

from tests.support import Receiver
from tests.test_database_outage import ROOT, own_postgres  # noqa: F401 - a fixture
from wxauth.extensions import db
from wxauth.models import WebhookDelivery
from wxauth.webhooks import delivery, endpoints

pytestmark = pytest.mark.slow


def _status(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery.event_id, WebhookDelivery.status, WebhookDelivery.attempts)).all()
        db.session.commit()
        return [tuple(r) for r in rows]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def test_kill_9_mid_delivery_loses_nothing(app, spawn_server, sandbox):
    receiver = Receiver(delay=4.0)  # holds each request: the kill lands mid-delivery
    try:
        with app.app_context():
            endpoints.add(receiver.url, ["user.created"])
        server = spawn_server(threads=4)
        code, _ = sandbox.login_code()
        started = time.monotonic()
        resp = requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10)
        answered = time.monotonic() - started
        assert resp.status_code == 200
        assert answered < receiver.delay / 2, answered  # the login did not wait on the receiver
        (first,) = receiver.wait_for(1, timeout=10)  # delivered by the app itself, no worker process
        server.kill9()
        assert [s for _, s, _ in _status(app)] == ["pending"]  # the 200 never came back

        receiver.delay = 0
        spawn_server(threads=4)
        # The dead process's lease runs out; the new one sends the same event again.
        second = receiver.wait_for(2, timeout=delivery.LEASE.total_seconds() + 20)[1]
        assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"]
        _wait(lambda: [s for _, s, _ in _status(app)] == ["delivered"], 10, "the row was not marked delivered")
    finally:
        receiver.close()


def test_delivery_survives_a_database_restart(own_postgres, spawn_server, sandbox, app_env):  # noqa: F811
    url, control = own_postgres
    env = {**app_env, "DATABASE_URL": url}
    cli_env = {"PATH": os.environ["PATH"], **env}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=cli_env, check=True, capture_output=True)
    receiver = Receiver(status=503)
    try:
        added = subprocess.run(
            [*flask, "webhooks", "add", receiver.url, "--event", "user.created"],
            cwd=ROOT,
            env=cli_env,
            capture_output=True,
            text=True,
        )
        assert added.returncode == 0 and added.stdout.startswith("secret: "), added.stderr
        server = spawn_server(threads=4, DATABASE_URL=url)
        code, _ = sandbox.login_code()
        assert requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).status_code == 200
        receiver.wait_for(1, timeout=10)  # refused: the event waits for its retry

        control("halt")
        time.sleep(1.5)  # the delivery loop meets the dead database at least once
        control("resume")
        receiver.status = 200
        requests_seen = receiver.wait_for(2, timeout=30)
        assert len({json.loads(r["body"])["id"] for r in requests_seen}) == 1
        engine = create_engine(url)

        def delivered() -> bool:
            with engine.connect() as conn:
                return conn.execute(select(WebhookDelivery.status)).scalar_one() == "delivered"

        try:
            _wait(delivered, 10, "the row was not marked delivered")
        finally:
            engine.dispose()
    finally:
        receiver.close()


def test_flask_webhooks_worker_delivers_on_its_own(app, app_env, api):
    """WXAUTH_WEBHOOK_DELIVERY=worker: the app's processes leave delivery to `flask webhooks worker`."""
    receiver = Receiver()
    worker = None
    try:
        with app.app_context():
            endpoints.add(receiver.url, ["user.created"])
        api.login()  # the test app never delivers by itself
        env = {"PATH": os.environ["PATH"], **app_env, "WXAUTH_WEBHOOK_DELIVERY": "worker"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "webhooks", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (request,) = receiver.wait_for(1, timeout=20)
        assert json.loads(request["body"])["type"] == "user.created"
        _wait(lambda: [s for _, s, _ in _status(app)] == ["delivered"], 10, "the row was not marked delivered")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
        receiver.close()
