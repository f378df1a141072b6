"""Waiting for a signal or a child's death, without polling in a busy loop."""

from __future__ import annotations

import signal
import threading


class Supervisor:
    """Wakes on SIGTERM, SIGINT or SIGCHLD; `stopping` tells which kind it was."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self.stopping = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGCHLD, lambda *_: self._wake.set())

    def _on_stop(self, *_: object) -> None:
        self.stopping = True
        self._wake.set()

    def wait(self, timeout: float | None = None) -> None:
        self._wake.wait(timeout)
        self._wake.clear()
