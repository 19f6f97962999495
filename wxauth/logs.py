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
    logger = logging.getLogger("wxauth")
    logger.setLevel(app.config["WXAUTH_LOG_LEVEL"])
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
    # werkzeug's access log prints full request lines; our API puts no secrets in URLs,
    # but the sandbox's WeChat endpoints receive appid/secret/js_code as WeChat does.
    logging.getLogger("werkzeug").addFilter(RedactingFilter())
