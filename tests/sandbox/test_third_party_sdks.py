"""wechatpy, a widely used Python WeChat SDK, against the sandbox over real HTTP, doing what
its users do: the access_token, code2Session, the phone-number exchange, and decrypting and
verifying the sandbox's data with wechatpy's own helpers. (The Node SDK: clients/miniprogram/
test/sdk.test.js.)

wechatpy's URLs are fixed to api.weixin.qq.com, so the test points it at the sandbox the way
a team would: a requests transport adapter on the SDK's own session that sends those URLs to
/_sandbox/wechat/ instead. Everything else is wechatpy's code, unchanged.
"""

from __future__ import annotations

import json

import pytest
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.utils import check_wxa_signature

from config import SANDBOX_APPID, SANDBOX_SECRET

WECHAT = "https://api.weixin.qq.com/"


class ToSandbox(HTTPAdapter):
    """Sends the requests an SDK addresses to WeChat to the sandbox at `base` instead."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):
        request.url = self.base + request.url[len(WECHAT) :]
        return super().send(request, **kwargs)


@pytest.fixture()
def wechatpy_client(live_url) -> WeChatClient:
    client = WeChatClient(SANDBOX_APPID, SANDBOX_SECRET)
    client._http.mount(WECHAT, ToSandbox(live_url + "/_sandbox/wechat/"))
    return client


def test_access_token(wechatpy_client, sandbox):
    fetched = wechatpy_client.fetch_access_token()
    assert fetched["access_token"] and fetched["expires_in"] == 7200
    assert wechatpy_client.access_token == fetched["access_token"]
    assert sandbox.stats()["token"] == 1  # cached by the SDK from then on
    wechatpy_client.access_token  # noqa: B018 - read again: no second fetch
    assert sandbox.stats()["token"] == 1


def test_code_to_session_and_its_errcodes(wechatpy_client, sandbox):
    user = sandbox.user(unionid="oUnionSdk")
    code, openid = sandbox.login_code(user["openid"])
    # wechatpy also sends its access_token with code2Session; WeChat ignores it, so does the sandbox.
    session = wechatpy_client.wxa.code_to_session(code)
    assert (session["openid"], session["unionid"]) == (openid, "oUnionSdk")
    assert len(session["session_key"]) == 24
    with pytest.raises(WeChatClientException) as reused:
        wechatpy_client.wxa.code_to_session(code)
    assert reused.value.errcode == 40163
    with pytest.raises(WeChatClientException) as bad:
        wechatpy_client.wxa.code_to_session("not-a-code")
    assert bad.value.errcode == 40029


def test_phone_number_exchange(wechatpy_client, sandbox):
    user = sandbox.user(phoneNumber="13912345678")
    code = sandbox.phone_code(user["openid"])
    # wechatpy has no wrapper for it; its users post it themselves, which sends the JSON as
    # bytes without a Content-Type.
    answer = wechatpy_client.post("wxa/business/getuserphonenumber", data={"code": code}, api_base_url=WECHAT)
    assert answer["phone_info"]["purePhoneNumber"] == "13912345678"
    assert answer["phone_info"]["watermark"]["appid"] == SANDBOX_APPID
    with pytest.raises(WeChatClientException) as used:
        wechatpy_client.post("wxa/business/getuserphonenumber", data={"code": code}, api_base_url=WECHAT)
    assert used.value.errcode == 40029


def test_decrypting_and_verifying_with_wechatpy_helpers(wechatpy_client, sandbox):
    user = sandbox.user(phoneNumber="13700001111")
    code, openid = sandbox.login_code(user["openid"])
    session_key = wechatpy_client.wxa.code_to_session(code)["session_key"]

    phone = sandbox.encrypted_phone(openid)
    decrypted = WeChatWxaCrypto(session_key, phone["iv"], SANDBOX_APPID).decrypt_message(phone["encryptedData"])
    assert decrypted["purePhoneNumber"] == "13700001111"

    info = sandbox.encrypted_userinfo(openid, nickName="SDK 用户")
    profile = WeChatWxaCrypto(session_key, info["iv"], SANDBOX_APPID).decrypt_message(info["encryptedData"])
    assert (profile["openId"], profile["nickName"]) == (openid, "SDK 用户")
    check_wxa_signature(session_key, info["rawData"], info["signature"])
    assert json.loads(info["rawData"])["nickName"] == "SDK 用户"
    with pytest.raises(InvalidSignatureException):
        check_wxa_signature(session_key, info["rawData"] + " ", info["signature"])
