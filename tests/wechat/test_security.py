"""Secrets at rest (session_key, access_token): AES-GCM under a key derived from SECRET_KEY."""

from __future__ import annotations

import pytest

from wxauth.security import SealError, seal, unseal


def test_round_trip_and_fresh_nonce():
    a = seal("k" * 32, "session_key", "tiihtNczf5v6AKRyjwEUhQ==")
    b = seal("k" * 32, "session_key", "tiihtNczf5v6AKRyjwEUhQ==")
    assert a != b and "tiihtNczf5v6AKRyjwEUhQ" not in a
    assert unseal("k" * 32, "session_key", a) == "tiihtNczf5v6AKRyjwEUhQ=="


@pytest.mark.parametrize(
    ("secret", "purpose"),
    [("other-secret-key" * 2, "session_key"), ("k" * 32, "access_token")],
)
def test_wrong_key_or_purpose_fails(secret, purpose):
    sealed = seal("k" * 32, "session_key", "value")
    with pytest.raises(SealError):
        unseal(secret, purpose, sealed)


def test_tampering_fails():
    sealed = seal("k" * 32, "session_key", "value")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    for bad in (flipped, "v2." + sealed[3:], "v1.!!!", "v1.AAAA"):
        with pytest.raises(SealError):
            unseal("k" * 32, "session_key", bad)
