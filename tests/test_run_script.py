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
