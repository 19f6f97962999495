"""The failures list: filters, reasons with their hints, the session key's age, empty states."""

from __future__ import annotations

import pytest

from tests.dashboard import factories
from tests.dashboard.factories import at


def reasons(soup) -> list[str]:
    return [tr["data-reason"] for tr in soup.select("tr[data-reason]")]


@pytest.fixture()
def failures(app):
    with app.app_context():
        user = factories.user(nickname="阿失")
        factories.failure(
            created_at=at("2026-03-01 02:00"),
            kind="phone_encrypted",
            reason="bad_padding",
            user_id=user.id,
            session_key_age_s=4,
        )
        factories.failure(
            created_at=at("2026-03-02 02:00"),
            kind="phone_code",
            reason="wechat_errcode",
            wechat_errcode=40029,
            user_id=user.id,
        )
        factories.failure(created_at=at("2026-03-03 02:00"), kind="userinfo_encrypted", reason="not_json", session_key_age_s=7300)
        factories.failure(created_at=at("2026-03-04 02:00"), kind="signature", reason="signature_mismatch")
        return user


def test_lists_failures_with_hints_and_key_age(signed_in_client, failures):
    soup = signed_in_client.page("dashboard.failures")
    assert reasons(soup) == ["signature_mismatch", "not_json", "wechat_errcode", "bad_padding"]
    padding = soup.select_one("tr[data-reason=bad_padding]").get_text(" ", strip=True)
    assert "the client probably called wx.login after getting the data" in padding
    assert "4 s" in padding and "阿失" in padding
    assert "2 h 1 min" in soup.select_one("tr[data-reason=not_json]").get_text()
    errcode = soup.select_one("tr[data-reason=wechat_errcode]").get_text(" ", strip=True)
    assert "40029" in errcode and "a wx.login code sent instead of the phone code" in errcode


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"kind": "phone_encrypted"}, ["bad_padding"]),
        ({"kind": "phone_code"}, ["wechat_errcode"]),
        ({"reason": "not_json"}, ["not_json"]),
        ({"kind": "phone_code", "reason": "bad_padding"}, []),
        ({"from": "2026-03-02", "to": "2026-03-03"}, ["not_json", "wechat_errcode"]),
    ],
)
def test_filters(signed_in_client, failures, args, expected):
    assert reasons(signed_in_client.page("dashboard.failures", **args)) == expected


def test_filter_by_user(signed_in_client, failures):
    soup = signed_in_client.page("dashboard.failures", user=str(failures.id))
    assert reasons(soup) == ["wechat_errcode", "bad_padding"]
    assert soup.select_one(".filter-note")


def test_every_reason_has_a_hint():
    from wxauth.dashboard.labels import FAILURE_REASONS
    from wxauth.wechat.crypto import REASONS

    for reason in (*REASONS, "wechat_errcode", "wechat_unavailable", "signature_mismatch", "malformed_answer"):
        label, hint = FAILURE_REASONS[reason]
        assert label and hint.endswith(".")


def test_empty_states(signed_in_client, failures):
    soup = signed_in_client.page("dashboard.failures", reason="watermark_expired")
    assert soup.select_one(".empty-title").get_text() == "No failure matches these filters."


def test_empty_state_without_failures(signed_in_client):
    assert signed_in_client.page("dashboard.failures").select_one(".empty-title").get_text() == "No failures recorded."


def test_real_stale_key_failure_is_listed(signed_in_client, client, sandbox):
    user = sandbox.user()
    info = sandbox.encrypted_userinfo(user["openid"])
    code, _ = sandbox.login_code(user["openid"])  # a new key: the data is now stale
    client.post("/api/auth/login", json={"code": code, "encryptedData": info["encryptedData"], "iv": info["iv"]})
    soup = signed_in_client.page("dashboard.failures")
    assert reasons(soup)[0] in ("bad_padding", "not_json")
    assert "wx.login" in soup.select_one("tr[data-reason] .hint").get_text()
