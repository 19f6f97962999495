"""Load: wrk for throughput (closed loop), a small open-loop generator for a fixed rate.

wrk2 is not in Debian, so the fixed-rate test is done here: requests are scheduled at
exact times (start + i / rate) and each latency is measured from its scheduled time, so a
server that falls behind shows it in the latency instead of silently lowering the rate
(no coordinated omission). At a few hundred requests a second, stdlib http.client on a
pool of threads with keep-alive connections is plenty.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from procs import BENCH

WRK_THREADS = 2


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(name: str, url: str, mode: str, seconds: int, connections: int, pool: int = 0, tokens: Path | None = None) -> Result:
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_POOL": str(pool)}
    if tokens:
        env["BENCH_TOKENS"] = str(tokens)
    cmd = [
        "wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
        "-s", str(BENCH / "wrk/bench.lua"), url,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON "):])
    return Result(
        name=name,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non2xx=data["non2xx"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _post_json(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, resp.read()


def tokens_file(url: str, pool: int, count: int, path: Path) -> Path:
    """Log `count` pool users in and write their tokens, one a line, for the /api/me test."""
    local = threading.local()

    def login(n: int) -> str:
        if not hasattr(local, "conn"):
            local.conn = _connection(url)
        status, body = _post_json(local.conn, "/api/auth/login", {"code": f"bench-{n}"})
        assert status == 200, body[:200]
        return json.loads(body)["token"]

    with ThreadPoolExecutor(max_workers=8) as pool_:
        tokens = list(pool_.map(login, random.sample(range(pool), count)))
    path.write_text("\n".join(tokens) + "\n")
    return path


def open_loop_logins(url: str, rate: float, seconds: float, pool: int, concurrency: int = 128) -> Result:
    """POST logins at a fixed `rate` for `seconds`; latency counted from each scheduled start."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    lock = threading.Lock()
    next_index = iter(range(total))
    latencies: list[float] = []
    late: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        conn = _connection(url)
        rng = random.Random()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            scheduled = start + i / rate
            wait = scheduled - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            sent = time.monotonic()
            try:
                status, body = _post_json(conn, "/api/auth/login", {"code": f"bench-{rng.randrange(pool)}"})
            except (OSError, http.client.HTTPException) as exc:
                status, body = 0, repr(exc).encode()
                conn.close()
                conn = _connection(url)
            done = time.monotonic()
            with lock:
                latencies.append(done - scheduled)
                late.append(max(0.0, sent - scheduled))
                if status != 200:
                    failures.append(f"{status} {body[:120]!r}")
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.monotonic() - start
    latencies.sort()
    return Result(
        name="login, 100 ms WeChat, open loop",
        requests=len(latencies),
        seconds=elapsed,
        non2xx=len(failures),
        socket_errors=sum(1 for f in failures if f.startswith("0 ")),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        extra={"max_ms": latencies[-1] * 1000 if latencies else 0, "max_send_delay_ms": max(late, default=0) * 1000,
               "failures": failures[:5], "target_rate": rate},
    )


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]
