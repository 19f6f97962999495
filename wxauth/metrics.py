"""Prometheus metrics, served at GET /metrics.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory) so
every worker's counts are summed (see gunicorn.conf.py and docs/operations.md); otherwise
each scrape sees only the worker that answered it.

/metrics is for the monitoring system only: with WXAUTH_METRICS_TOKEN set it needs
`Authorization: Bearer <token>`; without it, only loopback clients are answered.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from wxauth import settings

LOGINS = Counter("wxauth_logins_total", "Login attempts by outcome (success or our error code).", ["outcome"])
WECHAT_CALLS = Counter(
    "wxauth_wechat_calls_total",
    "Calls to WeChat by endpoint and result (0 = ok, an errcode, http_5xx, timeout, unreadable, connection).",
    ["endpoint", "result"],
)
WECHAT_SECONDS = Histogram(
    "wxauth_wechat_call_seconds",
    "WeChat call latency by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0),
)
PHONE_CALLS = Counter(
    "wxauth_phone_api_calls_total",
    "getuserphonenumber exchanges by outcome (success, or the failure reason); each success is billed.",
    ["outcome"],
)
DECRYPT_FAILURES = Counter(
    "wxauth_decrypt_failures_total", "Failed decryptions and signature checks by kind and reason.", ["kind", "reason"]
)
TOKEN_REFRESHES = Counter("wxauth_access_token_refreshes_total", "access_token fetches from WeChat by outcome.", ["outcome"])

bp = Blueprint("metrics", __name__)

_LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/metrics")
def metrics_view():
    token = settings.current().metrics_token
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("metrics need the bearer token\n", status=401, mimetype="text/plain")
    elif request.remote_addr not in _LOOPBACK:
        return Response(
            "metrics are served to loopback clients only (set WXAUTH_METRICS_TOKEN)\n", status=403, mimetype="text/plain"
        )
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, content_type=CONTENT_TYPE_LATEST)  # it names its charset already
