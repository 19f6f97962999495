"""gunicorn's threaded worker, with new connections shared out among the workers.

Every worker accepts from the one listening socket, and whichever is awake takes whatever is
queued on it. Clients that open their connections in a burst and keep them alive (nginx's
upstream pool, a load generator) can leave one worker holding all of them and the others
none, so half the machine sits idle for as long as those connections live
(docs/scaling.md, "Connections and workers").

This worker takes connections in steps of its thread count: each time it reaches a multiple
of `threads`, it stops accepting, so that a worker holding fewer takes the next ones. It
starts again when one of its connections closes, or after `PAUSE` seconds if none does
(every worker is as full: then it takes them itself). With one worker there is no one to
share with, and it behaves as gunicorn's own.
"""

from __future__ import annotations

import threading

from gunicorn.workers.gthread import ThreadWorker

PAUSE = 0.02


class SharingThreadWorker(ThreadWorker):
    """gthread with `accept` paused at each multiple of `threads` (module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._paused: list = []  # the listeners' selector keys while not accepting
        self._held = 0  # connections held when the pause began
        self._pauses = 0  # which pause a timer ends

    def accept(self, server, listener):
        before = self.nr_conns
        super().accept(server, listener)
        taken = self.nr_conns > before
        if taken and self.cfg.workers > 1 and self.nr_conns % self.cfg.threads == 0:
            self._pause()

    def finish_request(self, fs):
        super().finish_request(fs)
        self._resume_if_room()

    def murder_keepalived(self):
        super().murder_keepalived()
        self._resume_if_room()

    def _resume_if_room(self):
        # A connection this worker held has closed: it has room again, as before the pause.
        # Without this, clients that do not keep connections alive would be let in only
        # `threads` at a time per pause.
        if self._paused and self.nr_conns < self._held:
            self._resume(self._pauses)

    def _pause(self):
        with self._lock:
            if self._paused:
                return
            self._paused = [self.poller.unregister(sock) for sock in self.sockets]
            self._held = self.nr_conns
            self._pauses += 1
            pause = self._pauses
        # A timer rather than the main loop: that loop may wait a second in select().
        timer = threading.Timer(PAUSE, self._resume, args=(pause,))
        timer.daemon = True
        timer.start()

    def _resume(self, pause: int):
        with self._lock:
            if not self._paused or pause != self._pauses:
                return  # already resumed, or this timer's pause ended early
            keys, self._paused = self._paused, []
            if not self.alive:
                return
            try:
                for key in keys:
                    self.poller.register(key.fileobj, key.events, key.data)
            except (OSError, ValueError):
                # The worker closed its poller and sockets while this timer ran: it is stopping.
                if self.alive:
                    raise
