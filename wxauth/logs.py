"""Logging setup. Secrets never reach a log line: nothing logs request bodies, query strings
of WeChat calls, tokens or session keys; a last-resort filter masks the obvious shapes."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Iterator

# Any parameter whose name ends in one of these (access_token, refresh_token, js_code,
# phoneCode, client_secret…), and credentials after an Authorization-like scheme.
_SECRET_PARAMS = re.compile(r"((?:secret|code|token|session_key|password|signature|authorization)=)[^&\s\"']+", re.IGNORECASE)
_SECRET_SCHEMES = re.compile(r"\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# C0 and C1 controls and Unicode line breaks: what lets a logged value start a forged line.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact(text: str) -> str:
    return _SECRET_SCHEMES.sub(r"\1***", _SECRET_PARAMS.sub(r"\1***", text))


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape, so it stays on its line."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


def redact_message(message: str) -> str:
    """A log message with secrets masked (RedactingFilter's work, for a line made without a record)."""
    lowered = message.lower()
    if "=" not in message and "bearer" not in lowered and "basic" not in lowered:
        return message  # neither a parameter nor a credential: the one request line most records are
    return redact(message)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_message(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class TextFormatter(logging.Formatter):
    """The plain-text format, with control characters in messages escaped (no forged lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class StderrHandler(logging.StreamHandler):
    """wxauth's own stderr handler: configure() finds it again instead of adding another.

    Within `lines_held()`, a thread's lines are kept and written in one write at its end:
    the request log's writer hands over its lines a batch at a time (wxauth/requestlog.py),
    and a write per line, each its own system call on a line-buffered stderr, was the
    largest part of what a line cost there.
    """

    wxauth = True

    def __init__(self) -> None:
        super().__init__()
        self._held = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        held = getattr(self._held, "lines", None)
        if held is None:
            super().emit(record)
            return
        try:
            held.append(self.format(record) + self.terminator)
        except Exception:  # noqa: BLE001 - as StreamHandler.emit: logging never raises into its caller
            self.handleError(record)

    def hold(self) -> None:
        self._held.lines = []

    def write_held(self) -> None:
        lines, self._held.lines = getattr(self._held, "lines", None), None
        if lines:
            self.write_text("".join(lines))

    def write_lines(self, lines: list[str]) -> None:
        """Lines formatted elsewhere (without their terminator), in one write."""
        if lines:
            self.write_text(self.terminator.join(lines) + self.terminator)

    def write_text(self, text: str) -> None:
        self.acquire()
        try:
            # A stream that fails loses these lines, as emit loses its one; never the writer thread.
            with contextlib.suppress(Exception):
                self.stream.write(text)
                self.flush()
        finally:
            self.release()


@contextlib.contextmanager
def lines_held() -> Iterator[None]:
    """Within, this thread's lines to wxauth's stderr handler are written in one write at the end."""
    handlers = [h for h in logging.getLogger("wxauth").handlers if isinstance(h, StderrHandler)]
    for handler in handlers:
        handler.hold()
    try:
        yield
    finally:
        for handler in handlers:
            handler.write_held()


def configure(level: str, log_format: str) -> None:
    """Send the wxauth loggers to stderr at `level`, as JSON lines or text, with secrets masked."""
    from wxauth.requestlog import JSONFormatter

    logger = logging.getLogger("wxauth")
    logger.setLevel(level)
    if not any(isinstance(h, StderrHandler) for h in logger.handlers):
        ours = StderrHandler()
        ours.addFilter(RedactingFilter())
        logger.addHandler(ours)
    formatter = JSONFormatter() if log_format == "json" else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logger.handlers:
        if isinstance(handler, StderrHandler):
            handler.setFormatter(formatter)
    # Loggers that print whole URLs: werkzeug's access log (the sandbox's WeChat endpoints
    # receive appid/secret/js_code in the query, as WeChat does) and urllib3 at DEBUG
    # (every outgoing request line, including code2Session's secret).
    for name in ("werkzeug", "urllib3.connectionpool"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
