"""Sign-up policies: open (default), phone (a first login must bind a phone), closed (only
provisioned phone numbers); existing users log in whatever the policy."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from config import Apps
from tests.support import assert_error
from wxauth.extensions import db
from wxauth.models import LoginEvent, ProvisionedPhone, User


@pytest.fixture()
def policy(app, override_settings):
    def set_policy(signup: str):
        default = app.extensions["wxauth.settings"].apps.default
        override_settings(apps=Apps([dataclasses.replace(default, signup=signup)]))

    return set_policy


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _outcomes(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(LoginEvent.outcome).order_by(LoginEvent.id)).all()


def test_phone_policy_refuses_a_first_login_without_a_phone(client, sandbox, app, policy):
    policy("phone")
    code, _ = sandbox.login_code()
    body = assert_error(client.post("/api/auth/login", json={"code": code}), 403, "phone_required")
    assert "phone button" in body["message"]
    code, openid = sandbox.login_code()
    refused = client.post("/api/auth/login", json={"code": code, "phoneCode": "a-phone-code-wechat-never-issued"})
    assert_error(refused, 403, "phone_required")
    assert _users(app) == 0
    assert _outcomes(app) == ["phone_required", "phone_required"]  # the login log says why


def test_phone_policy_signs_up_with_the_phone_in_one_row(client, sandbox, app, policy):
    policy("phone")
    user = sandbox.user(phoneNumber="13500001111")
    code, openid = sandbox.login_code(user["openid"])
    resp = client.post("/api/auth/login", json={"code": code, "phoneCode": sandbox.phone_code(openid)})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["phoneBound"] is True and resp.get_json()["user"]["phoneNumber"] == "13500001111"
    # Now a user: later logins need no phone code.
    code, _ = sandbox.login_code(openid)
    assert client.post("/api/auth/login", json={"code": code}).status_code == 200
    assert _users(app) == 1


def test_closed_policy_admits_only_provisioned_numbers(client, sandbox, app, policy, runner):
    policy("closed")
    appid = app.extensions["wxauth.settings"].apps.default.appid
    stranger = sandbox.user(phoneNumber="13600002222")
    code, _ = sandbox.login_code(stranger["openid"])
    phone_code = sandbox.phone_code(stranger["openid"])
    assert_error(client.post("/api/auth/login", json={"code": code, "phoneCode": phone_code}), 403, "signup_closed")
    code, _ = sandbox.login_code(stranger["openid"])
    assert_error(client.post("/api/auth/login", json={"code": code}), 403, "signup_closed")
    assert _users(app) == 0

    result = runner.invoke(args=["users", "provision", "--appid", appid, "--phone", "+86 136-0000-2222"])
    assert result.exit_code == 0, result.output
    assert "1 number(s) provisioned" in result.output
    code, _ = sandbox.login_code(stranger["openid"])
    resp = client.post("/api/auth/login", json={"code": code, "phoneCode": sandbox.phone_code(stranger["openid"])})
    assert resp.status_code == 200, resp.get_json()
    user_id = resp.get_json()["user"]["id"]
    with app.app_context():
        claimed = db.session.scalar(select(ProvisionedPhone))
        assert (claimed.phone_number, claimed.claimed_user_id) == ("13600002222", user_id)
    assert _outcomes(app) == ["signup_closed", "signup_closed", "success"]


def test_existing_users_log_in_whatever_the_policy(api, app, policy):
    first = api.login()
    for signup in ("phone", "closed"):
        policy(signup)
        assert api.login(first.openid).user["id"] == first.user["id"]


def test_provision_from_a_csv_and_refuse_bad_numbers(runner, app, tmp_path):
    appid = app.extensions["wxauth.settings"].apps.default.appid
    csv = tmp_path / "people.csv"
    csv.write_text("phone,name\n13800001111,甲\n13800002222,乙\n13800001111,甲\n", encoding="utf-8")
    result = runner.invoke(args=["users", "provision", "--appid", appid, "--file", str(csv)])
    assert result.exit_code == 0, result.output
    assert "2 number(s) provisioned, 1 already were" in result.output
    bad = runner.invoke(args=["users", "provision", "--appid", appid, "--phone", "not-a-number"])
    assert bad.exit_code != 0 and "not a phone number" in bad.output
    other = runner.invoke(args=["users", "provision", "--appid", "wxnotserved", "--phone", "13800003333"])
    assert other.exit_code != 0 and "does not serve" in other.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProvisionedPhone)) == 2


def test_a_bad_signup_setting_refuses_to_start(tmp_path):
    from config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="WXAUTH_SIGNUP"):
        load_settings({"WXAUTH_SIGNUP": "invite-only"}, tmp_path)
    assert load_settings({"WXAUTH_SIGNUP": "closed"}, tmp_path).apps.default.signup == "closed"
