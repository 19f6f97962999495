"""gunicorn settings for production, read automatically by `gunicorn app:app` from this folder.

Command-line flags override these (the tests start small servers with their own counts).

Threaded workers, because a login spends most of its time waiting on WeChat's round trip
and a waiting thread costs no CPU, where a sync worker would sit idle for it. Two processes
use both cores; 32 threads each leave room for the logins waiting on WeChat at once, and
each process's database pool (wxauth/database.py) covers the threads that reach the
database. The worker is gunicorn's threaded one, except that it shares a burst of new
connections with the other worker (wxauth/gunicorn_worker.py). Why these numbers:
docs/scaling.md, "Why the code is as it is". bench/run measures exactly this configuration.
"""

bind = "127.0.0.1:8000"  # behind nginx; set GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000" to expose
worker_class = "wxauth.gunicorn_worker.SharingThreadWorker"
workers = 2
threads = 32


def post_worker_init(worker):
    """Move everything the worker built at start-up (the app, its modules, SQLAlchemy's
    metadata) out of the garbage collector's reach.

    Otherwise every full collection walks all of it with the whole worker stopped, which
    showed as the login's p99 (docs/scaling.md). Frozen objects are never freed, which is
    the point: they live as long as the worker anyway.
    """
    import gc

    gc.collect()
    gc.freeze()
    # Webhook delivery runs in every worker (wxauth/webhooks/dispatcher.py), from the start
    # rather than from the first request.
    from wxauth.webhooks import dispatcher

    app = getattr(worker, "wsgi", None)
    if hasattr(app, "extensions"):
        dispatcher.start_in_worker(app)


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
