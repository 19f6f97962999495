"""gunicorn settings for production, read automatically by `gunicorn app:app` from this folder.

Command-line flags override these (the tests start small servers with their own counts).

Threaded workers, because a login spends most of its time waiting on WeChat's round trip
(tens to a hundred milliseconds from a server in China) and a waiting thread costs a few
hundred kilobytes and no CPU, where a sync worker would sit idle for the whole round trip.
Two processes use both cores (one Python process runs Python on one core at a time).
32 threads each: at 200 logins/s with a 100 ms round trip about 21 requests are waiting
on WeChat at any moment; 64 threads leave room for bursts and slow answers, while each
process's database pool (10 + 20 overflow, wxauth/database.py) still covers the threads
that reach the database at once. Measured against 4 workers x 16 threads (same threads,
twice the processes): 10-15 % more CPU per login and no better latency at 200 logins/s,
so two processes it is. bench/run measures exactly this configuration.
"""

bind = "127.0.0.1:8000"  # behind nginx; set GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000" to expose
worker_class = "gthread"
workers = 2
threads = 32


def post_worker_init(worker):
    """Move everything the worker built at start-up (the app, its modules, SQLAlchemy's
    metadata: about 100,000 objects) out of the garbage collector's reach.

    A full collection walked all of them: a 60-80 ms pause of the whole worker every 15-30 s
    under load, long enough to add that much to every login in flight (it showed as the
    p99 of bench/run's 100 ms round-trip test). After the freeze a full collection looks at
    what requests left behind, a few thousand objects, in about 3 ms. Frozen objects are
    never freed, which is the point: they live as long as the worker anyway.
    """
    import gc

    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, forget a dead worker's live gauges (wxauth/metrics.py)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def when_ready(server):
    """In sandbox mode the app calls its own sandbox over HTTP; tell the workers (forked
    after this) where this server really listens, unless the environment already does."""
    import os

    if server.LISTENERS and "WXAUTH_SANDBOX_URL" not in os.environ:
        host, port = server.LISTENERS[0].sock.getsockname()[:2]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)  # noqa: S104 - a bind address, read
        os.environ["WXAUTH_SANDBOX_URL"] = f"http://{host}:{port}"
