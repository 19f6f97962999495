"""What an operator's password must be: long enough, and not one everybody tries first."""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"


class PasswordRefused(ValueError):
    """The password breaks a rule; `reason` is "too_short", "too_long" or "common"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if len(line.strip()) >= MIN_LENGTH)


def check(password: str) -> str:
    """`password` if it may be used; PasswordRefused otherwise."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused("too_short")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused("too_long")
    if password.strip().lower() in _common():
        raise PasswordRefused("common")
    return password
