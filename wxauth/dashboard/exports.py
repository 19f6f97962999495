"""CSV exports of the three lists, with the page's filters, streamed a batch at a time.

Rows are fetched by keyset batches (see queries.iterate) and written as they come, so an
export of a million rows holds one batch in memory, never the whole result.
"""

from __future__ import annotations

from flask import request

from wxauth.dashboard import bp
from wxauth.dashboard.csvfiles import Columns, export
from wxauth.dashboard.filters import FailureFilters, LoginFilters, UserFilters
from wxauth.dashboard.formatting import mask_phone
from wxauth.dashboard.labels import reason_hint
from wxauth.dashboard.phone_search import audit_phone_search, phone_search_limit
from wxauth.dashboard.roles import requires

USER_COLUMNS: Columns = {
    "id": lambda r: r.User.id,
    "appid": lambda r: r.User.appid,
    "openid": lambda r: r.User.openid,
    "unionid": lambda r: r.User.unionid,
    "nickname": lambda r: r.User.nickname,
    "gender": lambda r: r.User.gender,
    "phone (masked)": lambda r: mask_phone(r.User.phone_number) if r.User.phone_number else None,
    "phone_bound_at": lambda r: r.User.phone_bound_at,
    "created_at": lambda r: r.User.created_at,
    "last_login_at": lambda r: r.User.last_login_at,
}
LOGIN_COLUMNS: Columns = {
    "time": lambda r: r.LoginEvent.created_at,
    "appid": lambda r: r.LoginEvent.appid,
    "user_id": lambda r: r.LoginEvent.user_id,
    "nickname": lambda r: r.nickname,
    "openid": lambda r: r.LoginEvent.openid,
    "outcome": lambda r: r.LoginEvent.outcome,
    "wechat_errcode": lambda r: r.LoginEvent.wechat_errcode,
    "latency_ms": lambda r: r.LoginEvent.upstream_ms,
    "new_user": lambda r: r.LoginEvent.is_new_user,
    "ip": lambda r: r.LoginEvent.ip,
    "user_agent": lambda r: r.LoginEvent.user_agent,
}
FAILURE_COLUMNS: Columns = {
    "time": lambda r: r.Failure.created_at,
    "appid": lambda r: r.Failure.appid,
    "user_id": lambda r: r.Failure.user_id,
    "nickname": lambda r: r.nickname,
    "kind": lambda r: r.Failure.kind,
    "reason": lambda r: r.Failure.reason,
    "hint": lambda r: reason_hint(r.Failure.reason, r.Failure.wechat_errcode),
    "wechat_errcode": lambda r: r.Failure.wechat_errcode,
    "key_age_s": lambda r: r.Failure.session_key_age_s,
    "ip": lambda r: r.Failure.ip,
    "user_agent": lambda r: r.Failure.user_agent,
}


@bp.get("/users.csv")
@phone_search_limit
@requires("export")
def users_csv():
    filters = UserFilters.parse(request.args)
    audit_phone_search(filters)
    return export("users", USER_COLUMNS, filters)


@bp.get("/logins.csv")
@requires("export")
def logins_csv():
    filters = LoginFilters.parse(request.args)
    return export("logins", LOGIN_COLUMNS, filters)


@bp.get("/failures.csv")
@requires("export")
def failures_csv():
    filters = FailureFilters.parse(request.args)
    return export("failures", FAILURE_COLUMNS, filters)
