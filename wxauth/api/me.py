"""The signed-in user's own profile."""

from __future__ import annotations

from flask import g, jsonify

from wxauth import ratelimit
from wxauth.api import bp
from wxauth.api.helpers import json_body, token_required
from wxauth.api.serializers import personal_data_json, user_json
from wxauth.errors import invalid_request
from wxauth.services import account
from wxauth.services.profile import clean_avatar_url, clean_nickname, update_profile

EDITABLE = {"nickName", "avatarUrl"}


@bp.get("/me")
@token_required
def me_view():
    """The user, and the other mini-programs of this deployment the same person uses."""
    user = g.api_session.user
    linked = [{"appid": app.appid, "name": app.name} for app in account.linked_apps(user)]
    return jsonify(user=user_json(user), linkedApps=linked)


# wx.request cannot send PATCH (its methods are OPTIONS, GET, HEAD, POST, PUT, DELETE, TRACE
# and CONNECT), so a mini-program updates its profile with PUT; both change only the fields sent.
@bp.route("/me", methods=["PATCH", "PUT"])
@token_required
def update_me_view():
    body = json_body()
    unknown = set(body) - EDITABLE
    if unknown:
        raise invalid_request(f"Only nickName and avatarUrl can be changed, not {', '.join(sorted(unknown))}.")
    if not body:
        raise invalid_request("Send nickName and/or avatarUrl.")
    nickname = clean_nickname(body["nickName"]) if "nickName" in body else None
    avatar = clean_avatar_url(body["avatarUrl"]) if "avatarUrl" in body else None
    user = update_profile(g.api_session.user, nickname=nickname, avatar_url=avatar)
    return jsonify(user=user_json(user))


@bp.get("/me/export")
@token_required
@ratelimit.export_per_user
def export_view():
    """Everything stored about the person, as one JSON document (never a secret)."""
    return jsonify(personal_data_json(account.personal_data(g.api_session.user)))


@bp.delete("/me")
@token_required
def delete_me_view():
    """Delete the account: every session dies, the person's data is erased or anonymised."""
    account.delete_account(g.api_session.user_id)
    return jsonify(deleted=True)
