"""The team's other services, on the dashboard: service clients (/dashboard/clients) and
webhooks (/dashboard/webhooks: endpoints, deliveries with filters, redeliver). A secret is
shown once, on the page that created it; every change is audited."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from wxauth.dashboard import bp
from wxauth.dashboard.formatting import mask_phone
from wxauth.dashboard.forms import ClientForm, WebhookForm
from wxauth.dashboard.labels import delivery_status
from wxauth.dashboard.roles import requires
from wxauth.extensions import db
from wxauth.models import WebhookAttempt, WebhookDelivery
from wxauth.services import ClientInfo, audit, clients
from wxauth.webhooks import delivery, endpoints
from wxauth.webhooks.outbox import EVENTS, TEST_EVENT

STATUSES = ("pending", "delivered", "failed")
DELIVERIES_SHOWN = 100


def _audit(action: str, detail: str) -> None:
    audit.record(current_user, action, detail, ClientInfo.from_request(request))


@bp.route("/clients", methods=["GET", "POST"])
@requires("read", post="manage_clients")
def clients_page():
    form = ClientForm()
    created = None
    if form.validate_on_submit():
        try:
            created = clients.create(form.name.data or "", form.scopes.data or [])
        except clients.ClientError as exc:
            form.name.errors = [str(exc)]
        else:
            _audit(audit.CLIENT_CREATE, f"{created.name}: {' '.join(created.scopes)}")
            form = ClientForm(formdata=None)
    status = 400 if form.errors else 200
    return render_template("dashboard/integrations/clients.html", form=form, created=created, rows=clients.listed()), status


@bp.post("/clients/<name>/revoke")
@requires("manage_clients")
def revoke_client(name: str):
    if clients.revoke(name):
        _audit(audit.CLIENT_REVOKE, name)
        flash(_("Revoked %(name)s: refused at once here, within 10 s on every instance.", name=name), "success")
    else:
        flash(_("No live client named %(name)s.", name=name), "error")
    return redirect(url_for("dashboard.clients_page"))


class DeliveryFilters:
    """The deliveries list's filters, read from the query string; bad values are ignored with a message."""

    def __init__(self, args, endpoint_ids: set[int]):
        self.errors: list[str] = []
        self.status = self._choice(args, "status", STATUSES)
        self.type = self._choice(args, "type", (*EVENTS, TEST_EVENT))
        raw = args.get("endpoint", "")
        self.endpoint = int(raw) if raw.isdigit() and int(raw) in endpoint_ids else None
        if raw and self.endpoint is None:
            self.errors.append("Unknown endpoint: showing every endpoint.")

    def _choice(self, args, name: str, allowed) -> str | None:
        value = args.get(name, "")
        if value and value not in allowed:
            self.errors.append(_("Unknown %(name)s %(value)s: showing all.", name=name, value=repr(value)))
            return None
        return value or None

    @property
    def active(self) -> bool:
        return any((self.status, self.type, self.endpoint))

    def query(self):
        q = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        if self.status:
            q = q.where(WebhookDelivery.status == self.status)
        if self.type:
            q = q.where(WebhookDelivery.type == self.type)
        if self.endpoint:
            q = q.where(WebhookDelivery.endpoint_id == self.endpoint)
        return q.limit(DELIVERIES_SHOWN)


@bp.route("/webhooks", methods=["GET", "POST"])
@requires("read", post="manage_webhooks")
def webhooks():
    form = WebhookForm()
    added = None
    if form.validate_on_submit():
        try:
            added = endpoints.add(form.url.data or "", form.events.data or [])
        except endpoints.EndpointError as exc:
            form.url.errors = [str(exc)]
        else:
            _audit(audit.WEBHOOK_ADD, f"{added.endpoint.url}: {' '.join(added.endpoint.event_list)}")
            form = WebhookForm(formdata=None)
    every = endpoints.listed(live_only=False)
    filters = DeliveryFilters(request.args, {e.id for e in every})
    rows = db.session.scalars(filters.query()).all()
    status = 400 if form.errors else 200
    return render_template(
        "dashboard/integrations/webhooks.html",
        form=form,
        added=added,
        live=[e for e in every if e.removed_at is None],
        by_id={e.id: e for e in every},
        filters=filters,
        deliveries=rows,
        statuses=[(s, delivery_status(s)) for s in STATUSES],
        types=[(t, t) for t in (*EVENTS, TEST_EVENT)],
        endpoint_options=[(str(e.id), e.url) for e in every],
    ), status


@bp.post("/webhooks/<int:endpoint_id>/remove")
@requires("manage_webhooks")
def remove_webhook(endpoint_id: int):
    endpoint = endpoints.get(endpoint_id)
    if endpoint is None or not endpoints.remove(endpoint_id):
        abort(404)
    _audit(audit.WEBHOOK_REMOVE, endpoint.url)
    flash(_("Removed %(url)s.", url=endpoint.url), "success")
    return redirect(url_for("dashboard.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/test")
@requires("manage_webhooks")
def test_webhook(endpoint_id: int):
    from wxauth.webhooks import testing

    endpoint = endpoints.get(endpoint_id)
    if endpoint is None or endpoint.removed_at is not None:
        abort(404)
    outcome = testing.send_test(endpoint)
    _audit(audit.WEBHOOK_TEST, f"{endpoint.url}: {outcome.status_code or outcome.error}")
    if outcome.delivered:
        flash(
            _(
                "%(url)s answered HTTP %(status)s in %(ms)s ms.",
                url=endpoint.url,
                status=outcome.status_code,
                ms=outcome.latency_ms,
            ),
            "success",
        )
    else:
        flash(_("%(url)s did not accept the test event: %(error)s.", url=endpoint.url, error=outcome.error), "error")
    return redirect(url_for("dashboard.webhooks"))


@bp.get("/webhooks/deliveries/<int:delivery_id>")
@requires("read")
def delivery_page(delivery_id: int):
    row = db.session.get(WebhookDelivery, delivery_id) or abort(404)
    attempts = db.session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id.desc())
    ).all()
    return render_template(
        "dashboard/integrations/delivery.html",
        row=row,
        endpoint=endpoints.get(row.endpoint_id),
        attempts=attempts,
        body=_shown_body(row),
    )


def _shown_body(row: WebhookDelivery) -> str:
    """The delivered body as an operator may see it: the phone number masked."""
    document = json.loads(delivery.body(row))
    user = document.get("data", {}).get("user")
    if isinstance(user, dict) and user.get("phoneNumber"):
        user["phoneNumber"] = mask_phone(user["phoneNumber"])
    return json.dumps(document, ensure_ascii=False, indent=2)


@bp.post("/webhooks/deliveries/<int:delivery_id>/redeliver")
@requires("manage_webhooks")
def redeliver(delivery_id: int):
    if not delivery.redeliver(delivery_id):
        abort(404)
    _audit(audit.WEBHOOK_REDELIVER, f"delivery {delivery_id}")
    flash(_("Queued to be sent again now."), "success")
    return redirect(url_for("dashboard.delivery_page", delivery_id=delivery_id))
