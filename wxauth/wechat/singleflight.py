"""Collapse concurrent calls with the same key into one.

Concurrent callers with the same key wait for the first call and share its result (or its
exception); services.login uses it so that one login code opens one session.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class SingleFlight:
    """Calls in flight by key; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Hashable, Future] = {}

    def do(self, key: Hashable, fn: Callable[[], T]) -> T:
        """Run `fn` for `key`, or, if a call for `key` is already running, wait for it and
        share its result or exception.
        """
        with self._lock:
            waiting = self._calls.get(key)
            if waiting is None:
                future: Future[T] = Future()
                self._calls[key] = future
        if waiting is not None:
            return waiting.result()
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._calls[key]
