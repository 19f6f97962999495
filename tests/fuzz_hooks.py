"""Schemathesis hooks for tests/test_fuzz.py, loaded through SCHEMATHESIS_HOOKS.

A generated code is one WeChat never issued, and generated ciphertext or a signature never
matches a session_key, so on their own every positive case of login and phone binding ends
at a rejection. Every other positive case therefore carries what the sandbox really issued
in place of the generated credentials (a code; rawData with its signature; encryptedData
with its iv), keeping the rest of the generated body, so the fuzzer also reaches what the
handlers do when the credentials are good. Negative cases are sent as generated.
"""

from __future__ import annotations

import itertools
import os

import requests
import schemathesis

SANDBOX_API = os.environ.get("WXAUTH_FUZZ_SANDBOX_API", "")
# The openid behind the run's Bearer token: phone codes and phone ciphertext are for them.
OPENID = os.environ.get("WXAUTH_FUZZ_OPENID", "")
_turn = itertools.count()


def _sandbox(path: str, body: dict) -> dict:
    resp = requests.post(f"{SANDBOX_API}/{path}", json=body, timeout=10)
    resp.raise_for_status()
    return resp.json()


def _replace(body: dict, issued: dict, *names: str) -> None:
    for name in names:
        if name in body:
            body[name] = issued[name]


def _login(body: dict) -> None:
    minted = _sandbox("login-code", {"appid": body["appid"]} if "appid" in body else {})
    body["code"] = minted["code"]
    if "rawData" in body or "encryptedData" in body:
        issued = _sandbox("encrypted-userinfo", {"openid": minted["openid"], "appid": minted["appid"]})
        _replace(body, issued, "rawData", "signature", "encryptedData", "iv")


def _phone(body: dict) -> None:
    if "code" in body:
        body["code"] = _sandbox("phone-code", {"openid": OPENID})["code"]
    else:
        _replace(body, _sandbox("encrypted-phone", {"openid": OPENID}), "encryptedData", "iv")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return
    substitute = {"POST /api/auth/login": _login, "POST /api/auth/phone": _phone}.get(case.operation.label)
    if substitute is not None and next(_turn) % 2 == 0:
        substitute(case.body)
