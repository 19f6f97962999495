"""The webhook signature: `Wxauth-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The MAC covers `"<t>." + body` under the endpoint's secret, so a receiver can check both who
sent the body and when (and refuse replays older than its window: the README's receivers use
five minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE = 300


def signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The Wxauth-Signature header of `body`, at `timestamp` (default: now)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = TOLERANCE) -> bool:
    """Whether `header` signs `body` under `secret` within `tolerance` seconds of `now`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
