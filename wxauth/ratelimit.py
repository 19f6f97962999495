"""Rate limits (Flask-Limiter): per client IP on login and phone, and per user on phone.

Limits come from the config (`WXAUTH_RATELIMIT_*`, limits-style strings such as
"30/minute;300/hour"). Storage is in-process (`memory://`) by default; several instances
must share a Redis (`WXAUTH_RATELIMIT_STORAGE_URI=redis://…`) or each would allow the full
limit on its own. A limited request answers 429 `rate_limited` with `Retry-After`.
"""

from __future__ import annotations

from flask import current_app, g
from flask_limiter.util import get_remote_address

from wxauth.extensions import limiter


def _limit(name: str):
    return lambda: current_app.config[name]


def by_user() -> str:
    """Key for per-user limits; valid only after token_required has run."""
    return f"user:{g.api_session.user_id}"


# Applied to the API views (see wxauth/api/auth.py). The phone limits are checked after the
# token is verified, so they can key on the user; each successful getuserphonenumber costs
# the mini-program's owner money.
login_per_ip = limiter.limit(_limit("WXAUTH_RATELIMIT_LOGIN"), key_func=get_remote_address)
phone_per_ip = limiter.limit(_limit("WXAUTH_RATELIMIT_PHONE"), key_func=get_remote_address)
phone_per_user = limiter.limit(_limit("WXAUTH_RATELIMIT_PHONE_USER"), key_func=by_user)
dashboard_login_per_ip = limiter.limit(
    _limit("WXAUTH_RATELIMIT_DASHBOARD_LOGIN"), key_func=get_remote_address, methods=["POST"]
)
