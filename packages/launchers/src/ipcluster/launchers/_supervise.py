"""Waiting for a signal or a child's death, without polling in a busy loop.

The handlers only set a flag: a handler that takes a lock (as `threading.Event.set`
does) deadlocks when the signal lands while the main thread holds that lock.
The wake-up itself comes through `signal.set_wakeup_fd`, written by the
interpreter at C level.
"""

from __future__ import annotations

import os
import select
import signal


class Supervisor:
    """Wakes on SIGTERM, SIGINT or SIGCHLD; `stopping` tells whether it was a stop."""

    def __init__(self) -> None:
        self.stopping = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def install(self) -> None:
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # the wake-up fd does the work

    def _on_stop(self, *_: object) -> None:
        self.stopping = True

    def wait(self, timeout: float | None = None) -> None:
        """Return after a signal arrived, or after `timeout` seconds."""
        if not self.stopping:
            select.select([self._read], [], [], timeout)
        try:
            while os.read(self._read, 512):
                pass
        except BlockingIOError:
            pass
