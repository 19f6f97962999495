"""CSV exports of the three lists, with the page's filters, streamed a batch at a time.

Rows are fetched by keyset batches (see queries.iterate) and written as they come, so an
export of a million rows holds one batch in memory, never the whole result.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from flask import Response, request, stream_with_context

from wxauth.dashboard import bp
from wxauth.dashboard.filters import FailureFilters, LoginFilters, UserFilters
from wxauth.dashboard.formatting import mask_phone, operator_zone
from wxauth.dashboard.labels import reason_hint
from wxauth.dashboard.phone_search import audit_phone_search, phone_search_limit
from wxauth.models import utcnow

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection),
# also behind characters that show nothing, and in their full-width forms (＝, ＋ …),
# which some spreadsheets read as the ASCII ones.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _is_formula(text: str) -> bool:
    return unicodedata.normalize("NFKC", text[:8]).lstrip(INVISIBLE).startswith(FORMULA_START)


def _cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(operator_zone()).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if _is_formula(text) else text


Columns = dict[str, Callable[[Any], Any]]  # header -> value of a row

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


def _stream(name: str, columns: Columns, rows: Iterable) -> Response:
    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so that Excel reads the Chinese nicknames as UTF-8
        writer.writerow(columns)
        for count, row in enumerate(rows, 1):
            writer.writerow([_cell(value(row)) for value in columns.values()])
            if count % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"wxauth-{name}-{utcnow().astimezone(operator_zone()):%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/users.csv")
@phone_search_limit
def users_csv():
    filters = UserFilters.parse(request.args)
    audit_phone_search(filters)
    return _stream("users", USER_COLUMNS, filters.rows_or_400())


@bp.get("/logins.csv")
def logins_csv():
    return _stream("logins", LOGIN_COLUMNS, LoginFilters.parse(request.args).rows_or_400())


@bp.get("/failures.csv")
def failures_csv():
    return _stream("failures", FAILURE_COLUMNS, FailureFilters.parse(request.args).rows_or_400())
