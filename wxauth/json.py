"""JSON for the app: the responses' provider, and the one encoder the JSON log lines share.

Output is UTF-8 (nicknames are Chinese: no \\u escapes) and compact, written by orjson,
which encodes an API answer or a log line in a fraction of the stdlib's time
(docs/scaling.md). What orjson refuses (an integer beyond 64 bits, a lone surrogate,
a key that is not a string) or cannot write (indentation) goes to the stdlib encoder,
so the output never differs from what `json.dumps` would write, but for its spacing.

Parsing stays with the stdlib, whose RecursionError on deeply nested input would escape
Flask's "bad JSON" handling as a 500; here it is an ordinary parse failure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_SORTED = orjson.OPT_SORT_KEYS
# Dates and dataclasses go to the caller's `default`, as the stdlib encoder would send them.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(obj: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None) -> str:
    """`obj` as compact UTF-8 JSON, like json.dumps(obj, ensure_ascii=False, separators=(",", ":"))."""
    try:
        return orjson.dumps(obj, default=default, option=_PASSTHROUGH | (_SORTED if sort_keys else 0)).decode()
    except TypeError:  # orjson.JSONEncodeError: what only the stdlib writes, or raises on
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys, default=default)


class JSONProvider(DefaultJSONProvider):
    ensure_ascii = False

    def dumps(self, obj, **kwargs):
        if not kwargs or kwargs == {"separators": (",", ":")}:  # jsonify out of debug mode
            return dumps(obj, sort_keys=self.sort_keys, default=self.default)
        return super().dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
