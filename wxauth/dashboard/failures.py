"""GET /dashboard/failures: failed decryptions, signatures and phone exchanges, with hints."""

from __future__ import annotations

from flask import render_template, request

from wxauth.dashboard import bp
from wxauth.dashboard.filters import FailureFilters
from wxauth.dashboard.labels import FAILURE_KINDS, FAILURE_REASONS
from wxauth.dashboard.roles import requires


@bp.get("/failures")
@requires("read")
def failures():
    filters = FailureFilters.parse(request.args)
    page, status = filters.page_or_nothing(request.args)
    return render_template(
        "dashboard/failures/index.html",
        filters=filters,
        page=page,
        kinds=list(FAILURE_KINDS.items()),
        reasons=[(reason, label) for reason, (label, _) in FAILURE_REASONS.items()],
    ), status
