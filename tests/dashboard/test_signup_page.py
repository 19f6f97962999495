"""/dashboard/signup: each app's sign-up policy, and provisioning numbers from the browser."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from config import Apps
from wxauth.extensions import db
from wxauth.models import AuditEvent, ProvisionedPhone


def test_the_page_shows_each_apps_policy(signed_in_client, app, override_settings):
    default = app.extensions["wxauth.settings"].apps.default
    override_settings(apps=Apps([dataclasses.replace(default, signup="closed")]))
    soup = signed_in_client.page("dashboard.signup")
    assert soup.select_one("td[data-policy=closed]") is not None
    assert "only the phone numbers provisioned here" in soup.get_text()


def test_provisioning_from_the_dashboard_is_masked_and_audited(signed_in_client, app):
    appid = app.extensions["wxauth.settings"].apps.default.appid
    page = signed_in_client.page("dashboard.signup")
    resp = signed_in_client.submit(
        page, signed_in_client.url("dashboard.signup"), data={"appid": appid, "phones": "13800004444\n+86 138 0000 5555"}
    )
    assert resp.status_code == 302
    with app.app_context():
        assert sorted(db.session.scalars(select(ProvisionedPhone.phone_number))) == ["13800004444", "13800005555"]
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provision"))
        assert audit.detail == f"{appid}: 2 number(s), 2 new"
    listed = signed_in_client.page("dashboard.signup").get_text()
    assert "13800004444" not in listed  # masked on the page


def test_a_bad_number_is_refused_with_the_form_shown_again(signed_in_client, app):
    appid = app.extensions["wxauth.settings"].apps.default.appid
    page = signed_in_client.page("dashboard.signup")
    resp = signed_in_client.submit(
        page, signed_in_client.url("dashboard.signup"), data={"appid": appid, "phones": "13800004444\nnonsense"}
    )
    assert resp.status_code == 400
    assert "not a phone number" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ProvisionedPhone)) is None


def test_provisioning_without_csrf_changes_nothing(signed_in_client, app):
    appid = app.extensions["wxauth.settings"].apps.default.appid
    resp = signed_in_client.client.post(signed_in_client.url("dashboard.signup"), data={"appid": appid, "phones": "13800004444"})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(ProvisionedPhone)) is None
