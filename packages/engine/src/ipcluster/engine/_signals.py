"""What may interrupt user code: stop signals, a task's time limit, an abort or an interrupt.

SIGTERM and SIGINT stop the engine, even while a task runs. Stopping the loop
alone is not enough: a task in ``time.sleep(3600)`` would keep the engine alive
long after its cluster was stopped or its parent died (``PR_SET_PDEATHSIG``
sends SIGTERM). So a stop signal that arrives while user code runs also raises
`EngineStopped` in it; elsewhere it only stops the loop.

One task can also be interrupted on its own, the engine carrying on: SIGALRM
raises the task's pending error in it, `TaskTimeout` when its time limit
(an interval timer) runs out, or what another thread asked for with
`interrupt_task` (`TaskAborted`, `KeyboardInterrupt`). A real signal, so a
task blocked in a system call (a sleep, a read) is woken too.
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


class TaskTimeout(BaseException):
    """The task ran longer than its time limit."""


class TaskAborted(BaseException):
    """The task was aborted by a client."""


class StopSignals:
    """The engine's signal handlers; ``with signals:`` marks user code, which they interrupt.

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
        self.task = ""  # the msg_id of the task whose code runs (or is about to)
        self._time_limit = 0.0
        # (msg_id, error) asked for by another thread; raised only in that task
        self._pending: tuple[str, BaseException] | None = None

    def install(self) -> None:
        for signum in self.SIGNALS:
            signal.signal(signum, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_alarm)

    def __enter__(self) -> None:
        self._in_user_code = True
        if self.received is not None or self._pending is not None:  # arrived while the task was being unpacked
            self._interrupt()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._in_user_code = False

    @contextlib.contextmanager
    def running(self, msg_id: str, time_limit: float = 0.0) -> Iterator[None]:
        """Run a task's user code: interruptible by stop signals, by its time limit, and by `interrupt_task`."""
        self._pending = None  # whatever was meant for an earlier task
        if signal.getsignal(signal.SIGALRM) != self._on_alarm:  # an earlier task's code replaced it
            signal.signal(signal.SIGALRM, self._on_alarm)
        self.task, self._time_limit = msg_id, time_limit
        if time_limit > 0:
            signal.setitimer(signal.ITIMER_REAL, time_limit)
        try:
            with self:
                yield
        finally:
            if time_limit > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)
            self.task = ""
            self._pending = None

    def interrupt_task(self, msg_id: str, error: BaseException) -> None:
        """From any thread: raise `error` in task `msg_id` if it is the one running; otherwise nothing happens."""
        if not msg_id or self.task != msg_id:
            return
        self._pending = (msg_id, error)
        signal.pthread_kill(self._main.ident or 0, signal.SIGALRM)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold a signal back until the block ends (main thread only: signals interrupt nothing else)."""
        if threading.current_thread() is not self._main or self._deferring:
            yield
            return
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._in_user_code and (self.received is not None or self._pending is not None):
            self._interrupt()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        self._stop()
        if self._in_user_code and not self._deferring:
            self._interrupt()

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        stale = self._pending is not None and self._pending[0] != self.task
        if (self._pending is None or stale) and self.task and self._time_limit > 0:
            self._pending = (self.task, TaskTimeout(f"the task ran longer than its time limit of "
                                                    f"{self._time_limit:g} s"))
        if self._in_user_code and not self._deferring:
            self._interrupt()

    def _interrupt(self) -> None:
        """Raise what is pending in the running task: a stop first, then an error meant for this very task."""
        pending, self._pending = self._pending, None
        # leaving user code when raising: __exit__ may never run (the raise can come from inside __enter__), and
        # a flag left set would let a later signal cut engine code, such as a reply's send, in half
        if self.received is not None:
            self._in_user_code = False
            self._raise_stop()
        if pending is None or pending[0] != self.task:
            return  # meant for a task that has finished
        self._in_user_code = False
        raise pending[1]

    def _raise_stop(self) -> NoReturn:
        name = signal.Signals(self.received or signal.SIGTERM).name
        raise EngineStopped(f"{name} stopped the engine while this task ran")
