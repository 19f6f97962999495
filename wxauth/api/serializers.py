"""How our objects look in API responses."""

from __future__ import annotations

from datetime import datetime, timezone

from wxauth.models import User


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
