"""The crash drill behind scripts/crash-test (a script, not a pytest module).

For each round: start wxauth under gunicorn (sandbox mode, real HTTP to its own sandbox),
drive concurrent logins, `kill -9` the whole server mid-load, restart it, then check every
login that was answered 200: its user exists (exactly once per openid), its session exists
and its token still answers /api/me with the same user, and its login event is there.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "app:app",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "8",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # master and workers at once, no cleanup
    proc.wait()


def free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": args.database,
        "WXAUTH_SANDBOX_DB": str(workdir / "sandbox.sqlite3"),
        "SECRET_KEY": "crash-test-secret-key-0123456789abcdef",
        "WXAUTH_RATELIMIT_ENABLED": "0",
        "WXAUTH_LOG_LEVEL": "ERROR",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    backend = args.database.split(":", 1)[0]
    answered: list[dict] = []
    lock = threading.Lock()
    errors_during_load = 0
    port = free_port()

    for round_no in range(1, args.kills + 1):
        proc = start(env, port)
        base = f"http://127.0.0.1:{port}"
        stop = threading.Event()

        def worker(i: int, base: str = base, stop: threading.Event = stop, round_no: int = round_no) -> None:
            nonlocal errors_during_load
            session = requests.Session()
            n = 0
            while not stop.is_set():
                n += 1
                # Half new users, half returning ones.
                openid = f"o-crash-{round_no}-{i}-{n}" if n % 2 else f"o-crash-{round_no}-{i}-{n - 1}"
                try:
                    code = session.post(base + "/_sandbox/api/login-code", json={"openid": openid}, timeout=5).json()["code"]
                    resp = session.post(base + "/api/auth/login", json={"code": code}, timeout=5)
                except (requests.RequestException, ValueError, KeyError):
                    with lock:
                        errors_during_load += 1
                    continue
                if resp.status_code == 200:
                    body = resp.json()
                    with lock:
                        answered.append({"openid": openid, "token": body["token"], "user_id": body["user"]["id"]})

        with ThreadPoolExecutor(max_workers=12) as pool:
            for i in range(12):
                pool.submit(worker, i)
            time.sleep(1.5 + round_no * 0.37)  # kill at a different moment each round
            kill9(proc)
            stop.set()
        print(f"{backend}: kill {round_no}: server killed with {len(answered)} logins answered so far", flush=True)

    proc = start(env, port)
    base = f"http://127.0.0.1:{port}"
    engine = create_engine(args.database)
    problems = []
    with engine.connect() as conn:
        dup = conn.execute(
            text("SELECT count(*) FROM (SELECT appid, openid FROM users GROUP BY appid, openid HAVING count(*) > 1) d")
        ).scalar()
        orphan_users = conn.execute(
            text("SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM api_sessions s WHERE s.user_id = u.id)")
        ).scalar()
        users = conn.execute(text("SELECT count(*) FROM users")).scalar()
        for entry in answered:
            row = conn.execute(text("SELECT id FROM users WHERE openid = :o"), {"o": entry["openid"]}).first()
            if row is None or row[0] != entry["user_id"]:
                problems.append(f"user missing for {entry['openid']}")
                continue
            events = conn.execute(
                text("SELECT count(*) FROM login_events WHERE user_id = :u AND outcome = 'success'"), {"u": row[0]}
            ).scalar()
            if events == 0:
                problems.append(f"no login event for {entry['openid']}")
    checked_tokens = 0
    http = requests.Session()
    for entry in answered:
        resp = http.get(base + "/api/me", headers={"Authorization": f"Bearer {entry['token']}"}, timeout=10)
        checked_tokens += 1
        if resp.status_code != 200 or resp.json()["user"]["id"] != entry["user_id"]:
            problems.append(f"token for {entry['openid']} answers {resp.status_code}")
    proc.terminate()
    proc.wait(timeout=20)
    if dup:
        problems.append(f"{dup} duplicated (appid, openid)")
    if orphan_users:
        problems.append(f"{orphan_users} users without any session (half-written logins)")
    print(
        f"{backend}: {args.kills} kills survived; {len(answered)} logins answered 200 checked "
        f"(user, event, token: {checked_tokens} tokens still work); {users} users in the database, "
        f"0 duplicates expected/{dup} found, {orphan_users} half-written; "
        f"{errors_during_load} requests cut by the kills; problems: {len(problems)}"
    )
    for problem in problems[:20]:
        print("  PROBLEM:", problem)
    return 1 if problems or not answered else 0


if __name__ == "__main__":
    sys.exit(main())
