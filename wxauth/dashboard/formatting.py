"""Template filters: dates in the operator's time zone, dates and numbers in the form of
their language (Babel), masks and durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from flask import Flask
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from wxauth import settings
from wxauth.models.operators import DEFAULT_TIME_ZONE

MASK = "****"


def operator_zone() -> tzinfo:
    name = getattr(current_user, "time_zone", None) or DEFAULT_TIME_ZONE
    return ZoneInfo(name)


def local_time(value: datetime | None, seconds: bool = False) -> str:
    """The day as the locale writes it in figures, and a 24-hour time: 3/1/2026, 10:00 in
    English, 2026/3/1 10:00 in Chinese."""
    if value is None:
        return "—"
    locale = get_locale() or Locale.parse("en")
    day, clock, combined = _date_patterns(str(locale), seconds)
    local = value.astimezone(operator_zone())
    return combined.replace("{1}", day.apply(local, locale)).replace("{0}", clock.apply(local, locale))


@lru_cache(maxsize=8)
def _date_patterns(locale_name: str, seconds: bool) -> tuple[DateTimePattern, DateTimePattern, str]:
    """The locale's numeric day pattern, a 24-hour clock and how the two are joined, parsed
    once (parsing them costs far more than applying them, on pages of dozens of dates)."""
    locale = Locale.parse(locale_name)
    day = locale.datetime_skeletons[match_skeleton("yMMdd", locale.datetime_skeletons)]
    clock = parse_pattern("HH:mm:ss" if seconds else "HH:mm")
    return day, clock, str(locale.datetime_formats.get("short", "{1} {0}"))


def number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value) if isinstance(value, int) else format_decimal(value, "#,##0.0")


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


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
        return _("%(n)d s", n=seconds)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 3600:
        return _("%(n)d min", n=minutes)
    if seconds < 86400:
        rest = minutes % 60
        return _("%(h)d h %(m)d min", h=hours, m=rest) if rest else _("%(h)d h", h=hours)
    rest = hours % 24
    return _("%(d)d d %(h)d h", d=days, h=rest) if rest else _("%(d)d d", d=days)


_OS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"), ("Mac OS X", "macOS"))
_WECHAT = re.compile(r"MicroMessenger/([\d.]+)")


def user_agent(ua: str | None) -> str:
    """iPhone · WeChat 8.0.50, or the first words of anything else."""
    if not ua:
        return "—"
    parts = [label for key, label in _OS if key in ua][:1]
    wechat = _WECHAT.search(ua)
    if wechat:
        parts.append(_("WeChat %(version)s", version=wechat.group(1)))
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
        "role_label": labels.role_label,
        "action_label": labels.action_label,
        "delivery_status": labels.delivery_status,
        "audit_detail": labels.audit_detail,
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
    app.add_template_global(labels.error_name, "error_name")
    app.add_template_global(labels.error_description, "error_description")
    app.add_template_global(now_local, "now_local")
