"""HTTP client for WeChat's server API.

One pooled `requests.Session` per app, which settles where a call goes (its adapter's
connection pool, a proxy from the environment, the CA bundle); the call itself is sent on
that pool by urllib3, beneath requests, because requests' per-call work (preparing,
merging settings, building its Response) cost more than the rest of a login's exchange
with WeChat (docs/scaling.md). Every call is bounded in total time (retries
included); `-1` and 5xx answers and connection failures get one retry with a short
backoff, because WeChat did not process those requests. A read timeout is never retried:
WeChat may already have consumed the single-use code. Nothing here logs a query string,
since those carry the app secret and the user's codes.
"""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import logging
import time
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ProtocolError, ReadTimeoutError

from config import MiniApp
from wxauth.metrics import WECHAT_CALLS, WECHAT_SECONDS
from wxauth.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger("wxauth.wechat")

CONNECT_TIMEOUT = 3.0
RETRY_BACKOFF = 0.2


@dataclass(frozen=True)
class Code2Session:
    """What code2Session answered, and how long WeChat took (never printed with its
    session_key).
    """

    openid: str
    session_key: str
    unionid: str | None
    upstream_ms: int

    def __repr__(self) -> str:  # keep session_key out of any traceback or log
        return f"Code2Session(openid={self.openid!r}, unionid={self.unionid!r})"


@dataclass(frozen=True)
class AccessTokenResult:
    """A fresh access_token and its lifetime in seconds (never printed with the token)."""

    token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"AccessTokenResult(expires_in={self.expires_in})"


