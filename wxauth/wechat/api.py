"""What the services call: WeChat's operations with our retry, token and sharing rules."""

from __future__ import annotations

import logging

from config import MiniApp
from wxauth.wechat.client import Code2Session, WeChatClient
from wxauth.wechat.errors import TOKEN_ERRCODES, WeChatError, WeChatUnavailable
from wxauth.wechat.tokens import AccessTokenCache

log = logging.getLogger("wxauth.wechat")

# checkSessionKey only refines a failure's reason: the answer must not wait long for it.
CHECK_SESSION_TIMEOUT = 2.0
INVALID_SIGNATURE = 87009


class WeChatAPI:
    """WeChat's operations as the services use them, over one client and one access_token
    cache.
    """

    def __init__(self, client: WeChatClient, tokens: AccessTokenCache):
        self.client = client
        self.tokens = tokens

    def code2session(self, app: MiniApp, code: str) -> Code2Session:
        """Exchange a wx.login code (never touches access_token); services.login shares one per code."""
        return self.client.code2session(app, code)

    def session_key_valid(self, app: MiniApp, openid: str, session_key: str) -> bool | None:
        """Whether WeChat still holds `session_key` as the user's key (checkSessionKey): True,
        False (87009), or None when WeChat could not say within CHECK_SESSION_TIMEOUT."""
        try:
            token = self.tokens.get(app)
            for attempt in (1, 2):
                try:
                    self.client.check_session_key(token, openid, session_key, timeout=CHECK_SESSION_TIMEOUT)
                    return True
                except WeChatError as exc:
                    if exc.errcode == INVALID_SIGNATURE:
                        return False
                    if exc.errcode not in TOKEN_ERRCODES or attempt == 2:
                        raise
                token = self.tokens.replace(app, token)
        except (WeChatError, WeChatUnavailable) as exc:
            log.warning("checksession for %s gave no answer (%s)", app.appid, exc)
        return None

    def phone_number(self, app: MiniApp, code: str) -> dict:
        """Exchange a getPhoneNumber code; on a rejected access_token, refresh once and replay once."""
        token = self.tokens.get(app)
        try:
            return self.client.get_phone_number(token, code)
        except WeChatError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            log.warning("access_token for %s rejected (errcode %s); refreshing once", app.appid, exc.errcode)
        token = self.tokens.replace(app, token)
        return self.client.get_phone_number(token, code)
