"""Where the login's time goes: py-spy on the gunicorn workers while wrk drives logins.

    bench/run profile

For wxauth and for the reference peer, on SQLite and PostgreSQL: starts the server as the
bench does, drives logins with wrk, samples every worker with `py-spy record --format raw`
(collapsed stacks of the threads holding the GIL, written to
bench/out/profile-<server>-<backend>-<pid>.txt), and prints the
functions holding the most samples, inclusive and self, so a change can be aimed at what
the profile shows.
"""

from __future__ import annotations

import collections
import re
import subprocess
import threading
from pathlib import Path

import procs
import seed
from loadgen import wrk
from procs import ROOT, PeerServer, Server

TOP = 25
OUT = ROOT / "bench/out"


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    cmd = [
        str(procs.VENV_BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        "250",
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
        # Only samples that hold the GIL: the Python CPU a request costs, not the time its
        # threads wait on WeChat, the database or the SQLite writers' lock.
        "--gil",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _label(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['function']} ({match['file'].rsplit('/', 1)[-1]})"


def summarize(paths: list[Path]) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Samples in all, and the functions with the most samples: inclusive, and on top (self)."""
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit() or not stack:
                continue
            n = int(count)
            frames = [_label(f) for f in stack.split(";")]
            total += n
            for frame in set(frames):
                inclusive[frame] += n
            own[frames[-1]] += n
    return total, inclusive.most_common(TOP), own.most_common(TOP)


def profile(backend: str, plan) -> list[str]:
    url = procs.postgres(durable=True) if backend == "postgresql" else f"sqlite:///{procs.workdir('sqlite') / 'wxauth.sqlite3'}"
    peer_url = url if backend == "postgresql" else f"sqlite:///{procs.workdir('peer') / 'peer.sqlite3'}"
    seed.migrate(url)
    seed.seed_pool(url, plan.returning)
    seed.seed_peer(peer_url, plan.returning)
    wechat = procs.wechat_standin(0, prefer_nginx=plan.nginx)
    lines = []
    for name, cls, db_url in (("wxauth", Server, url), ("peer", PeerServer, peer_url)):
        with cls(db_url, wechat) as srv:
            wrk("warm-up", srv.url, "login", plan.warmup, plan.connections, pool=plan.pool)
            OUT.mkdir(parents=True, exist_ok=True)
            workers = srv.workers()
            outs = [OUT / f"profile-{name}-{backend}-{pid}.txt" for pid in workers]
            spies = [record(pid, plan.seconds, out) for pid, out in zip(workers, outs, strict=True)]
            load = threading.Thread(
                target=wrk, args=("login", srv.url, "login", plan.seconds, plan.connections), kwargs={"pool": plan.pool}
            )
            load.start()
            load.join()
            for spy in spies:
                spy.wait(timeout=plan.seconds + 30)
        total, inclusive, own = summarize(outs)
        lines += [f"### {name} on {backend}: {total:,} samples", "", "| inclusive | function |", "|---:|---|"]
        lines += [f"| {n / total * 100:.1f} % | `{frame}` |" for frame, n in inclusive if total]
        lines += ["", "| self | function |", "|---:|---|"]
        lines += [f"| {n / total * 100:.1f} % | `{frame}` |" for frame, n in own if total]
        lines.append("")
    return lines
