"""CSV exports: the page's filters, streamed, masked, never a secret, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.dashboard import factories
from tests.dashboard.factories import at
from wxauth.extensions import db
from wxauth.models import ApiSession, LoginEvent, User, utcnow


def rows(resp) -> list[dict]:
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_users_export_follows_the_filters_and_masks_phones(signed_in_client, app):
    with app.app_context():
        factories.user(nickname="有号", phone_country_code="86", phone_number="13800138000")
        factories.user(nickname="无号")
    resp = signed_in_client.response("dashboard.users_csv", phone="bound")
    assert resp.is_streamed
    data = rows(resp)
    assert [r["nickname"] for r in data] == ["有号"]
    assert data[0]["phone (masked)"] == "138****8000"
    assert "13800138000" not in resp.get_data(as_text=True)


def test_export_link_carries_the_current_filters(signed_in_client):
    soup = signed_in_client.page("dashboard.failures", kind="phone_code", reason="wechat_errcode")
    href = soup.select_one("a[download]")["href"]
    assert href.startswith("/dashboard/failures.csv?") and "kind=phone_code" in href and "reason=wechat_errcode" in href


def test_failures_export(signed_in_client, app):
    with app.app_context():
        factories.failure(created_at=at("2026-03-01 02:00"), reason="bad_padding", session_key_age_s=3)
        factories.failure(created_at=at("2026-03-05 02:00"), reason="not_json")
    data = rows(signed_in_client.response("dashboard.failures_csv", reason="bad_padding"))
    assert len(data) == 1
    assert data[0]["time"] == "2026-03-01T10:00:00+08:00"
    assert data[0]["key_age_s"] == "3"
    assert "wx.login" in data[0]["hint"]


def test_logins_export_streams_every_row_in_batches(signed_in_client, app):
    now = utcnow()
    with app.app_context():
        # More than one keyset batch of 1000, all in one statement.
        db.session.execute(
            LoginEvent.__table__.insert(),
            [
                {
                    "created_at": now - timedelta(seconds=i),
                    "appid": factories.APPID,
                    "outcome": "success",
                    "is_new_user": False,
                }
                for i in range(1105)
            ],
        )
        db.session.commit()
    data = rows(signed_in_client.response("dashboard.logins_csv"))
    assert len(data) == 1105
    assert len({r["time"] for r in data}) == 1105  # each row once: no batch repeated or skipped
    assert data[0]["time"] > data[-1]["time"]


def test_exports_never_hold_a_secret(signed_in_client, api, app):
    session = api.login()
    with app.app_context():
        sealed = db.session.scalar(select(User.session_key_ciphertext))
        session_id = db.session.scalar(select(ApiSession.id))
    for endpoint in ("dashboard.users_csv", "dashboard.logins_csv", "dashboard.failures_csv"):
        text = signed_in_client.response(endpoint).get_data(as_text=True)
        assert sealed not in text and session_id not in text and session.token not in text
        assert "session_key" not in text


def test_formulas_are_defused(signed_in_client, app):
    with app.app_context():
        factories.user(nickname='=HYPERLINK("http://evil")')
        factories.user(nickname="-1+2")
    data = rows(signed_in_client.response("dashboard.users_csv"))
    assert sorted(r["nickname"] for r in data) == ["'-1+2", '\'=HYPERLINK("http://evil")']


@pytest.mark.parametrize("nickname", ["＝1+1", "\u200b=cmd|' /C calc'!A0", "\ufeff@SUM(A1)", "\u2060\u200d+1", "－2"])
def test_formulas_behind_invisible_or_full_width_characters_are_defused(signed_in_client, app, nickname):
    with app.app_context():
        factories.user(nickname=nickname)
    assert [r["nickname"] for r in rows(signed_in_client.response("dashboard.users_csv"))] == ["'" + nickname]


def test_ordinary_text_is_left_alone(signed_in_client, app):
    with app.app_context():
        factories.user(nickname="阿花 =)")
    assert [r["nickname"] for r in rows(signed_in_client.response("dashboard.users_csv"))] == ["阿花 =)"]
