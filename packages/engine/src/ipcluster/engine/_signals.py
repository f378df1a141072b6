"""SIGTERM and SIGINT stop the engine, even while a task runs.

Stopping the loop alone is not enough: a task in ``time.sleep(3600)`` would
keep the engine alive long after its cluster was stopped or its parent died
(``PR_SET_PDEATHSIG`` sends SIGTERM). So a stop signal that arrives while user
code runs also raises `EngineStopped` in it; elsewhere it only stops the loop.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import NoReturn


class EngineStopped(BaseException):
    """Raised in the running task when the engine is told to stop.

    A BaseException, so user code's ``except Exception`` does not swallow it.
    """


class StopSignals:
    """The engine's SIGTERM/SIGINT handler; ``with signals:`` marks user code, which they interrupt.

    Engine code that user code calls and that must not be cut in half
    (publishing output: a multipart send) runs under `deferred()`, and is
    interrupted when it is done instead.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, stop: Callable[[], None]):
        self._stop = stop
        self._main = threading.main_thread()
        self._in_user_code = False
        self._deferring = False
        self.received: int | None = None

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._on_signal)

    def __enter__(self) -> None:
        self._in_user_code = True
        if self.received is not None:  # arrived while the task was being unpacked
            self._interrupt()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._in_user_code = False

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold a stop signal back until the block ends (main thread only: signals interrupt nothing else)."""
        if threading.current_thread() is not self._main or self._deferring:
            yield
            return
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self.received is not None and self._in_user_code:
            self._interrupt()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        self._stop()
        if self._in_user_code and not self._deferring:
            self._interrupt()

    def _interrupt(self) -> NoReturn:
        # leaving user code now: __exit__ may never run (the raise can come from inside __enter__), and a
        # flag left set would let a later signal cut engine code, such as a reply's send, in half
        self._in_user_code = False
        name = signal.Signals(self.received or signal.SIGTERM).name
        raise EngineStopped(f"{name} stopped the engine while this task ran")
