"""Template filters: dates in the operator's time zone, numbers, masks and durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from wxauth import settings
from wxauth.models.operators import DEFAULT_TIME_ZONE

MASK = "****"


def operator_zone() -> tzinfo:
    name = getattr(current_user, "time_zone", None) or DEFAULT_TIME_ZONE
    return ZoneInfo(name)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(operator_zone()).strftime(fmt)


def number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def mask_phone(number: str | None) -> str:
    """138****8000: the last 4 digits stay (operators search by them), never most of the rest."""
    if not number:
        return "—"
    head = max(0, min(3, len(number) - 8))
    return number[:head] + MASK + number[-4:] if len(number) > 4 else MASK


def phone(number: str | None, country_code: str | None, *, masked: bool = True) -> str:
    if not number:
        return "—"
    shown = mask_phone(number) if masked else number
    return shown if country_code in (None, "", "86") else f"+{country_code} {shown}"


def duration(seconds: int | None) -> str:
    """A short human age: 42 s, 3 min, 2 h 5 min, 3 d 4 h."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return f"{minutes} min"
    if seconds < 86400:
        rest = minutes % 60
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    rest = hours % 24
    return f"{days} d {rest} h" if rest else f"{days} d"


_OS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"), ("Mac OS X", "macOS"))
_WECHAT = re.compile(r"MicroMessenger/([\d.]+)")


def user_agent(ua: str | None) -> str:
    """iPhone · WeChat 8.0.50, or the first words of anything else."""
    if not ua:
        return "—"
    parts = [label for key, label in _OS if key in ua][:1]
    wechat = _WECHAT.search(ua)
    if wechat:
        parts.append(f"WeChat {wechat.group(1)}")
    return " · ".join(parts) if parts else ua[:40]


def app_name(appid: str | None) -> str:
    return settings.apps().name_of(appid) or appid or "—"


def now_local() -> str:
    return local_time(datetime.now(operator_zone()))


def register(app: Flask) -> None:
    from wxauth.dashboard import labels

    filters: dict[str, Callable[..., Any]] = {
        "outcome_label": labels.outcome_label,
        "kind_label": labels.kind_label,
        "reason_label": labels.reason_label,
        "reason_hint": labels.reason_hint,
        "errcode_label": labels.errcode_label,
        "local_time": local_time,
        "number": number,
        "percent": percent,
        "mask_phone": mask_phone,
        "duration": duration,
        "user_agent": user_agent,
        "app_name": app_name,
    }
    for name, func in filters.items():
        app.add_template_filter(func, name)
    app.add_template_global(phone, "phone")
    app.add_template_global(now_local, "now_local")
