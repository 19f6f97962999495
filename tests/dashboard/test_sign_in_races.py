"""The sign-in lockout under concurrency: real threads against a live gunicorn server, and
one interleaving forced in-process."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.dashboard.conftest import PASSWORD
from wxauth.extensions import db
from wxauth.models import SignInThrottle
from wxauth.services import operators

pytestmark = pytest.mark.slow
WRONG = "wrong-password-000"


def _form(server, session: requests.Session) -> str:
    page = session.get(server.url + "/dashboard/login", timeout=10).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _race(server, passwords: list[str], headers=lambda i: {}) -> list[int]:
    """Sign in once per password, all at once, each from a browser of its own."""
    browsers = [requests.Session() for _ in passwords]
    tokens = [_form(server, b) for b in browsers]
    barrier = threading.Barrier(len(passwords))

    def attempt(i):
        barrier.wait()
        resp = browsers[i].post(
            server.url + "/dashboard/login",
            data={"username": "alice", "password": passwords[i], "csrf_token": tokens[i]},
            headers=headers(i),
            allow_redirects=False,
            timeout=30,
        )
        return resp.status_code

    with ThreadPoolExecutor(len(passwords)) as pool:
        return list(pool.map(attempt, range(len(passwords))))


def test_concurrent_guesses_check_at_most_five_passwords(spawn_server, operator):
    server = spawn_server(workers=2, threads=16)
    answers = _race(server, [WRONG] * 10)
    assert answers.count(401) <= operators.MAX_FAILED_ATTEMPTS, answers  # 401: a password was checked
    assert set(answers) <= {401, 429}
    # The name is locked now, for the right password too.
    assert _race(server, [PASSWORD]) == [429]


def test_nine_wrong_and_one_right_at_once_never_checks_more_than_five(spawn_server, operator):
    server = spawn_server(workers=2, threads=16)
    answers = _race(server, [WRONG] * 9 + [PASSWORD])
    assert answers.count(401) + answers.count(302) <= operators.MAX_FAILED_ATTEMPTS, answers


def test_rotating_forwarded_addresses_do_not_buy_more_guesses(spawn_server, operator):
    server = spawn_server(workers=2, threads=20, WXAUTH_TRUSTED_PROXIES="1", WXAUTH_RATELIMIT_DASHBOARD_LOGIN="5/minute")
    answers = _race(server, [WRONG] * 40, headers=lambda i: {"X-Forwarded-For": f"10.0.{i}.1"})
    assert answers.count(401) <= operators.MAX_FAILED_ATTEMPTS, answers


def test_a_success_keeps_the_failures_that_raced_it(app, operator, monkeypatch):
    """Wrong guesses are checked and counted while the right password is being checked:
    the success that ends afterwards does not forgive them, and its own slot stays used."""
    real_check = operators.check_password_hash
    right_checking, guesses_done = threading.Event(), threading.Event()

    def check(hash_, password):
        if password == PASSWORD:
            right_checking.set()
            assert guesses_done.wait(10)
        return real_check(hash_, password)

    monkeypatch.setattr(operators, "check_password_hash", check)

    def sign_in(password):
        with app.app_context():
            result = operators.sign_in("alice", password)
            db.session.remove()
            return result

    with ThreadPoolExecutor(1) as pool:
        right = pool.submit(sign_in, PASSWORD)
        assert right_checking.wait(10)
        racing = operators.MAX_FAILED_ATTEMPTS - 1  # the right one is in flight: 4 more fit
        assert all(sign_in(WRONG).operator is None for _ in range(racing))
        guesses_done.set()
        assert right.result().operator is not None
    with app.app_context():
        assert db.session.get(SignInThrottle, "alice").failed_attempts == racing + 1
    # The burst used the whole budget: a sixth password, even the right one, is not checked.
    refused = sign_in(PASSWORD)
    assert refused.operator is None and refused.locked is True
