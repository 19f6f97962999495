"""Load: wrk for throughput (closed loop), a small open-loop generator for a fixed rate.

wrk2 is not in Debian, so the fixed-rate test is done here: requests are scheduled at
exact times (start + i / rate) and each latency is measured from its scheduled time, so a
server that falls behind shows it in the latency instead of silently lowering the rate
(no coordinated omission). One asyncio loop with keep-alive connections sends them: a few
hundred requests a second cost it a few percent of a core.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import subprocess
import threading
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


def wrk(
    name: str,
    url: str,
    mode: str,
    seconds: int,
    connections: int,
    pool: int = 0,
    tokens: Path | None = None,
    basic: str | None = None,
) -> Result:
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_POOL": str(pool)}
    if basic:
        env["BENCH_BASIC"] = basic
    if tokens:
        env["BENCH_TOKENS"] = str(tokens)
    cmd = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk/bench.lua"),
        url,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(row for row in out.splitlines() if row.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
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


def open_loop_logins(url: str, rate: float, seconds: float, pool: int) -> Result:
    """POST logins at a fixed `rate` for `seconds`; latency counted from each scheduled start.

    One asyncio loop sends every request at its scheduled time over a pool of keep-alive
    connections. (A first version used 128 threads sleeping until their turn: at 200/s
    their wake-ups, queued behind each other for the GIL, added up to ~300 ms to the p99
    it measured, a cost of the load generator and not of the server.)
    """
    return asyncio.run(_open_loop(url, rate, seconds, pool))


async def _open_loop(url: str, rate: float, seconds: float, pool: int) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    latencies: list[float] = []
    late: list[float] = []
    failures: list[str] = []
    rng = random.Random()
    total = int(rate * seconds)
    start = loop.time() + 0.2

    async def exchange(request: bytes, reuse: bool) -> tuple[int, bytes]:
        reader, writer = idle.pop(0) if reuse else await asyncio.open_connection(host, port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
        )
        body = await reader.readexactly(length)
        idle.append((reader, writer))
        return status, body

    async def login(i: int) -> None:
        scheduled = start + i / rate
        sent = loop.time()
        body = json.dumps({"code": f"bench-{rng.randrange(pool)}"}).encode()
        request = (
            f"POST /api/auth/login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            try:
                status, answer = await exchange(request, reuse=bool(idle))
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                # A kept-alive connection the server closed as idle: the request never got
                # an answer; send it again on a new connection, as HTTP clients do.
                if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                    raise
                status, answer = await exchange(request, reuse=False)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, answer = 0, repr(exc).encode()
        done = loop.time()
        latencies.append(done - scheduled)
        late.append(max(0.0, sent - scheduled))
        if status != 200:
            failures.append(f"{status} {answer[:120]!r}")

    tasks = []
    for i in range(total):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(login(i)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)
    elapsed = loop.time() - start
    for _, writer in idle:
        writer.close()
    latencies.sort()
    return Result(
        name="login, 100 ms WeChat, open loop",
        requests=len(latencies),
        seconds=elapsed,
        non2xx=len(failures),
        socket_errors=sum(1 for f in failures if f.startswith("0 ")),
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        extra={
            "max_ms": latencies[-1] * 1000 if latencies else 0,
            "max_send_delay_ms": max(late, default=0) * 1000,
            "failures": failures[:5],
            "target_rate": rate,
        },
    )


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]
