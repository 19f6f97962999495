"""wxauth/gunicorn_worker.py: the production worker shares a burst of connections among the workers."""

from __future__ import annotations

import collections
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Answers with the pid of the worker that serves the connection. The pause is long here so
# that which worker takes a connection depends only on the rule, not on how fast a worker
# wakes.
APP = """
import os
import wxauth.gunicorn_worker
wxauth.gunicorn_worker.PAUSE = 3.0

def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""

THREADS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ask(sock: socket.socket, close: bool = False) -> int:
    """One request on an open connection; the pid in the answer."""
    sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n" + (b"Connection: close\r\n" if close else b"") + b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    while len(body) < length:
        body += _recv(sock)
    return int(body)


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(4096)
    assert chunk, "the server closed the connection"
    return chunk


@pytest.fixture
def server(tmp_path):
    (tmp_path / "pid_app.py").write_text(APP)
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "pid_app:app", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", str(THREADS)]
    cmd += ["-k", "wxauth.gunicorn_worker.SharingThreadWorker", "--log-level", "warning"]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen: set[int] = set()
        deadline = time.monotonic() + 30
        while len(seen) < 2:  # both workers up and serving
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not start two workers"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    seen.add(_ask(sock, close=True))
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_a_burst_of_keep_alive_connections_is_split_evenly_between_the_workers(server):
    # The stock threaded worker lets whichever worker is awake take the whole burst, often
    # all of it, and the other worker then idles for as long as the connections live.
    for _ in range(3):
        conns = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(2 * THREADS)]
        try:
            pids = collections.Counter(_ask(sock) for sock in conns)
            # and the connections stay where they were taken, request after request
            again = collections.Counter(_ask(sock) for sock in conns)
        finally:
            for sock in conns:
                sock.close()
        assert sorted(pids.values()) == [THREADS, THREADS], pids
        assert again == pids
        time.sleep(0.5)  # the workers see the connections close


@pytest.mark.slow
def test_connections_beyond_every_workers_share_are_still_taken(server):
    # Both workers full: the next connections wait out a pause, then are served.
    conns = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(2 * THREADS + 3)]
    try:
        started = time.monotonic()
        pids = collections.Counter(_ask(sock) for sock in conns)
        waited = time.monotonic() - started
    finally:
        for sock in conns:
            sock.close()
    assert sum(pids.values()) == 2 * THREADS + 3 and len(pids) == 2, pids
    assert waited < 10, waited


@pytest.mark.slow
def test_a_worker_accepts_again_as_soon_as_a_connection_it_held_closes(server):
    # Clients that close their connections must not wait out a pause: each close makes room.
    conns = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(2 * THREADS)]
    try:
        pids = collections.Counter(_ask(sock) for sock in conns)  # both workers take their share and pause
        for sock in conns:
            _ask(sock, close=True)
    finally:
        for sock in conns:
            sock.close()
    assert sorted(pids.values()) == [THREADS, THREADS], pids
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        _ask(sock)
    # well inside the 3 s pause the burst began
    assert time.monotonic() - started < 1.5
