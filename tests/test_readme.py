"""The README's curl walk-through runs as it is, against a live sandbox server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _block(heading: str) -> str:
    text = README.read_text()
    section = text[text.index(heading) :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_walk_through_runs_as_pasted(live_url, tmp_path):
    script = _block("## Try the API with curl (sandbox)")
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "B": live_url},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert '"isNewUser":true' in out
    assert out.count('"purePhoneNumber":"13912345678"') == 2  # bound the new way, then the legacy way
    assert '"nickName":"小明"' in out and '{"ok":true}' in out
    assert out.rstrip().endswith('"error":"invalid_token","message":"The token is missing, invalid, expired or revoked."}')
    assert list(tmp_path.iterdir()) == []  # it writes no file into the directory it runs in


def test_every_api_error_code_is_in_the_readme():
    from wxauth.api.openapi import ERROR_CODES

    table = README.read_text().split("Every error, including", 1)[1].split("\n\n", 2)[1]
    missing = [code for code in ERROR_CODES if f"`{code}`" not in table]
    assert missing == []


def _section(heading: str) -> str:
    text = README.read_text()
    start = text.index(heading)
    return text[start : text.index("\n## ", start + 1)]


def _blocks(heading: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(heading), re.S)


SERVICES = "## Using wxauth from your other services"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_service_walk_through_runs_as_pasted(live_url, app_env):
    import sys

    script = [b for b in _blocks(SERVICES, "sh") if "introspect" in b and "B=" in b][0]
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={**app_env, "PATH": os.environ["PATH"], "B": live_url, "FLASK": f"{sys.executable} -m flask"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert '"active":true' in lines[0] and '"token_type":"access_token"' in lines[0]
    assert lines[1] == '{"active":false}'
    assert lines[-1].endswith("Z")  # the refreshed token's expiry


def _signed(secret: str, body: bytes, age: int = 0) -> str:
    import time

    from wxauth.webhooks import signing

    return signing.signature(secret, body, int(time.time()) - age)


def test_the_python_receiver_in_the_readme_verifies_wxauths_signature():
    (code,) = [b for b in _blocks(SERVICES, "python") if "verify_wxauth" in b]
    namespace: dict = {}
    exec(compile(code, "README receiver", "exec"), namespace)  # noqa: S102 - the README's own code
    verify = namespace["verify_wxauth"]
    body, secret = b'{"id":"evt_1","type":"user.created"}', "whsec_test"
    assert verify(secret, body, _signed(secret, body))
    assert not verify(secret, body + b" ", _signed(secret, body))
    assert not verify("whsec_other", body, _signed(secret, body))
    assert not verify(secret, body, _signed(secret, body, age=301))  # older than five minutes
    assert not verify(secret, body, "garbage")


def test_the_node_receiver_in_the_readme_verifies_wxauths_signature(tmp_path):
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing in CI")
        pytest.skip("node is not installed")
    (code,) = [b for b in _blocks(SERVICES, "js") if "verifyWxauth" in b]
    body, secret = '{"id":"evt_1","type":"user.created"}', "whsec_test"
    cases = [
        (secret, body, _signed(secret, body.encode()), True),
        (secret, body + " ", _signed(secret, body.encode()), False),
        ("whsec_other", body, _signed(secret, body.encode()), False),
        (secret, body, _signed(secret, body.encode(), age=301), False),
        (secret, body, "garbage", False),
    ]
    import json

    harness = tmp_path / "receiver.js"
    harness.write_text(
        code
        + "\nconst cases = JSON.parse(process.argv[2])\n"
        + "console.log(JSON.stringify(cases.map(([s, b, h]) => verifyWxauth(s, Buffer.from(b), h))))\n"
    )
    proc = subprocess.run([node, str(harness), json.dumps(cases)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [expected for *_, expected in cases]
