"""scripts/run, started while a server already holds its port, touches nothing."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_second_start_on_a_busy_port_changes_nothing_and_says_why(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    try:
        proc = subprocess.run(
            [str(ROOT / "scripts/run"), "-p", str(port)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
        )
    finally:
        busy.close()
    assert proc.returncode == 1
    assert f"port {port} is already in use" in proc.stderr and f"scripts/run -p {port + 1}" in proc.stderr
    assert "password" not in proc.stdout + proc.stderr  # the demo operator was not touched
    assert not (tmp_path / "x.sqlite3").exists()  # nor the database


def _sandbox_check() -> str:
    """The Python one-liner scripts/run uses to decide whether to create the demo operator and data."""
    line = next(line for line in (ROOT / "scripts/run").read_text().splitlines() if "from app import app" in line)
    return line.split("-c '", 1)[1].split("'", 1)[0]


def test_the_sandbox_check_of_scripts_run_tells_sandbox_from_production(tmp_path):
    base = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}"}
    production = {
        **base,
        "WXAUTH_SANDBOX": "0",
        "WXAUTH_APPID": "wx0123456789abcdef",
        "WXAUTH_SECRET": "a-real-looking-app-secret-0123456789",
        "SECRET_KEY": "x" * 48,
        "WXAUTH_SERVER_NAME": "auth.example.com",
    }
    python = str(ROOT / ".venv/bin/python")
    sandbox = subprocess.run([python, "-c", _sandbox_check()], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)
    assert sandbox.returncode == 0, sandbox.stderr[-2000:]  # so the demo operator and data are made
    real = subprocess.run([python, "-c", _sandbox_check()], cwd=ROOT, env=production, capture_output=True, text=True, timeout=60)
    assert real.returncode == 1, real.stderr[-2000:]
