"""PostgreSQL stopped under load: 503 JSON fast, /healthz says so, recovery without restart."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture()
def own_postgres(tmp_path_factory):
    """A PostgreSQL of this test's own, so it can be stopped without hurting the others."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server is missing in CI")
        pytest.skip("no PostgreSQL server installed")
    import tempfile

    pgdir = tempfile.mkdtemp(prefix="wxauth-pg-outage.")
    url = subprocess.run([ROOT / "scripts/postgres", "start", pgdir], check=True, capture_output=True, text=True).stdout.strip()

    def control(cmd: str) -> None:
        subprocess.run([ROOT / "scripts/postgres", cmd, pgdir], check=True, capture_output=True)

    yield url, control
    subprocess.run([ROOT / "scripts/postgres", "stop", pgdir], capture_output=True)
    shutil.rmtree(pgdir, ignore_errors=True)


def test_postgres_outage_answers_503_fast_and_recovers(own_postgres, spawn_server, sandbox, app_env):
    import sys

    url, control = own_postgres
    env = {**app_env, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        check=True,
        capture_output=True,
    )
    server = spawn_server(threads=16, DATABASE_URL=url)
    code, _ = sandbox.login_code()
    token = requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.url + "/api/me", headers=auth, timeout=5).status_code == 200

    control("halt")

    def timed(method, path, **kw):
        started = time.monotonic()
        resp = requests.request(method, server.url + path, timeout=10, **kw)
        return resp, time.monotonic() - started

    # Under concurrent load, every request answers quickly with a JSON 503: no hung workers.
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: timed("GET", "/api/me", headers=auth), range(32)))
    for resp, elapsed in results:
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"] == "database_unavailable"
        assert elapsed < 2.5, elapsed
    resp, elapsed = timed("GET", "/healthz")
    assert (resp.status_code, resp.json()) == (503, {"status": "unavailable"}) and elapsed < 2.5
    code, _ = sandbox.login_code()
    resp, elapsed = timed("POST", "/api/auth/login", json={"code": code})
    assert resp.status_code == 503 and resp.json()["error"] == "database_unavailable" and elapsed < 2.5

    control("resume")

    # The pool notices by itself (pre-ping): no restart of the app.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
            break
        time.sleep(0.2)
    assert requests.get(server.url + "/api/me", headers=auth, timeout=5).status_code == 200
    code, _ = sandbox.login_code()
    assert requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).status_code == 200
