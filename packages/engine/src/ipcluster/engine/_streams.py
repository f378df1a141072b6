"""stdout and stderr of user code: kept for the reply, and streamed live on iopub."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

# Publish once this much output is waiting, without waiting for the task to end.
PUBLISH_THRESHOLD = 4096


class OutStream(io.TextIOBase):
    """A text stream that records what a task prints and hands it to `publish`.

    `publish(name, text)` is called with the lock held, at most every
    PUBLISH_THRESHOLD characters, when `flush` is called, and when the task ends.
    """

    def __init__(self, name: str, publish: Callable[[str, str], None], lock: threading.Lock):
        self.name = name
        self._publish = publish
        self._lock = lock
        self._captured: list[str] = []
        self._pending: list[str] = []
        self._pending_size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._captured.append(text)
            self._pending.append(text)
            self._pending_size += len(text)
            if self._pending_size >= PUBLISH_THRESHOLD:
                self._publish_pending()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._publish_pending()

    def take(self) -> str:
        """Everything printed since the last take; publishes what is pending."""
        with self._lock:
            self._publish_pending()
            text = "".join(self._captured)
            self._captured.clear()
        return text

    def _publish_pending(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._pending_size = 0
            self._publish(self.name, text)
