"""Two-factor sign-in (TOTP, RFC 6238): enrolment with a QR code and recovery codes, a code
accepted once with one step of drift, recovery codes, the lockout over both factors,
WXAUTH_OPERATOR_MFA=required, and resetting a lost factor."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time

import pyotp
from sqlalchemy import select

from tests.dashboard.conftest import PASSWORD
from wxauth import settings
from wxauth.dashboard import auth
from wxauth.extensions import db
from wxauth.models import AuditEvent, Operator, RecoveryCode
from wxauth.services import mfa, operators


def enrol(dashboard) -> tuple[str, list[str]]:
    """Enrol the signed-in operator as a person would: read the secret off the page, answer
    with the authenticator's code; returns the secret and the recovery codes shown."""
    page = dashboard.page("dashboard.mfa_page")
    secret = page.select_one("#totp-secret")["data-secret"]
    resp = dashboard.submit(page, dashboard.url("dashboard.mfa_page"), {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    from bs4 import BeautifulSoup

    codes = [
        li.get_text(strip=True) for li in BeautifulSoup(resp.get_data(as_text=True), "html.parser").select("[data-recovery-code]")
    ]
    return secret, codes


def sign_out(dashboard) -> None:
    page = dashboard.page("dashboard.overview")
    assert dashboard.submit(page, dashboard.url("dashboard.logout")).status_code == 302


def second_step(dashboard, code: str):
    page = dashboard.page("dashboard.login_second_factor")
    return dashboard.submit(page, dashboard.url("dashboard.login_second_factor"), {"code": code})


def next_code(secret: str, after: str) -> str:
    """The authenticator's code for the next step (a code is good once, even in its window)."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + 30) if totp.now() == after else totp.now()


def test_enrolment_shows_a_qr_code_then_ten_recovery_codes_stored_hashed(signed_in_client, app):
    page = signed_in_client.page("dashboard.mfa_page")
    svg = page.select_one("#totp-qr svg")
    assert svg is not None and svg.find("path") is not None  # drawn here, not fetched
    assert page.select("#totp-qr img") == []
    secret = page.select_one("#totp-secret")["data-secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    wrong = signed_in_client.submit(page, signed_in_client.url("dashboard.mfa_page"), {"code": "000000"})
    assert wrong.status_code == 400
    with app.app_context():
        assert operators.get("alice").mfa_enabled is False
    secret2, codes = enrol(signed_in_client)
    assert secret2 == secret  # a reload keeps the secret being enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        alice = operators.get("alice")
        assert alice.mfa_enabled
        assert alice.mfa_secret.startswith("v1.") and secret not in alice.mfa_secret  # sealed
        stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.operator_id == alice.id)))
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    again = signed_in_client.page("dashboard.mfa_page")
    assert again.select("[data-recovery-code]") == [] and again.select("#totp-qr") == []
    assert "10" in again.get_text()  # codes left


def test_sign_in_asks_for_the_code_after_the_password(signed_in_client, app):
    secret, _codes = enrol(signed_in_client)
    sign_out(signed_in_client)
    resp = signed_in_client.sign_in("alice", PASSWORD)
    assert resp.headers["Location"] == signed_in_client.url("dashboard.login_second_factor")
    assert signed_in_client.response("dashboard.overview").status_code == 302  # not signed in yet
    resp = second_step(signed_in_client, next_code(secret, pyotp.TOTP(secret).now()))
    assert resp.status_code == 302 and resp.headers["Location"] == signed_in_client.url("dashboard.overview")
    assert signed_in_client.response("dashboard.overview").status_code == 200
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.action, last.detail) == ("sign_in", "password + totp")


def test_a_code_is_accepted_once(signed_in_client):
    secret, _codes = enrol(signed_in_client)
    sign_out(signed_in_client)
    code = next_code(secret, pyotp.TOTP(secret).now())
    signed_in_client.sign_in("alice", PASSWORD)
    assert second_step(signed_in_client, code).status_code == 302
    sign_out(signed_in_client)
    signed_in_client.sign_in("alice", PASSWORD)
    replay = second_step(signed_in_client, code)
    assert replay.status_code == 401
    assert "already used" in replay.get_data(as_text=True)


def test_one_step_of_clock_drift_is_allowed_two_are_not(app, operator):
    secret = mfa.new_secret()
    totp = pyotp.TOTP(secret)
    now = 1_800_000_015.0
    with app.app_context():
        alice = operators.get("alice")
        assert mfa.enable(alice, secret, totp.at(now), now=now - 60) is None  # the code is 2 steps ahead
        assert mfa.enable(alice, secret, totp.at(now), now=now) is not None
        for offset, accepted in ((-60, False), (-30, False), (30, True), (60, False), (90, True), (150, False)):
            method = mfa.verify(alice.id, totp.at(now + offset), now=now + (60 if offset >= 90 else 0))
            assert (method == "totp") is accepted, offset
            db.session.commit()


def test_a_recovery_code_signs_in_once(signed_in_client, app):
    _secret, codes = enrol(signed_in_client)
    sign_out(signed_in_client)
    signed_in_client.sign_in("alice", PASSWORD)
    assert second_step(signed_in_client, codes[3].upper().replace("-", " ")).status_code == 302
    with app.app_context():
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.detail == "password + recovery_code"
        assert mfa.recovery_codes_left(operators.get("alice").id) == 9
    sign_out(signed_in_client)
    signed_in_client.sign_in("alice", PASSWORD)
    assert second_step(signed_in_client, codes[3]).status_code == 401


def test_the_lockout_covers_the_second_factor(signed_in_client, app):
    secret, _codes = enrol(signed_in_client)
    sign_out(signed_in_client)
    for attempt in range(operators.MAX_FAILED_ATTEMPTS):
        # the right password again each time forgives nothing while a code must follow
        assert signed_in_client.sign_in("alice", PASSWORD).status_code == 302
        status = second_step(signed_in_client, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321").status_code
        assert status == (429 if attempt == operators.MAX_FAILED_ATTEMPTS - 1 else 401), attempt
    assert signed_in_client.sign_in("alice", PASSWORD).status_code == 429  # the password is refused too
    with app.app_context():
        actions = list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(["mfa_failed", "sign_in_locked"])))
        )
    assert actions == ["mfa_failed"] * (operators.MAX_FAILED_ATTEMPTS - 1) + ["sign_in_locked", "sign_in_locked"]


def test_the_code_step_expires(signed_in_client, monkeypatch):
    secret, _codes = enrol(signed_in_client)
    sign_out(signed_in_client)
    signed_in_client.sign_in("alice", PASSWORD)
    later = time.time() + auth.SECOND_FACTOR_SECONDS + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    resp = signed_in_client.response("dashboard.login_second_factor")
    assert resp.status_code == 302 and resp.headers["Location"] == signed_in_client.url("dashboard.login")


def test_required_mfa_makes_every_operator_enrol_first(dashboard, operator, app, monkeypatch):
    required = dataclasses.replace(app.extensions[settings.EXTENSION], operator_mfa="required")
    monkeypatch.setitem(app.extensions, settings.EXTENSION, required)
    assert dashboard.sign_in("alice", PASSWORD).status_code == 302
    for endpoint in ("dashboard.overview", "dashboard.users", "dashboard.operators_page"):
        resp = dashboard.response(endpoint)
        assert resp.status_code == 302 and resp.headers["Location"] == dashboard.url("dashboard.mfa_page"), endpoint
    assert dashboard.page("dashboard.mfa_page").select_one("#mfa-required") is not None
    enrol(dashboard)
    assert dashboard.response("dashboard.overview").status_code == 200


def test_an_admin_resets_a_lost_second_factor(signed_in_client, app, make_operator):
    bob = make_operator("bob", role="support")
    with app.app_context():
        mfa.enable(operators.get("bob"), (secret := mfa.new_secret()), pyotp.TOTP(secret).now())
    page = signed_in_client.page("dashboard.operators_page")
    assert page.select_one("tr[data-operator=bob] [data-mfa]")["data-mfa"] == "on"
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.reset_operator_mfa", operator_id=bob.id))
    assert resp.status_code == 302
    with app.app_context():
        bob = operators.get("bob")
        assert not bob.mfa_enabled and bob.mfa_secret is None
        assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.operator_id == bob.id)).all() == []
        assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "mfa_reset")) == "bob"
    # bob signs in with the password alone now
    sign_out(signed_in_client)
    assert signed_in_client.sign_in("bob", PASSWORD).headers["Location"] == signed_in_client.url("dashboard.overview")


def test_reset_mfa_from_the_shell(runner, app, operator):
    with app.app_context():
        mfa.enable(operators.get("alice"), (secret := mfa.new_secret()), pyotp.TOTP(secret).now())
    result = runner.invoke(args=["operator", "reset-mfa", "alice"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Operator.mfa_enabled_at).where(Operator.username == "alice")) is None
        assert db.session.scalar(select(AuditEvent.username).where(AuditEvent.action == "mfa_reset")).startswith("shell:")
    assert runner.invoke(args=["operator", "reset-mfa", "nobody"]).exit_code == 1
