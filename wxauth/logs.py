"""Logging setup. Secrets never reach a log line: nothing logs request bodies, query strings
of WeChat calls, tokens or session keys; a last-resort filter masks the obvious shapes."""

from __future__ import annotations

import logging
import re

from flask import Flask

_SECRET_PARAMS = re.compile(r"((?:secret|js_code|access_token|session_key|code)=)[^&\s\"']+", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PARAMS.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(app: Flask) -> None:
    from wxauth.requestlog import JSONFormatter

    logger = logging.getLogger("wxauth")
    logger.setLevel(app.config["WXAUTH_LOG_LEVEL"])
    if not any(getattr(h, "wxauth", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.wxauth = True
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    formatter = (
        JSONFormatter()
        if app.config["WXAUTH_LOG_FORMAT"] == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    for handler in logger.handlers:
        if getattr(handler, "wxauth", False):
            handler.setFormatter(formatter)
    # Loggers that print whole URLs: werkzeug's access log (the sandbox's WeChat endpoints
    # receive appid/secret/js_code in the query, as WeChat does) and urllib3 at DEBUG
    # (every outgoing request line, including code2Session's secret).
    for name in ("werkzeug", "urllib3.connectionpool"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
