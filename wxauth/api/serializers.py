"""How our objects look in API responses."""

from __future__ import annotations

from datetime import datetime, timezone

from wxauth.models import User, utcnow


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def display_phone(country_code: str | None, pure: str | None) -> str | None:
    if not pure:
        return None
    return pure if country_code in (None, "86") else f"+{country_code}{pure}"


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "appid": user.appid,
        "openid": user.openid,
        "unionid": user.unionid,
        "nickName": user.nickname,
        "avatarUrl": user.avatar_url,
        "gender": user.gender,
        "phoneNumber": display_phone(user.phone_country_code, user.phone_number),
        "countryCode": user.phone_country_code,
        "createdAt": iso(user.created_at),
    }


def personal_data_json(data) -> dict:
    """GET /api/me/export's document (services.account.PersonalData): no secret in it."""
    user = data.user
    return {
        "exportedAt": iso(utcnow()),
        "user": {**user_json(user), "lastLoginAt": iso(user.last_login_at), "phoneBoundAt": iso(user.phone_bound_at)},
        "sessions": [
            {
                "createdAt": iso(s.created_at),
                "lastSeenAt": iso(s.last_seen_at),
                "expiresAt": iso(s.expires_at),
                "revokedAt": iso(s.revoked_at),
                "ip": s.ip,
                "userAgent": s.user_agent,
            }
            for s in data.sessions
        ],
        "logins": [
            {
                "createdAt": iso(e.created_at),
                "outcome": e.outcome,
                "isNewUser": e.is_new_user,
                "ip": e.ip,
                "userAgent": e.user_agent,
            }
            for e in data.logins
        ],
        "failures": [
            {
                "createdAt": iso(f.created_at),
                "kind": f.kind,
                "reason": f.reason,
                "wechatErrcode": f.wechat_errcode,
                "ip": f.ip,
                "userAgent": f.user_agent,
            }
            for f in data.failures
        ],
        "phoneBinds": [
            {"createdAt": iso(b.created_at), "method": b.method, "ip": b.ip, "userAgent": b.user_agent} for b in data.phone_binds
        ],
        # When an operator looked at the full number; not which operator.
        "phoneReveals": [{"createdAt": iso(r.created_at)} for r in data.phone_reveals],
    }
