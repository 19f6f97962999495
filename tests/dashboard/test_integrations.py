"""/dashboard/clients and /dashboard/webhooks: create (the secret shown once), revoke,
remove, test, filter and redeliver; CSRF on every form; every change audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.support import Receiver
from wxauth.extensions import db
from wxauth.models import AuditEvent, ServiceClient, WebhookDelivery
from wxauth.webhooks import delivery, endpoints


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action != "sign_in").order_by(AuditEvent.id)))


def test_a_client_is_created_with_its_secret_shown_once_and_revoked(signed_in_client, app):
    page = signed_in_client.page("dashboard.clients_page")
    url = signed_in_client.url("dashboard.clients_page")
    resp = signed_in_client.submit(page, url, data={"name": "orders", "scopes": ["introspect"]})
    assert resp.status_code == 200
    from bs4 import BeautifulSoup

    shown = BeautifulSoup(resp.get_data(as_text=True), "html.parser")
    secret = shown.select_one("[data-client-secret]").get_text()
    assert secret.startswith("wxs_") and shown.select_one("[data-client-id]").get_text().startswith("wxc_")
    again = signed_in_client.page("dashboard.clients_page").get_text()
    assert secret not in again and "orders" in again  # once, never again
    with app.app_context():
        assert db.session.scalar(select(ServiceClient.scopes)) == "introspect"
    revoke = signed_in_client.url("dashboard.revoke_client", name="orders")
    assert signed_in_client.submit(signed_in_client.page("dashboard.clients_page"), revoke).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ServiceClient.revoked_at)) is not None
    assert _actions(app) == ["client_create", "client_revoke"]


def test_client_forms_need_csrf_and_valid_input(signed_in_client, app):
    page = signed_in_client.page("dashboard.clients_page")
    url = signed_in_client.url("dashboard.clients_page")
    assert signed_in_client.submit(page, url, data={"name": "x", "scopes": ["introspect"]}, csrf=False).status_code == 400
    bad = signed_in_client.submit(page, url, data={"name": "<b>no spaces</b>", "scopes": ["introspect"]})
    assert bad.status_code == 400 and "<b>no spaces</b>" not in bad.get_data(as_text=True)
    assert signed_in_client.submit(page, url, data={"name": "x", "scopes": ["root"]}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(ServiceClient.id)) is None


def _deliveries(dashboard, **filters):
    from bs4 import BeautifulSoup

    resp = dashboard.client.get(dashboard.url("dashboard.webhooks"), query_string=filters)
    assert resp.status_code == 200
    return BeautifulSoup(resp.get_data(as_text=True), "html.parser")


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_an_endpoint_is_added_tested_filtered_and_redelivered(signed_in_client, app, api, receiver):
    page = signed_in_client.page("dashboard.webhooks")
    url = signed_in_client.url("dashboard.webhooks")
    resp = signed_in_client.submit(page, url, data={"url": receiver.url, "events": ["user.created", "user.deleted"]})
    assert resp.status_code == 200 and "whsec_" in resp.get_data(as_text=True)
    assert "whsec_" not in signed_in_client.page("dashboard.webhooks").get_text()
    with app.app_context():
        (endpoint,) = endpoints.listed()
        endpoint_id = endpoint.id
    test = signed_in_client.url("dashboard.test_webhook", endpoint_id=endpoint_id)
    assert signed_in_client.submit(signed_in_client.page("dashboard.webhooks"), test).status_code == 302
    assert json.loads(receiver.wait_for(1)[0]["body"])["type"] == "webhook.test"

    api.login(phoneNumber="13800009999")
    receiver.status = 500
    with app.app_context():
        delivery.deliver_due()
    failing = _deliveries(signed_in_client, status="pending")
    rows = failing.select("tr[data-delivery]")
    assert len(rows) == 1 and rows[0].select_one("[data-status]")["data-status"] == "pending"
    assert _deliveries(signed_in_client, status="delivered").select("tr[data-delivery]")[0].get_text().count("webhook.test") == 1
    assert _deliveries(signed_in_client, type="user.deleted").select("tr[data-delivery]") == []
    odd = _deliveries(signed_in_client, status="nonsense", endpoint="99")
    assert "Unknown status" in odd.get_text() and len(odd.select("tr[data-delivery]")) == 2

    delivery_id = int(rows[0]["data-delivery"])
    detail = signed_in_client.page("dashboard.delivery_page", delivery_id=delivery_id)
    assert "HTTP 500" in detail.select_one("table").get_text()
    body = detail.select_one("[data-body]").get_text()
    assert "user.created" in body and "13800009999" not in body  # the phone is masked on the page
    receiver.status = 200
    redeliver = signed_in_client.url("dashboard.redeliver", delivery_id=delivery_id)
    assert signed_in_client.submit(detail, redeliver).status_code == 302
    with app.app_context():
        delivery.deliver_due()
        assert db.session.get(WebhookDelivery, delivery_id).status == "delivered"

    remove = signed_in_client.url("dashboard.remove_webhook", endpoint_id=endpoint_id)
    assert signed_in_client.submit(signed_in_client.page("dashboard.webhooks"), remove).status_code == 302
    with app.app_context():
        assert endpoints.listed() == []
    assert _actions(app) == ["webhook_add", "webhook_test", "webhook_redeliver", "webhook_remove"]


def test_a_bad_endpoint_url_is_refused_and_escaped(signed_in_client, app):
    page = signed_in_client.page("dashboard.webhooks")
    url = signed_in_client.url("dashboard.webhooks")
    resp = signed_in_client.submit(page, url, data={"url": "javascript:<script>x</script>", "events": ["user.created"]})
    assert resp.status_code == 400 and "<script>x</script>" not in resp.get_data(as_text=True)
    with app.app_context():
        assert endpoints.listed() == []


def test_integration_pages_need_sign_in(client, dashboard):
    for endpoint in ("dashboard.clients_page", "dashboard.webhooks"):
        assert dashboard.response(endpoint).status_code == 302
    # A POST without a session or a CSRF token is refused before anything is looked up.
    assert client.post(dashboard.url("dashboard.revoke_client", name="x")).status_code == 400
