"""One user's page: profile, masked phone and its recorded reveal, sessions and their revoke."""

from __future__ import annotations

from sqlalchemy import select

from tests.dashboard import factories
from tests.dashboard.conftest import texts
from wxauth.extensions import db
from wxauth.models import PhoneReveal, User


def bind_phone(api, sandbox, phone: str = "13800138000"):
    """A real user through the real API: log in, then bind a phone with a getPhoneNumber code."""
    sandbox.user(phoneNumber=phone)
    session = api.login(sandbox.client.get("/_sandbox/api/users").get_json()["users"][0]["openid"])
    code = sandbox.phone_code(session.openid)
    resp = api.post("/api/auth/phone", session, json={"code": code})
    assert resp.status_code == 200, resp.get_json()
    return session


def test_profile_and_masked_phone(signed_in_client, api, sandbox):
    session = bind_phone(api, sandbox)
    soup = signed_in_client.page("dashboard.user", user_id=session.user["id"])
    assert session.openid in soup.select_one(".facts").get_text()
    assert soup.select_one("#phone-number").get_text() == "138****8000"
    assert "13800138000" not in str(soup)


def test_reveal_shows_the_number_once_and_records_it(signed_in_client, operator, api, sandbox, app):
    session = bind_phone(api, sandbox)
    user_id = session.user["id"]
    page = signed_in_client.page("dashboard.user", user_id=user_id)
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.reveal_phone", user_id=user_id))
    # POST/redirect/GET: the address bar ends on the user's page, which a reload cannot break.
    assert resp.status_code == 302
    assert resp.headers["Location"] == signed_in_client.url("dashboard.user", user_id=user_id)
    assert "13800138000" not in resp.headers.get("Set-Cookie", "")
    shown = signed_in_client.response("dashboard.user", user_id=user_id)
    assert shown.headers["Cache-Control"] == "no-store"
    from bs4 import BeautifulSoup

    revealed = BeautifulSoup(shown.get_data(as_text=True), "html.parser")
    assert revealed.select_one("#phone-number").get_text() == "13800138000"
    assert "alice" in revealed.select_one("#reveals").get_text()
    with app.app_context():
        reveals = db.session.scalars(select(PhoneReveal)).all()
        assert [(r.user_id, r.operator_id) for r in reveals] == [(user_id, operator.id)]
    # Loading the page again shows the mask again, and the reveal in the list.
    again = signed_in_client.page("dashboard.user", user_id=user_id)
    assert again.select_one("#phone-number").get_text() == "138****8000"
    assert len(again.select("#reveals li")) == 1
    audit = signed_in_client.page("dashboard.reveals")
    assert texts(audit.select("tbody tr td:nth-of-type(2)")) == ["alice"]


def test_reveal_without_csrf_is_refused_and_not_recorded(signed_in_client, api, sandbox, app):
    session = bind_phone(api, sandbox)
    user_id = session.user["id"]
    page = signed_in_client.page("dashboard.user", user_id=user_id)
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.reveal_phone", user_id=user_id), csrf=False)
    assert resp.status_code == 400
    assert "13800138000" not in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(PhoneReveal)).all() == []


def test_reveal_by_get_is_not_allowed(signed_in_client, api, sandbox):
    session = bind_phone(api, sandbox)
    resp = signed_in_client.response("dashboard.reveal_phone", user_id=session.user["id"])
    assert resp.status_code == 405
    assert "13800138000" not in resp.get_data(as_text=True)


def test_revoke_one_session_ends_that_token(signed_in_client, api):
    first = api.login()
    second = api.login(first.openid)
    page = signed_in_client.page("dashboard.user", user_id=first.user["id"])
    handles = [tr["data-session"] for tr in page.select("tr[data-session]")]
    assert len(handles) == 2
    url = signed_in_client.url("dashboard.revoke_session", user_id=first.user["id"], handle=handles[0])
    resp = signed_in_client.submit(page, url)
    assert resp.status_code == 302
    statuses = sorted(api.get("/api/me", s).status_code for s in (first, second))
    assert statuses == [200, 401]
    after = signed_in_client.page("dashboard.user", user_id=first.user["id"])
    assert "revoked" in after.select_one(".flash").get_text()
    assert [tr["data-session"] for tr in after.select("tr[data-session]")] == handles[1:]


