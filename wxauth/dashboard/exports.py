"""CSV exports of the three lists, with the page's filters, streamed a batch at a time.

Rows are fetched by keyset batches (see queries.iterate) and written as they come, so an
export of a million rows holds one batch in memory, never the whole result.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Callable, Iterable, Iterator

from flask import Response, request, stream_with_context

from wxauth.dashboard import bp
from wxauth.dashboard.failures import FailureFilters
from wxauth.dashboard.formatting import mask_phone, operator_zone
from wxauth.dashboard.labels import reason_hint
from wxauth.dashboard.logins import LoginFilters
from wxauth.dashboard.users import UserFilters
from wxauth.models import utcnow

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    return "'" + text if text.startswith(FORMULA_START) else text


def _stream(name: str, header: list[str], rows: Iterable, to_row: Callable) -> Response:
    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # a BOM, so that Excel reads the Chinese nicknames as UTF-8
        writer.writerow(header)
        for count, row in enumerate(rows, 1):
            writer.writerow([_cell(v) for v in to_row(row)])
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
def users_csv():
    filters = UserFilters.parse(request.args)
    header = [
        "id",
        "appid",
        "openid",
        "unionid",
        "nickname",
        "gender",
        "phone (masked)",
        "phone_bound_at",
        "created_at",
        "last_login_at",
    ]

    def to_row(row):
        u = row.User
        phone = mask_phone(u.phone_number) if u.phone_number else None
        return [
            u.id,
            u.appid,
            u.openid,
            u.unionid,
            u.nickname,
            u.gender,
            phone,
            u.phone_bound_at,
            u.created_at,
            u.last_login_at,
        ]

    return _stream("users", header, filters.rows(), to_row)


@bp.get("/logins.csv")
def logins_csv():
    filters = LoginFilters.parse(request.args)
    header = [
        "time",
        "appid",
        "user_id",
        "nickname",
        "openid",
        "outcome",
        "wechat_errcode",
        "latency_ms",
        "new_user",
        "ip",
        "user_agent",
    ]

    def to_row(row):
        e = row.LoginEvent
        return [
            e.created_at,
            e.appid,
            e.user_id,
            row.nickname,
            e.openid,
            e.outcome,
            e.wechat_errcode,
            e.upstream_ms,
            e.is_new_user,
            e.ip,
            e.user_agent,
        ]

    return _stream("logins", header, filters.rows(), to_row)


@bp.get("/failures.csv")
def failures_csv():
    filters = FailureFilters.parse(request.args)
    header = [
        "time",
        "appid",
        "user_id",
        "nickname",
        "kind",
        "reason",
        "hint",
        "wechat_errcode",
        "key_age_s",
        "ip",
        "user_agent",
    ]

    def to_row(row):
        f = row.Failure
        return [
            f.created_at,
            f.appid,
            f.user_id,
            row.nickname,
            f.kind,
            f.reason,
            reason_hint(f.reason, f.wechat_errcode),
            f.wechat_errcode,
            f.session_key_age_s,
            f.ip,
            f.user_agent,
        ]

    return _stream("failures", header, filters.rows(), to_row)
