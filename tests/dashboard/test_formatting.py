"""Masks, durations and the charts' axes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from wxauth.dashboard import charts
from wxauth.dashboard.formatting import duration, mask_phone, user_agent


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13800138000", "138****8000"),
        ("91234567", "****4567"),
        ("2015550123", "20****0123"),
        ("123", "****"),
        (None, "—"),
    ],
)
def test_mask_phone(number, masked):
    assert mask_phone(number) == masked


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (3600, "1 h"),
        (7300, "2 h 1 min"),
        (86400 * 3 + 3600 * 4, "3 d 4 h"),
    ],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_user_agent_summary():
    ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c)"
    assert user_agent(ua) == "iPhone · WeChat 8.0.50"
    assert user_agent(None) == "—"


@pytest.mark.parametrize(("value", "top"), [(0, 4), (3, 3), (7, 8), (48, 50), (123, 150), (3712, 4000)])
def test_axis_tops_are_round(value, top):
    assert charts.nice_max(value)[0] == top


def test_bar_chart_has_one_bar_per_day_and_escapes_text():
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(30)]
    svg = charts.bar_chart("<b>x</b>", days, charts.Series("<i>regs</i>", list(range(30)), "series-1"))
    assert svg.count("<rect") == 30
    assert "<b>" not in svg and "<i>" not in svg
    assert 'data-day="2026-03-30" data-value="29"' in svg