def test_revoke_all_sessions(signed_in_client, api):
    first = api.login()
    second = api.login(first.openid)
    page = signed_in_client.page("dashboard.user", user_id=first.user["id"])
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.revoke_all_sessions", user_id=first.user["id"]))
    assert resp.status_code == 302
    assert api.get("/api/me", first).status_code == 401
    assert api.get("/api/me", second).status_code == 401
    after = signed_in_client.page("dashboard.user", user_id=first.user["id"])
    assert "Revoked 2 sessions" in after.select_one(".flash").get_text()
    assert after.select_one("#sessions .empty-title").get_text() == "No active session."


def test_revoke_without_csrf_keeps_the_session(signed_in_client, api):
    session = api.login()
    page = signed_in_client.page("dashboard.user", user_id=session.user["id"])
    handle = page.select_one("tr[data-session]")["data-session"]
    url = signed_in_client.url("dashboard.revoke_session", user_id=session.user["id"], handle=handle)
    assert signed_in_client.submit(page, url, csrf=False).status_code == 400
    assert api.get("/api/me", session).status_code == 200


def test_no_secret_on_the_page(signed_in_client, api, app):
    session = api.login()
    html = signed_in_client.response("dashboard.user", user_id=session.user["id"]).get_data(as_text=True)
    with app.app_context():
        sealed = db.session.scalar(select(User.session_key_ciphertext))
        from wxauth.models import ApiSession

        session_id = db.session.scalar(select(ApiSession.id))
    assert sealed and sealed not in html
    assert session_id not in html and session_id[:12] not in html
    assert session.token not in html


def test_other_apps_of_the_same_person(signed_in_client, app):
    with app.app_context():
        one = factories.user(unionid="oSamePerson", nickname="在A")
        two = factories.user(unionid="oSamePerson", appid="wxsecondapp000001", nickname="在B")
    soup = signed_in_client.page("dashboard.user", user_id=one.id)
    links = [a["href"] for a in soup.select(".plain-list a")]
    assert signed_in_client.url("dashboard.user", user_id=two.id) in links


def test_history_on_the_user_page(signed_in_client, app):
    with app.app_context():
        user = factories.user(nickname="阿历")
        factories.login(user_id=user.id, openid=user.openid, outcome="success", upstream_ms=87, ip="10.1.2.3")
        factories.failure(user_id=user.id, kind="phone_encrypted", reason="bad_padding", session_key_age_s=3)
    soup = signed_in_client.page("dashboard.user", user_id=user.id)
    assert len(soup.select("#logins tbody tr")) == 1
    assert "87 ms" in soup.select_one("#logins tbody").get_text()
    failures = soup.select_one("#user-failures tbody").get_text()
    assert "Bad padding" in failures and "3 s" in failures


def test_user_page_escapes_every_user_value(signed_in_client, app):
    with app.app_context():
        user = factories.user(
            nickname="<img src=x onerror=alert(1)>",
            avatar_url="https://cdn.example.com/a.png?<b>x</b>",
            unionid="<u>union</u>",
        )
    soup = signed_in_client.page("dashboard.user", user_id=user.id)
    assert not soup.find("img") and not soup.find("u") and not soup.find("b")
    assert "<img src=x onerror=alert(1)>" in soup.select_one("h1").get_text()


def test_an_operator_deletes_an_account_deliberately_and_it_is_recorded(signed_in_client, api, app):
    from wxauth.models import AccountDeletion, AuditEvent

    person = api.login()
    user_id = person.user["id"]
    page = signed_in_client.page("dashboard.user", user_id=user_id)
    form = page.select_one(f"form[action$='/users/{user_id}/delete']")
    assert form is not None and form.get("data-confirm")  # the button asks first
    resp = signed_in_client.submit(page, signed_in_client.url("dashboard.delete_user", user_id=user_id))
    assert resp.status_code == 302
    assert api.get("/api/me", person).status_code == 401
    assert signed_in_client.response("dashboard.user", user_id=user_id).status_code == 404
    with app.app_context():
        deletion = db.session.scalar(select(AccountDeletion))
        assert (deletion.user_id, deletion.requested_by) == (user_id, "operator") and deletion.operator_id is not None
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account_delete"))
        assert audit.detail == f"user #{user_id} ({person.user['appid']})"
    listed = signed_in_client.page("dashboard.deletions")
    rows = [tr.get_text(" ", strip=True) for tr in listed.select("tbody tr")]
    assert len(rows) == 1 and f"#{user_id}" in rows[0] and "operator alice" in rows[0]


def test_a_forged_delete_without_csrf_deletes_nothing(signed_in_client, api):
    person = api.login()
    resp = signed_in_client.client.post(signed_in_client.url("dashboard.delete_user", user_id=person.user["id"]))
    assert resp.status_code == 400
    assert api.get("/api/me", person).status_code == 200
