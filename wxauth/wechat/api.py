"""What the services call: WeChat's operations with our retry, token and sharing rules."""

from __future__ import annotations

import logging

from config import MiniApp
from wxauth.wechat.client import Code2Session, WeChatClient
from wxauth.wechat.errors import TOKEN_ERRCODES, WeChatError
from wxauth.wechat.tokens import AccessTokenCache

log = logging.getLogger("wxauth.wechat")


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
