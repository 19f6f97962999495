"""CSV files of the dashboard's lists: cells safe to open in a spreadsheet, streamed a
batch at a time, each export recorded in the audit with its filters."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Response, request, stream_with_context
from flask_login import current_user

from wxauth.dashboard.formatting import mask_phone, operator_zone
from wxauth.dashboard.queries import Filters, is_phone_search
from wxauth.models import utcnow
from wxauth.services import ClientInfo, audit

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


def export(name: str, columns: Columns, filters: Filters) -> Response:
    """The CSV of `filters`' rows (a 400 page while a filter is wrong), recorded in the audit."""
    rows = filters.rows_or_400()
    audit_export(name, filters)
    return stream(name, columns, rows)


def audit_export(name: str, filters: Filters) -> None:
    """Record the export with the filters it was made with (a whole phone number masked)."""
    args = {k: (mask_phone(v) if k == "q" and is_phone_search(v) else v) for k, v in filters.args().items()}
    shown = " ".join(f"{k}={v}" for k, v in sorted(args.items())) or "no filters"
    audit.record(current_user, audit.EXPORT, f"{name}.csv: {shown}", ClientInfo.from_request(request))


def stream(name: str, columns: Columns, rows: Iterable) -> Response:
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
