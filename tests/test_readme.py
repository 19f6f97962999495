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
