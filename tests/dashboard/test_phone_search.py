"""A masked number cannot be completed by searching: whole-number phone searches are limited
per operator and audited, and the last-4 filter confirms no hidden digit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.dashboard import factories
from wxauth.extensions import db
from wxauth.models import AuditEvent


@pytest.fixture()
def masked_user(app):
    with app.app_context():
        factories.user(nickname="阿东", phone_country_code="86", phone_number="13800138000")


@pytest.fixture()
def budget(override_settings):
    override_settings(ratelimit_dashboard_phone_search="5/hour")
    return 5


def test_guessing_the_hidden_digits_runs_out_of_searches(signed_in_client, masked_user, budget):
    # 138****8000 on the page: an attacker tries the middle digits one after another.
    statuses = [signed_in_client.response("dashboard.users", q=f"138{middle:04d}8000").status_code for middle in range(12)]
    assert statuses[:budget] == [200] * budget
    assert set(statuses[budget:]) == {429}


def test_the_csv_export_shares_the_budget(signed_in_client, masked_user, budget):
    for _ in range(budget - 1):
        assert signed_in_client.response("dashboard.users", q="13800000000").status_code == 200
    assert signed_in_client.response("dashboard.users_csv", q="13800000001").status_code == 200
    assert signed_in_client.response("dashboard.users_csv", q="13800000002").status_code == 429


def test_last_four_digits_and_other_searches_are_not_limited(signed_in_client, masked_user, budget):
    for _ in range(budget * 2):
        assert signed_in_client.response("dashboard.users", q="8000").status_code == 200
        assert signed_in_client.response("dashboard.users", q="阿东").status_code == 200
        assert signed_in_client.response("dashboard.users", q="123").status_code == 200


def test_each_whole_number_search_is_audited_with_the_number_masked(signed_in_client, masked_user, app):
    signed_in_client.response("dashboard.users", q="13800138000")
    signed_in_client.response("dashboard.users_csv", q="+8613912345678")
    signed_in_client.response("dashboard.users", q="8000")  # not a whole number: not audited
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "phone_search").order_by(AuditEvent.id)).all()
        assert [(e.action, e.detail) for e in events] == [
            ("phone_search", "users: q=138****8000"),
            ("phone_search", "users_csv: q=+86****5678"),
        ]
    page = signed_in_client.page("dashboard.audit_log")
    text = page.get_text(" ")
    assert "138****8000" in text and "13800138000" not in text and "alice" in text
