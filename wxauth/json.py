"""The app's JSON provider: UTF-8 output, and deep nesting treated as bad JSON.

Python's parser raises RecursionError (not ValueError) on deeply nested input, which would
escape Flask's "bad JSON" handling as a 500; here it is an ordinary parse failure.
"""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider


class JSONProvider(DefaultJSONProvider):
    ensure_ascii = False  # nicknames are Chinese; send them as UTF-8, not \u escapes

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
