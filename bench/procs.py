"""The processes a benchmark run starts: WeChat stand-ins, PostgreSQL, wxauth under gunicorn.

Everything listens on 127.0.0.1 only, and everything started here is stopped by `stop_all`
(bench.py calls it on exit and on SIGINT/SIGTERM), by process id, never by name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent

SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
APPID = "wxbench0000000000"
APP_SECRET = "bench-app-secret"

_started: list[subprocess.Popen] = []
_cleanups: list = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workdir(name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"wxauth-bench-{name}-"))
    _cleanups.append(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def spawn(cmd: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    fh = open(log, "ab")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the process and its children
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc in _started:
        _started.remove(proc)


def stop_all() -> None:
    for proc in reversed(list(_started)):
        stop(proc)
    for cleanup in reversed(_cleanups):
        cleanup()
    _cleanups.clear()


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited early:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


# -- WeChat stand-ins ---------------------------------------------------------------------


def wechat_standin(delay: float, prefer_nginx: bool = True) -> str:
    """Start a stand-in answering `bench-<n>` codes; return its base URL."""
    port = free_port()
    work = workdir("wechat")
    log = work / "standin.log"
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if delay == 0 and prefer_nginx and nginx:
        conf = (BENCH / "nginx.conf.in").read_text().replace("@DIR@", str(work)).replace("@PORT@", str(port))
        (work / "nginx.conf").write_text(conf)
        proc = spawn([nginx, "-c", str(work / "nginx.conf"), "-p", str(work)], log)
    else:
        cmd = [sys.executable, str(BENCH / "wechat_standin.py"), "--port", str(port), "--delay", str(delay)]
        proc = spawn(cmd, log)
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/", proc, log)
    return url


# -- PostgreSQL ------------------------------------------------------------------------------


def postgres(durable: bool = True, opts: str = "") -> str:
    """A private PostgreSQL with production durability (fsync, synchronous_commit on)."""
    work = workdir("pg")
    env = {**os.environ, "PG_DURABLE": "1" if durable else "0", "PG_OPTS": opts}
    url = subprocess.run(
        [str(ROOT / "scripts/postgres"), "start", str(work)], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    _cleanups.append(lambda: subprocess.run([str(ROOT / "scripts/postgres"), "stop", str(work)], check=False))
    return url


# -- wxauth ----------------------------------------------------------------------------------


def app_env(database_url: str, wechat_url: str) -> dict:
    return {
        "PATH": os.environ.get("PATH", ""),
        "SECRET_KEY": SECRET_KEY,
        "WXAUTH_APPID": APPID,
        "WXAUTH_SECRET": APP_SECRET,
        "WXAUTH_SANDBOX": "0",
        "WXAUTH_SERVER_NAME": "127.0.0.1,localhost",  # localhost: the in-process test clients
        "WXAUTH_WECHAT_API_BASE": wechat_url,
        "DATABASE_URL": database_url,
        "WXAUTH_BENCH": "1",
        # The load comes from one address: limits stay on (their cost is measured) but out of reach.
        "WXAUTH_RATELIMIT_LOGIN": "1000000000/minute",
        "WXAUTH_RATELIMIT_PHONE": "1000000000/minute",
        "WXAUTH_RATELIMIT_PHONE_USER": "1000000000/minute",
    }


def flask_cli(database_url: str, wechat_url: str, *args: str) -> str:
    """Run `flask --app app ARGS` against the bench's database; its output."""
    cmd = [str(VENV_BIN / "flask"), "--app", "app", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=app_env(database_url, wechat_url), capture_output=True, text=True, check=True)
    return done.stdout


def production_settings() -> dict:
    """The settings gunicorn.conf.py gives (what the README's production command runs)."""
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 - our own config file
    return {k: v for k, v in namespace.items() if not k.startswith("_") and isinstance(v, (str, int, float, bool))}


class Server:
    """wxauth under gunicorn with the production settings (gunicorn.conf.py), on loopback."""

    def __init__(self, database_url: str, wechat_url: str, extra_args: list[str] | None = None, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**app_env(database_url, wechat_url), **(extra_env or {})}
        self.log = workdir("server") / "gunicorn.log"
        # Only the address differs from production: gunicorn.conf.py in ROOT gives the rest.
        self.cmd = [str(VENV_BIN / "gunicorn"), "app:app", "-b", f"127.0.0.1:{self.port}", *(extra_args or [])]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.proc = spawn(self.cmd, self.log, env=self.env)
        wait_http(self.url + "/healthz", self.proc, self.log)
        # Each worker imports the app on start; wait until all of them answer.
        deadline = time.monotonic() + 30
        while len(self.workers()) < self.expected_workers() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop(self.proc)

    def expected_workers(self) -> int:
        if "-w" in self.cmd:
            return int(self.cmd[self.cmd.index("-w") + 1])
        return int(production_settings().get("workers", 1))

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def peak_rss_mb(self) -> list[float]:
        """VmHWM (the peak resident set) of each worker, in MB."""
        peaks = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def errors_in_log(self) -> list[str]:
        text = self.log.read_text(errors="replace")
        return [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line][:20]


class PlainFlaskServer(Server):
    """bench/peer/plain_flask.py: the bare endpoint in a plain Flask app, same gunicorn flags."""

    def __init__(self, database_url: str, wechat_url: str, extra_args: list[str] | None = None):
        super().__init__(database_url, wechat_url, extra_args)
        self.env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(BENCH / "peer")}
        self.cmd = [str(VENV_BIN / "gunicorn"), "plain_flask:app", "-b", f"127.0.0.1:{self.port}", *(extra_args or [])]


class PeerServer(Server):
    """The reference peer (bench/peer/app.py) under the same gunicorn flags as wxauth."""

    def __init__(self, database_url: str, wechat_url: str, extra_args: list[str] | None = None):
        super().__init__(database_url, wechat_url, extra_args)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(BENCH / "peer"),
            "PEER_DATABASE_URL": database_url,
            "PEER_WECHAT_URL": wechat_url,
            "PEER_APPID": APPID,
            "PEER_SECRET": APP_SECRET,
            "PEER_SECRET_KEY": SECRET_KEY,
        }
        # Started from ROOT, so gunicorn.conf.py gives it the same settings as wxauth.
        self.cmd = [str(VENV_BIN / "gunicorn"), "peer_login:app", "-b", f"127.0.0.1:{self.port}", *(extra_args or [])]
