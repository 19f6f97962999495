"""wxauth's benchmark. Run it through `bench/run` (which installs what it needs).

    bench/run [all|api|latency|dashboard|smoke]

`api`        login and /api/me throughput on SQLite and PostgreSQL against a near-free WeChat
             stand-in, as ratios of the bare endpoint /_bench/ping on the same server; RSS.
`latency`    logins at a steady 200/s for a minute with a 100 ms WeChat round trip.
`dashboard`  PostgreSQL with 1 M users / 10 M login events (SQLite 1 M / 5 M), every
             dashboard page timed server-side (bench/dashboard.py lists the pages).
`peer`       login throughput of wxauth against the reference peer (bench/peer: the login
             a team writes from the tutorials), in alternating rounds on each backend and
             in two gunicorn configurations; per round and the median ratio.
`smoke`      all of the API path in a few seconds on a tiny pool, for CI: fails on any
             error, never on speed.

Each part rewrites its own section of bench/RESULTS.md (smoke writes bench/out/ only).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import procs
import seed
import statements
from loadgen import WRK_THREADS, Result, open_loop_logins, tokens_file, wrk
from procs import ROOT, PeerServer, PlainFlaskServer, Server

RESULTS = ROOT / "bench/RESULTS.md"
OUT = ROOT / "bench/out"


@dataclass(frozen=True)
class Plan:
    pool: int = 20_000
    returning: int = 18_000  # 90 % of the pool are returning users; the rest log in for the first time
    seconds: int = 15
    warmup: int = 3
    connections: int = 64
    me_tokens: int = 1_000
    rate: float = 200
    rate_seconds: float = 60
    round_trip: float = 0.100
    backends: tuple = ("sqlite", "postgresql")
    nginx: bool = True
    peer_rounds: int = 3
    # The bare endpoint's difference is a few per cent, smaller than this machine's drift
    # over a minute: short turns, close together, many of them.
    pipeline_pairs: int = 8
    pipeline_seconds: int = 5


FULL = Plan()
SMOKE = Plan(
    pool=200,
    returning=150,
    seconds=2,
    warmup=1,
    connections=8,
    me_tokens=20,
    rate=20,
    rate_seconds=3,
    backends=("sqlite",),
    nginx=False,
    peer_rounds=1,
    pipeline_pairs=1,
    pipeline_seconds=1,
)


def say(msg: str) -> None:
    print(msg, flush=True)


def database(backend: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{procs.workdir('sqlite') / 'wxauth.sqlite3'}"
    return procs.postgres(durable=True)


# -- parts -------------------------------------------------------------------------------------


def api(plan: Plan) -> dict:
    """Throughput of ping, login and /api/me on each backend; peak RSS of the workers."""
    out: dict = {}
    wechat = procs.wechat_standin(0, prefer_nginx=plan.nginx)
    for backend in plan.backends:
        url = database(backend)
        seed.migrate(url)
        seed.seed_pool(url, plan.returning)
        say(f"== {backend}: {plan.returning:,} returning users of a {plan.pool:,} pool; WeChat stand-in {wechat}")
        with Server(url, wechat) as srv:
            wrk("warm-up", srv.url, "ping", plan.warmup, plan.connections)
            ping = wrk("bare JSON endpoint", srv.url, "ping", plan.seconds, plan.connections)
            say(f"   ping   {ping.rps:8.0f}/s")
            wrk("warm-up", srv.url, "login", plan.warmup, plan.connections, pool=plan.pool)
            before = seed.count_users(url)
            login = wrk("login", srv.url, "login", plan.seconds, plan.connections, pool=plan.pool)
            login.extra["new_users"] = seed.count_users(url) - before
            say(f"   login  {login.rps:8.0f}/s  non-2xx {login.non2xx}  new users {login.extra['new_users']}")
            tokens = tokens_file(srv.url, plan.pool, plan.me_tokens, procs.workdir("tokens") / "tokens.txt")
            wrk("warm-up", srv.url, "me", plan.warmup, plan.connections, tokens=tokens)
            me = wrk("GET /api/me", srv.url, "me", plan.seconds, plan.connections, tokens=tokens)
            say(f"   me     {me.rps:8.0f}/s  non-2xx {me.non2xx}")
            out[backend] = {
                "ping": ping,
                "login": login,
                "me": me,
                "rss_mb": srv.peak_rss_mb(),
                "log_errors": srv.errors_in_log(),
                "statements": statements.count(url, wechat, plan.pool),
            }
    return out


# gunicorn as gunicorn.conf.py sets it (production), and the 2 workers × 4 gthreads.
PEER_CONFIGS = {"production (gunicorn.conf.py)": [], "2 workers × 4 threads": ["-w", "2", "--threads", "4", "-k", "gthread"]}


def peer(plan: Plan) -> dict:
    """wxauth's login against the peer's, alternating rounds: same flags, stand-in and database."""
    out: dict = {}
    wechat = procs.wechat_standin(0, prefer_nginx=plan.nginx)
    for backend in plan.backends:
        url = database(backend)
        peer_url = url if backend == "postgresql" else f"sqlite:///{procs.workdir('peer') / 'peer.sqlite3'}"
        seed.migrate(url)
        seed.seed_pool(url, plan.returning)
        seed.seed_peer(peer_url, plan.returning)
        for config, args in PEER_CONFIGS.items():
            rounds = []
            for n in range(plan.peer_rounds):
                pair = {}
                for name, cls, db_url in (("peer", PeerServer, peer_url), ("wxauth", Server, url)):
                    with cls(db_url, wechat, args) as srv:
                        wrk("warm-up", srv.url, "login", plan.warmup, plan.connections, pool=plan.pool)
                        pair[name] = wrk(f"{name} login", srv.url, "login", plan.seconds, plan.connections, pool=plan.pool)
                        pair[name].extra["log_errors"] = srv.errors_in_log()
                ratio = pair["wxauth"].rps / pair["peer"].rps if pair["peer"].rps else float("inf")
                say(
                    f"   {backend} · {config} · round {n + 1}: peer {pair['peer'].rps:6.0f}/s "
                    f"(non-2xx {pair['peer'].non2xx}), wxauth {pair['wxauth'].rps:6.0f}/s "
                    f"(non-2xx {pair['wxauth'].non2xx}): {ratio:.2f}×"
                )
                rounds.append(pair)
            out[(backend, config)] = rounds
    return out


# A login as configured by default, with a webhook endpoint subscribed to every event (the
# nginx stand-in answers its POSTs with 200), and with JWT access tokens.
LOGIN_CONFIGS = {
    "opaque, no webhooks": ({}, False),
    "opaque, webhooks on": ({}, True),
    "jwt, no webhooks": ({"WXAUTH_TOKEN_FORMAT": "jwt"}, False),
}
EVENTS = ["user.created", "user.phone_bound", "user.profile_updated", "user.deleted", "session.revoked"]


def integrations(plan: Plan) -> dict:
    """Login with webhooks on and with JWT tokens against the default, alternating rounds;
    introspection against GET /api/me on one server."""
    out: dict = {}
    wechat = procs.wechat_standin(0, prefer_nginx=plan.nginx)
    hook = wechat.rstrip("/") + "/wxauth-events"
    for backend in plan.backends:
        url = database(backend)
        seed.migrate(url)
        seed.seed_pool(url, plan.returning)
        say(f"== {backend}: logins by configuration, {plan.peer_rounds} rounds in rotated order")
        rounds = []
        names = list(LOGIN_CONFIGS)
        for n in range(plan.peer_rounds):
            row = {}
            # Each round starts one configuration later, so none is always measured first or
            # last, on a database that grows through the round.
            for name in names[n % len(names) :] + names[: n % len(names)]:
                env, webhooks = LOGIN_CONFIGS[name]
                if webhooks:
                    procs.flask_cli(url, wechat, "webhooks", "add", hook, *(a for e in EVENTS for a in ("--event", e)))
                try:
                    with Server(url, wechat, extra_env=env) as srv:
                        wrk("warm-up", srv.url, "login", plan.warmup, plan.connections, pool=plan.pool)
                        before = seed.count_rows(url, "webhook_deliveries")
                        row[name] = wrk(name, srv.url, "login", plan.seconds, plan.connections, pool=plan.pool)
                        row[name].extra["events"] = seed.count_rows(url, "webhook_deliveries") - before
                        row[name].extra["log_errors"] = srv.errors_in_log()
                finally:
                    if webhooks:
                        procs.flask_cli(url, wechat, "webhooks", "remove", hook)
                say(f"   round {n + 1} · {name}: {row[name].rps:6.0f}/s (non-2xx {row[name].non2xx})")
            rounds.append({name: row[name] for name in names})
        out[backend] = {"rounds": rounds, "reads": introspection_vs_me(plan, url, wechat)}
    return out


def introspection_vs_me(plan: Plan, url: str, wechat: str) -> list[tuple[Result, Result]]:
    import base64
    import secrets

    client = f"bench-{secrets.token_hex(3)}"
    creds = procs.flask_cli(url, wechat, "clients", "create", client, "--scope", "introspect")
    pairs = dict(line.split(": ", 1) for line in creds.strip().splitlines())
    basic = base64.b64encode(f"{pairs['client_id']}:{pairs['client_secret']}".encode()).decode()
    reads = []
    with Server(url, wechat) as srv:
        tokens = tokens_file(srv.url, plan.pool, plan.me_tokens, procs.workdir("tokens") / "tokens.txt")
        wrk("warm-up", srv.url, "introspect", plan.warmup, plan.connections, tokens=tokens, basic=basic)
        wrk("warm-up", srv.url, "me", plan.warmup, plan.connections, tokens=tokens)
        for _ in range(plan.peer_rounds):
            me = wrk("GET /api/me", srv.url, "me", plan.seconds, plan.connections, tokens=tokens)
            intro = wrk("introspect", srv.url, "introspect", plan.seconds, plan.connections, tokens=tokens, basic=basic)
            say(f"   /api/me {me.rps:6.0f}/s, introspect {intro.rps:6.0f}/s (non-2xx {me.non2xx}, {intro.non2xx})")
            reads.append((me, intro))
    procs.flask_cli(url, wechat, "clients", "revoke", client)
    return reads


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def integrations_table(data: dict, plan: Plan) -> list[str]:
    base = next(iter(LOGIN_CONFIGS))
    lines = [
        f"Login throughput by configuration, {plan.peer_rounds} rounds, each starting one configuration later "
        f"than the one before, wrk {WRK_THREADS} threads × "
        f"{plan.connections} connections, {plan.seconds} s per round after a {plan.warmup} s warm-up, codes over "
        f'{plan.pool:,} openids ({plan.returning:,} returning). "webhooks on": one endpoint subscribed to every '
        "event, delivered by the app's own workers during the run. Ratios are to the default in the same round.",
        "",
        "| backend | round | configuration | logins/s | × default | p50/p99 ms | non-2xx | events written |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend, d in data.items():
        for n, row in enumerate(d["rounds"], 1):
            for name, r in row.items():
                ratio = r.rps / row[base].rps if row[base].rps else float("inf")
                lines.append(
                    f"| {backend} | {n} | {name} | {r.rps:,.0f} | {ratio:.2f} | {ms(r.p50_ms)}/{ms(r.p99_ms)} "
                    f"| {r.non2xx} | {r.extra['events']} |"
                )
        for name in LOGIN_CONFIGS:
            ratios = [row[name].rps / row[base].rps for row in d["rounds"] if row[base].rps]
            lines.append(f"| {backend} | median | {name} | | **{_median(ratios):.2f}** | | | |")
    lines += [
        "",
        "Introspection against GET /api/me on the same server (alternating; 1,000 live opaque tokens):",
        "",
        "| backend | round | /api/me req/s | introspect req/s | introspect ÷ /api/me | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for backend, d in data.items():
        for n, (me, intro) in enumerate(d["reads"], 1):
            lines.append(
                f"| {backend} | {n} | {me.rps:,.0f} | {intro.rps:,.0f} | {intro.rps / me.rps:.2f} | {me.non2xx + intro.non2xx} |"
            )
    errors = [e for d in data.values() for row in d["rounds"] for r in row.values() for e in r.extra["log_errors"]]
    if errors:
        lines += ["", "Errors in the server log:", "", "```", *errors[:10], "```"]
    return lines


def pipeline(plan: Plan) -> dict:
    """The bare endpoint through wxauth against the same endpoint in a plain Flask app, in
    both gunicorn configurations: both servers up, wrk turns alternating between them
    (plain first, then wxauth first), so each pair is measured within seconds."""
    out: dict = {}
    wechat = procs.wechat_standin(0, prefer_nginx=plan.nginx)
    url = database("sqlite")
    seed.migrate(url)
    for config, args in PEER_CONFIGS.items():
        pairs = []
        with PlainFlaskServer(url, wechat, args) as plain, Server(url, wechat, args) as ours:
            servers = {"plain Flask": plain, "wxauth": ours}
            for srv in servers.values():
                wrk("warm-up", srv.url, "ping", plan.warmup, plan.connections)
            for n in range(plan.pipeline_pairs):
                order = list(servers) if n % 2 == 0 else list(servers)[::-1]
                pair = {
                    name: wrk(f"{name} ping", servers[name].url, "ping", plan.pipeline_seconds, plan.connections)
                    for name in order
                }
                say(
                    f"   {config} · pair {n + 1}: plain Flask {pair['plain Flask'].rps:6.0f}/s, "
                    f"wxauth {pair['wxauth'].rps:6.0f}/s: {pair['wxauth'].rps / pair['plain Flask'].rps:.2f}"
                )
                pairs.append(pair)
        out[config] = pairs
    return out


def pipeline_table(data: dict, plan: Plan) -> list[str]:
    lines = [
        f"GET /_bench/ping through wxauth's request pipeline against the same endpoint in a plain Flask app "
        f"(bench/peer/plain_flask.py). Both servers up at once, each idle while the other is measured; "
        f"{plan.pipeline_pairs} pairs of {plan.pipeline_seconds} s wrk turns ({WRK_THREADS} threads × "
        f"{plan.connections} connections), plain Flask first in odd pairs and wxauth first in even ones, "
        f"after a {plan.warmup} s warm-up of each.",
        "",
        "| gunicorn | pair | plain Flask req/s | wxauth req/s | wxauth ÷ plain | non-2xx |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for config, rounds in data.items():
        ratios = []
        for n, pair in enumerate(rounds, 1):
            plain, ours = pair["plain Flask"], pair["wxauth"]
            ratio = ours.rps / plain.rps if plain.rps else float("inf")
            ratios.append(ratio)
            lines.append(f"| {config} | {n} | {plain.rps:,.0f} | {ours.rps:,.0f} | {ratio:.2f} | {plain.non2xx + ours.non2xx} |")
        lines.append(f"| {config} | **median** | | | **{_median(ratios):.2f}** | |")
    return lines


def peer_table(data: dict, plan: Plan) -> list[str]:
    lines = [
        f"Login throughput, wxauth against the reference peer (bench/peer/peer_login.py), {plan.peer_rounds} "
        f"alternating rounds each, wrk {WRK_THREADS} threads × {plan.connections} connections, {plan.seconds} s per "
        f"round after a {plan.warmup} s warm-up, codes over {plan.pool:,} openids ({plan.returning:,} returning).",
        "",
        "| backend | gunicorn | round | peer logins/s | peer p50/p99 ms | peer non-2xx | wxauth logins/s "
        "| wxauth p50/p99 ms | wxauth non-2xx | ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (backend, config), rounds in data.items():
        ratios = []
        for n, pair in enumerate(rounds, 1):
            p, w = pair["peer"], pair["wxauth"]
            ratio = w.rps / p.rps if p.rps else float("inf")
            ratios.append(ratio)
            lines.append(
                f"| {backend} | {config} | {n} | {p.rps:,.0f} | {ms(p.p50_ms)}/{ms(p.p99_ms)} | {p.non2xx} "
                f"| {w.rps:,.0f} | {ms(w.p50_ms)}/{ms(w.p99_ms)} | {w.non2xx} | {ratio:.2f}× |"
            )
        median = sorted(ratios)[len(ratios) // 2]
        lines.append(f"| {backend} | {config} | **median** | | | | | | | **{median:.2f}×** |")
    return lines


def latency(plan: Plan) -> dict:
    """A steady rate of logins against a WeChat that takes `round_trip` seconds to answer."""
    out: dict = {}
    wechat = procs.wechat_standin(plan.round_trip)
    for backend in plan.backends:
        url = database(backend)
        seed.migrate(url)
        seed.seed_pool(url, plan.returning)
        say(
            f"== {backend}: {plan.rate:.0f} logins/s for {plan.rate_seconds:.0f} s, WeChat answering in "
            f"{plan.round_trip * 1000:.0f} ms"
        )
        with Server(url, wechat) as srv:
            # Warm up connections and code paths, at the same rate, before measuring.
            open_loop_logins(srv.url, plan.rate, min(5, plan.rate_seconds), plan.pool)
            result = open_loop_logins(srv.url, plan.rate, plan.rate_seconds, plan.pool)
            result.extra["overhead_p50_ms"] = result.p50_ms - plan.round_trip * 1000
            result.extra["overhead_p99_ms"] = result.p99_ms - plan.round_trip * 1000
            say(f"   {result.rps:.0f}/s done, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, errors {result.non2xx}")
            out[backend] = {"result": result, "rss_mb": srv.peak_rss_mb(), "log_errors": srv.errors_in_log()}
    return out


def dashboard_part(plan: Plan) -> dict:
    import dashboard

    return dashboard.run(say)


# -- report ------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )
    pg = str(versions[-1]) if versions else ""
    pg_version = subprocess.run([pg + "/postgres", "--version"], capture_output=True, text=True).stdout.strip() if pg else "-"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", ".", ":!bench/RESULTS.md"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} × {cpu}",
        "memory": f"{int(mem) / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "sqlite": sqlite3.sqlite_version,
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "gunicorn": ", ".join(f"{k}={v}" for k, v in procs.production_settings().items() if k != "bind"),
    }


def ms(x: float) -> str:
    return f"{x:.1f}"


def api_table(data: dict, plan: Plan) -> list[str]:
    lines = [
        f"Closed loop: wrk, {WRK_THREADS} threads, {plan.connections} "
        f"connections, {plan.seconds} s per figure after a {plan.warmup} s warm-up. Logins draw codes at random from "
        f"a pool of {plan.pool:,} openids, {plan.returning:,} of which exist before the run.",
        "",
        "| backend | request | req/s | × bare endpoint | p50 ms | p99 ms | non-2xx | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, d in data.items():
        ping = d["ping"]
        for key in ("ping", "login", "me"):
            r: Result = d[key]
            ratio = "1" if key == "ping" else f"{r.rps / ping.rps * 100:.1f} %"
            name = r.name + (f" ({r.extra['new_users']} new users)" if "new_users" in r.extra else "")
            lines.append(
                f"| {backend} | {name} | {r.rps:,.0f} | {ratio} | {ms(r.p50_ms)} | {ms(r.p99_ms)} "
                f"| {r.non2xx} | {r.socket_errors} |"
            )
    lines += [
        "",
        "Database work per request, counted on the engine (PostgreSQL adds a BEGIN and a COMMIT",
        "round trip per transaction):",
        "",
        "| backend | request | statements | transactions | round trips (PostgreSQL) | statements |",
        "|---|---|---:|---:|---:|---|",
    ]
    for backend, d in data.items():
        for name, n, tx, seen in d["statements"]:
            trips = n + 2 * tx if backend == "postgresql" else "–"
            lines.append(f"| {backend} | {name} | {n} | {tx} | {trips} | {'; '.join(seen)} |")
    lines += ["", "| backend | peak RSS per worker (VmHWM) |", "|---|---|"]
    for backend, d in data.items():
        lines.append(f"| {backend} | {', '.join(f'{x:.0f} MB' for x in d['rss_mb'])} |")
    errors = [e for d in data.values() for e in d["log_errors"]]
    if errors:
        lines += ["", "Errors in the server log:", "", "```", *errors[:10], "```"]
    return lines


def latency_table(data: dict, plan: Plan) -> list[str]:
    lines = [
        f"Open loop: {plan.rate:.0f} logins/s scheduled for {plan.rate_seconds:.0f} s (after a 5 s warm-up), latency "
        f"counted from each request's scheduled start; WeChat stand-in answering after {plan.round_trip * 1000:.0f} ms.",
        "",
        "| backend | logins done | rate | p50 ms | p99 ms | p50 − round trip | p99 − round trip | errors | peak RSS/worker |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for backend, d in data.items():
        r: Result = d["result"]
        lines.append(
            f"| {backend} | {r.requests:,} | {r.rps:.1f}/s | {ms(r.p50_ms)} | {ms(r.p99_ms)} | "
            f"{ms(r.extra['overhead_p50_ms'])} | {ms(r.extra['overhead_p99_ms'])} | {r.non2xx} | "
            f"{', '.join(f'{x:.0f} MB' for x in d['rss_mb'])} |"
        )
        if r.extra["failures"]:
            lines.append(f"| | first failures: {'; '.join(r.extra['failures'])} | | | | | | | |")
    return lines


def write_section(name: str, title: str, lines: list[str], command: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    body = [
        f"<!-- part:{name} -->",
        f"## {title}",
        "",
        f"`{command}` — {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        *lines,
        f"<!-- /part:{name} -->",
    ]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nWritten by `bench/run`; see bench/README.md.\n"
    start, end = f"<!-- part:{name} -->", f"<!-- /part:{name} -->"
    if start in text:
        text = text[: text.index(start)] + "\n".join(body) + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(body) + "\n"
    RESULTS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description="wxauth benchmark")
    parser.add_argument(
        "part",
        nargs="?",
        default="all",
        choices=["all", "api", "peer", "pipeline", "profile", "integrations", "latency", "dashboard", "smoke"],
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    command = "bench/run" + ("" if args.part == "all" else f" {args.part}")
    try:
        if args.part == "smoke":
            return smoke()
        if args.part in ("all", "api"):
            data = api(FULL)
            lines = api_table(data, FULL)
            say("\n".join(lines))
            write_section("api", "Login and /api/me against a near-free WeChat", lines, command)
        if args.part in ("all", "peer"):
            data = peer(FULL)
            lines = peer_table(data, FULL)
            say("\n".join(lines))
            write_section("peer", "Login against the reference peer", lines, command)
        if args.part in ("all", "pipeline"):
            data = pipeline(FULL)
            lines = pipeline_table(data, FULL)
            say("\n".join(lines))
            write_section("pipeline", "The bare endpoint against plain Flask", lines, command)
        if args.part == "profile":  # not in "all": py-spy slows what it samples
            import profile as profiling

            lines = [line for backend in FULL.backends for line in profiling.profile(backend, FULL)]
            say("\n".join(lines))
            write_section("profile", "Where a login's CPU goes (py-spy under load)", lines, command)
        if args.part in ("all", "integrations"):
            data = integrations(FULL)
            lines = integrations_table(data, FULL)
            say("\n".join(lines))
            write_section("integrations", "Login with webhooks and with JWT tokens; introspection", lines, command)
        if args.part in ("all", "latency"):
            data = latency(FULL)
            lines = latency_table(data, FULL)
            say("\n".join(lines))
            write_section("latency", "Login with a 100 ms WeChat round trip", lines, command)
        if args.part in ("all", "dashboard"):
            lines = dashboard_part(FULL)
            say("\n".join(lines))
            write_section("dashboard", "Dashboard at a million users", lines, command)
    finally:
        procs.stop_all()
    return 0


def smoke() -> int:
    """The whole API path in seconds; exits 1 on any failed request, whatever the speed."""
    api_data = api(SMOKE)
    lat = latency(SMOKE)
    versus = peer(SMOKE)
    extras = integrations(SMOKE)
    bare = pipeline(SMOKE)
    lines = (
        api_table(api_data, SMOKE)
        + [""]
        + latency_table(lat, SMOKE)
        + [""]
        + peer_table(versus, SMOKE)
        + [""]
        + integrations_table(extras, SMOKE)
        + [""]
        + pipeline_table(bare, SMOKE)
    )
    say("\n".join(lines))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "smoke.md").write_text("\n".join(lines) + "\n")
    failed = [
        f"{b} {k}: {d[k].non2xx} non-2xx, {d[k].socket_errors} socket errors, {d[k].requests} requests"
        for b, d in api_data.items()
        for k in ("ping", "login", "me")
        if d[k].non2xx or d[k].socket_errors or not d[k].requests
    ] + [f"{b} latency: {d['result'].non2xx} errors" for b, d in lat.items() if d["result"].non2xx]
    failed += [f"{b}: server log: {e}" for part in (api_data, lat) for b, d in part.items() for e in d["log_errors"]]
    failed += [
        f"{backend} {config} {name}: {pair[name].non2xx} non-2xx, {pair[name].requests} requests"
        for (backend, config), rounds in versus.items()
        for pair in rounds
        for name in ("peer", "wxauth")
        if (name == "wxauth" and pair[name].non2xx) or not pair[name].requests
    ]
    failed += [
        f"{backend} {name}: {r.non2xx} non-2xx, {r.requests} requests"
        for backend, d in extras.items()
        for row in d["rounds"]
        for name, r in row.items()
        if r.non2xx or not r.requests
    ]
    failed += [
        f"{backend} introspection: {me.non2xx + intro.non2xx} non-2xx"
        for backend, d in extras.items()
        for me, intro in d["reads"]
        if me.non2xx or intro.non2xx or not intro.requests
    ]
    failed += [
        f"pipeline {config} {name}: {pair[name].non2xx} non-2xx, {pair[name].requests} requests"
        for config, rounds in bare.items()
        for pair in rounds
        for name in pair
        if pair[name].non2xx or not pair[name].requests
    ]
    if failed:
        say("bench smoke FAILED:\n  " + "\n  ".join(failed))
        return 1
    say("bench smoke: 0 failed requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