class WeChatClient:
    """HTTP to WeChat's server API (or the sandbox at `base_url`): pooled, bounded by
    `total_timeout`, never retried blindly; errors as WeChatError or WeChatUnavailable.
    """

    def __init__(self, base_url: str, total_timeout: float = 10.0, pool_size: int = 64):
        self.base_url = base_url
        self.total_timeout = total_timeout
        self.http = requests.Session()
        self.adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self.http.mount("https://", self.adapter)
        self.http.mount("http://", self.adapter)
        self.http.headers["User-Agent"] = "wxauth"
        # WeChat's answers carry no cookies we need; a cookie jar shared across threads is noise.
        self.http.cookies.set_policy(_NoCookies())
        self._routes: dict[str, _Route] = {}

    def base(self) -> str:
        """The API base, fixed when the app was built (never taken from a request)."""
        return self.base_url

    # -- the calls -------------------------------------------------------------------

    def code2session(self, app: MiniApp, code: str) -> Code2Session:
        """Exchange a wx.login code for the user's openid, session_key and unionid
        (jscode2session).
        """
        started = time.monotonic()
        data = self._call(
            "GET",
            "/sns/jscode2session",
            params={"appid": app.appid, "secret": app.secret, "js_code": code, "grant_type": "authorization_code"},
        )
        openid = data.get("openid")
        session_key = data.get("session_key")
        unionid = data.get("unionid")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) or not session_key:
            raise WeChatUnavailable("answer without openid/session_key", "/sns/jscode2session", status=502)
        return Code2Session(
            openid=openid,
            session_key=session_key,
            unionid=unionid if isinstance(unionid, str) and unionid else None,
            upstream_ms=int((time.monotonic() - started) * 1000),
        )

    def stable_token(self, app: MiniApp, *, force_refresh: bool = False) -> AccessTokenResult:
        """Fetch an access_token from /cgi-bin/stable_token, which stays valid across
        fetches unless `force_refresh`.
        """
        data = self._call(
            "POST",
            "/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": app.appid, "secret": app.secret, "force_refresh": force_refresh},
        )
        return _token_result(data, "/cgi-bin/stable_token")

    def classic_token(self, app: MiniApp) -> AccessTokenResult:
        """Fetch an access_token from /cgi-bin/token, which invalidates the previous one."""
        data = self._call(
            "GET",
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": app.appid, "secret": app.secret},
        )
        return _token_result(data, "/cgi-bin/token")

    def get_phone_number(self, access_token: str, code: str) -> dict:
        """Exchange a getPhoneNumber code for the user's phone_info (getuserphonenumber)."""
        data = self._call(
            "POST",
            "/wxa/business/getuserphonenumber",
            params={"access_token": access_token},
            json={"code": code},
        )
        info = data.get("phone_info")
        if not isinstance(info, dict):
            raise WeChatUnavailable("answer without phone_info", "/wxa/business/getuserphonenumber", status=502)
        return info

    def check_session_key(self, access_token: str, openid: str, session_key: str, *, timeout: float) -> None:
        """checkSessionKey (/wxa/checksession): returns when WeChat holds `session_key` as the
        user's current key; WeChatError 87009 when it does not. At most `timeout` seconds."""
        signature = hmac.new(session_key.encode(), b"", hashlib.sha256).hexdigest()
        params = {"access_token": access_token, "openid": openid, "signature": signature, "sig_method": "hmac_sha256"}
        self._call("GET", "/wxa/checksession", params=params, timeout=timeout)

    # -- transport -------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None, timeout: float | None = None
    ) -> dict:
        started = time.monotonic()
        result = "0"
        try:
            return self._attempts(method, path, params=params, json=json, total=timeout or self.total_timeout)
        except WeChatError as exc:
            result = str(exc.errcode)
            raise
        except WeChatUnavailable as exc:
            result = exc.reason if exc.http_status is None else f"http_{exc.http_status}"
            raise
        finally:
            WECHAT_CALLS.labels(path, result).inc()
            WECHAT_SECONDS.labels(path).observe(time.monotonic() - started)

    def _attempts(self, method: str, path: str, *, params: dict | None, json: Any, total: float) -> dict:
        deadline = time.monotonic() + total
        for attempt in (1, 2):
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise WeChatUnavailable("timed out", path)
            started = time.monotonic()
            try:
                status, body = self._send(method, path, params, json, min(CONNECT_TIMEOUT, remaining), remaining)
            except NewConnectionError:  # refused, unreachable, unresolvable: never sent
                retryable, reason = True, "connection failed"
            except ConnectTimeoutError:
                retryable, reason = True, "connect timeout"
            except ReadTimeoutError:
                log.warning("wechat %s: read timeout after %.0f ms", path, (time.monotonic() - started) * 1000)
                raise WeChatUnavailable("timed out", path) from None
            except ProtocolError:
                # A reset after the request was sent may have consumed the code: not retried.
                retryable, reason = False, "connection reset"
            except HTTPError as exc:
                # urllib3's messages may contain the URL with its query string.
                log.warning("wechat %s: %s", path, type(exc).__name__)
                raise WeChatUnavailable("request failed", path) from None
            else:
                elapsed = (time.monotonic() - started) * 1000
                if status >= 500:
                    log.warning("wechat %s: HTTP %s in %.0f ms (attempt %d)", path, status, elapsed, attempt)
                    if attempt == 1 and self._backoff(deadline):
                        continue
                    raise WeChatUnavailable(f"HTTP {status}", path, http_status=status)
                data = _parse(status, body, path)
                errcode = _errcode(data)
                if errcode == 0:
                    log.debug("wechat %s: ok in %.0f ms", path, elapsed)  # the request log line has the timing
                    return data
                log.warning("wechat %s: errcode %s in %.0f ms (attempt %d)", path, errcode, elapsed, attempt)
                if errcode == -1 and attempt == 1 and self._backoff(deadline):
                    continue
                raise WeChatError(errcode, str(data.get("errmsg", ""))[:200], path)
            log.warning("wechat %s: %s (attempt %d)", path, reason, attempt)
            if retryable and attempt == 1 and self._backoff(deadline):
                continue
            raise WeChatUnavailable(reason, path)
        raise AssertionError("unreachable")

    def _send(
        self, method: str, path: str, params: dict | None, json: Any, connect_timeout: float, read_timeout: float
    ) -> tuple[int, bytes]:
        """One HTTP exchange on the pool requests chose for the API base: (status, body), or urllib3's error."""
        base = self.base()
        route = self._routes.get(base) or self._route(base)
        target = route.prefix + path
        if params:
            target += "?" + urlencode(params)
        headers = dict(route.headers)
        body = None
        if json is not None:
            body = jsonlib.dumps(json, allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        pool = cast(
            urllib3.HTTPConnectionPool,
            self.adapter.get_connection_with_tls_context(route.request, route.verify, proxies=route.proxies),
        )
        resp = pool.urlopen(
            method,
            target,
            body=body,
            headers=headers,
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            preload_content=True,
        )
        return resp.status, resp.data

    def _route(self, base_url: str) -> _Route:
        # What requests decides for every call to this base, decided once: the proxy and
        # CA bundle from the environment (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE…), the headers.
        settings = self.http.merge_environment_settings(base_url, {}, None, None, None)
        proxies = dict(settings["proxies"])
        headers = {"User-Agent": str(self.http.headers["User-Agent"]), "Accept": "application/json"}
        proxy = requests.utils.select_proxy(base_url, proxies) or ""
        proxied_http = bool(proxy) and urlsplit(base_url).scheme == "http" and not proxy.lower().startswith("socks")
        if proxied_http:
            headers.update(self.adapter.proxy_headers(proxy))
        route = _Route(
            request=requests.Request("GET", base_url).prepare(),
            verify=settings["verify"],
            proxies=proxies,
            # An HTTP proxy is sent the whole URL; a server (or a CONNECT tunnel) its path.
            prefix=base_url if proxied_http else urlsplit(base_url).path,
            headers=headers,
        )
        self._routes[base_url] = route
        return route

    @staticmethod
    def _backoff(deadline: float) -> bool:
        if deadline - time.monotonic() <= RETRY_BACKOFF + 0.5:
            return False
        time.sleep(RETRY_BACKOFF)
        return True


def _parse(status: int, body: bytes, path: str) -> dict:
    if status != 200:
        raise WeChatUnavailable(f"HTTP {status}", path, status=502, http_status=status)
    try:
        data = jsonlib.loads(body)
    except ValueError:
        log.warning("wechat %s: answer is not JSON (%d bytes)", path, len(body))
        raise WeChatUnavailable("answer is not JSON", path, status=502) from None
    if not isinstance(data, dict):
        raise WeChatUnavailable("answer is not a JSON object", path, status=502)
    return data


def _errcode(data: dict) -> int:
    value = data.get("errcode", 0)
    if value is None:
        return 0
    if isinstance(value, bool):
        return -1
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _token_result(data: dict, path: str) -> AccessTokenResult:
    token = data.get("access_token")
    expires_in = data.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int) or isinstance(expires_in, bool):
        raise WeChatUnavailable("answer without access_token/expires_in", path, status=502)
    return AccessTokenResult(token, expires_in)


@dataclass(frozen=True)
class _Route:
    request: requests.PreparedRequest
    verify: Any
    proxies: dict
    prefix: str
    headers: dict


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False
