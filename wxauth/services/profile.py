"""The avatar/nickname fill-in that replaced wx.getUserProfile."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from wxauth import settings
from wxauth.errors import invalid_request
from wxauth.extensions import db
from wxauth.models import User
from wxauth.webhooks import outbox

NICKNAME_MAX = 64
AVATAR_URL_MAX = 512
# What WeChat hands out instead of a real profile since 2022-11 (shared reference §7).
ANONYMOUS_NICKNAMES = frozenset({"微信用户"})
_PLACEHOLDER_AVATARS = (
    "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/",
    "https://mmbiz.qpic.cn/mmbiz/icTdbqWNOwNRna42FI242Lcia07jQodd2FJGIYQfG0LAJGFxM4FbnQP6yfMxBgJ0F3YRqJCJ1aPAK2dQagdusBZg/",
)


# ASCII that RFC 3986 never allows unencoded in a URL.
_NOT_IN_URLS = frozenset('"<>\\^`{|}')
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*|[0-9a-f:.]+")


def is_placeholder_avatar(url: str) -> bool:
    """Whether `url` is WeChat's grey default avatar (what anonymous profiles carry)."""
    return url.startswith(_PLACEHOLDER_AVATARS)


def normalize_gender(value) -> int:
    """WeChat's gender code (0 unknown, 1 male, 2 female); anything else is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1, 2) else 0


def clean_nickname(value) -> str:
    """A nickname as stored: NFC-normalised and trimmed; invalid_request if blank, too long,
    or holding control characters or lone surrogates.
    """
    if not isinstance(value, str):
        raise invalid_request("nickName must be a string.")
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise invalid_request("nickName must not be blank.")
    if len(value) > NICKNAME_MAX:
        raise invalid_request(f"nickName must be at most {NICKNAME_MAX} characters.")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise invalid_request("nickName is not valid Unicode (it holds a lone surrogate).")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise invalid_request("nickName must not contain control characters.")
    return value


def clean_avatar_url(value) -> str:
    """An avatar URL as stored: an absolute https URL (http too in sandbox mode) in ASCII
    with a valid host; invalid_request otherwise.
    """
    if not isinstance(value, str):
        raise invalid_request("avatarUrl must be a string.")
    value = value.strip()
    if len(value) > AVATAR_URL_MAX:
        raise invalid_request(f"avatarUrl must be at most {AVATAR_URL_MAX} characters.")
    allowed = ("https", "http") if settings.current().sandbox else ("https",)
    if not value.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise invalid_request("avatarUrl must be a URL in ASCII (percent-encode other characters).")
    if any(ch in _NOT_IN_URLS for ch in value):
        raise invalid_request("avatarUrl is not a valid URL (percent-encode quotes, brackets and the like).")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise invalid_request("avatarUrl is not a valid URL.") from None
    if parts.scheme not in allowed or not parts.hostname or not _HOST.fullmatch(parts.hostname):
        raise invalid_request(f"avatarUrl must be an absolute {' or '.join(allowed)} URL.")
    return value


def update_profile(user: User, *, nickname: str | None, avatar_url: str | None) -> User:
    """Set the fields given (None leaves one as it is) and commit; the values must be
    cleaned already.
    """
    if nickname is not None:
        user.nickname = nickname
    if avatar_url is not None:
        user.avatar_url = avatar_url
    db.session.add(user)
    db.session.flush()
    outbox.user_event("user.profile_updated", user)
    db.session.commit()
    return user
