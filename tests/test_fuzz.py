"""Fuzzing: schemathesis against /api/openapi.json on a live server, and hypothesis on crypto."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from wxauth.wechat import crypto

EXAMPLES = int(os.environ.get("WXAUTH_FUZZ_EXAMPLES", "1000"))
# Checks we hold the API to. positive_data_acceptance is left out on purpose: a
# schema-valid login or phone code that WeChat does not know is still rejected (401/400),
# which is the contract, not a bug.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "ignored_auth",
    ]
)


def _schemathesis(url: str, token: str, *extra: str) -> tuple[int, str]:
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "run", url + "/api/openapi.json",
        "--checks", CHECKS, "--header", f"Authorization: Bearer {token}",
        "--no-shrink", "--seed", "20261122", "--workers", "2", "--request-timeout", "15", *extra,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def _generated(output: str) -> int:
    match = re.search(r"(\d+) generated", output)
    assert match, output[-3000:]
    return int(match.group(1))


@pytest.mark.slow
def test_schemathesis_finds_no_5xx_and_no_schema_violation(spawn_server, sandbox):
    server = spawn_server(threads=16)
    code, _ = sandbox.login_code()
    token = requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).json()["token"]

    status, out = _schemathesis(
        server.url, token, "--max-examples", str(EXAMPLES),
        "--exclude-operation-id", "logout", "--exclude-operation-id", "refreshToken",
    )
    assert status == 0, out[-6000:]
    first = _generated(out)

    # The token-ending operations last, with their own token: they revoke it.
    code, _ = sandbox.login_code()
    token = requests.post(server.url + "/api/auth/login", json={"code": code}, timeout=10).json()["token"]
    status, out = _schemathesis(
        server.url, token, "--max-examples", "50", "--include-operation-id", "logout", "--include-operation-id", "refreshToken"
    )
    assert status == 0, out[-6000:]
    total = first + _generated(out)
    print(f"schemathesis: {total} generated requests, no failures")
    assert total >= min(2000, EXAMPLES * 2)


KEY = "tiihtNczf5v6AKRyjwEUhQ=="
IV = "r7BXXKkLb8qrSNn05n0qiA=="
b64 = st.binary(max_size=96).map(lambda b: base64.b64encode(b).decode())
anything = st.one_of(st.text(max_size=80), b64, st.none(), st.integers(), st.binary(max_size=40))


@settings(max_examples=2000, deadline=None)
@given(key=st.one_of(anything, st.just(KEY)), data=anything, iv=st.one_of(anything, st.just(IV)))
def test_any_input_gives_a_classified_failure_never_an_exception(key, data, iv):
    try:
        result = crypto.decrypt(key, data, iv, "wx4f4bc4dec97d474b")
    except crypto.DecryptError as exc:
        assert exc.reason in crypto.REASONS
    else:
        assert result["watermark"]["appid"] == "wx4f4bc4dec97d474b"


@settings(max_examples=500, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=10), st.one_of(st.text(max_size=20), st.integers()), max_size=5))
def test_encrypt_decrypt_round_trip(payload):
    payload = {**payload, "watermark": {"appid": "wxA", "timestamp": 1}}
    assert crypto.decrypt(KEY, crypto.encrypt(KEY, IV, payload), IV, "wxA") == payload


@settings(max_examples=500, deadline=None)
@given(raw=st.text(max_size=200), key=st.text(max_size=30), sig=st.text(max_size=60))
def test_signature_check_never_raises(raw, key, sig):
    assert crypto.check_raw_data_signature(raw, key, sig) == (crypto.raw_data_signature(raw, key) == sig.strip().lower())
