"""Whole-number phone searches: one rate-limited budget per operator, and each one audited."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from wxauth.dashboard.filters import UserFilters
from wxauth.dashboard.formatting import mask_phone
from wxauth.dashboard.queries import is_phone_search
from wxauth.extensions import limiter
from wxauth.ratelimit import by_operator, limit_from
from wxauth.services import ClientInfo, audit

# The list and its CSV export share the budget.
phone_search_limit = limiter.shared_limit(
    limit_from("ratelimit_dashboard_phone_search"),
    scope="dashboard-phone-search",
    key_func=by_operator,
    exempt_when=lambda: not is_phone_search(request.args.get("q")),
)


def audit_phone_search(filters: UserFilters) -> None:
    """Write a whole-number phone search to the audit, its number masked."""
    if filters.q is not None and is_phone_search(filters.q):
        detail = f"{(request.endpoint or '').removeprefix('dashboard.')}: q={mask_phone(filters.q.strip())}"
        audit.record(current_user, audit.PHONE_SEARCH, detail, ClientInfo.from_request(request))
