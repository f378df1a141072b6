"""The control queue while a long task runs: aborts and interrupts reach the task, not the end of the queue.

Between tasks the engine's loop reads the control queue itself, before any
work. Once a task has run for `GRACE` seconds, this thread reads it instead,
under a lock the main thread takes back as soon as the task ends, so the
socket is never used by two threads at once. What it reads is acted on at
once when it concerns the running task, and handed to the main thread, which
answers every request as usual.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import deque
from collections.abc import Callable

import zmq

from ipcluster.engine._signals import StopSignals, TaskAborted
from ipcluster.protocol import Message, Session, header_pb2
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType
GRACE = 0.1  # seconds a task runs before this thread watches the control queue for it
POLL_MS = 20
ABORTED_MEMORY = 10000  # aborted msg_ids remembered, for tasks still queued at this engine


class AbortedTasks:
    """msg_ids clients aborted, the oldest forgotten first; safe to fill from the watch thread."""

    def __init__(self, size: int = ABORTED_MEMORY):
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size

    def add(self, msg_ids: list[str]) -> None:
        for msg_id in msg_ids:
            if msg_id not in self._ids:
                self._ids.add(msg_id)
                self._order.append(msg_id)
        while len(self._order) > self._size:
            self._ids.discard(self._order.popleft())

    def __contains__(self, msg_id: str) -> bool:
        return msg_id in self._ids


# requests the watch thread answers itself; the others (clear, shutdown) wait for the task to end
ANSWERED_AT_ONCE = (work.ControlRequest.ABORT, work.ControlRequest.INTERRUPT, work.ControlRequest.SIGNAL)
Answer = Callable[[Message, "str | None"], None]


def act_on_running_task(request: work.ControlRequest, signals: StopSignals, aborted: AbortedTasks) -> str | None:
    """Do what an ABORT, INTERRUPT or SIGNAL request asks; returns what went wrong, or None."""
    task = signals.task  # read once: the task may end meanwhile
    if request.action == work.ControlRequest.ABORT:
        aborted.add(list(request.msg_ids))
        if task in request.msg_ids:
            signals.interrupt_task(task, TaskAborted("aborted by a client while it ran"))
    elif request.action == work.ControlRequest.INTERRUPT:
        signals.interrupt_task(task, KeyboardInterrupt("interrupted by a client"))
    elif request.action == work.ControlRequest.SIGNAL:
        try:
            os.kill(os.getpid(), signal.Signals(request.signum))
        except (ValueError, OSError) as exc:
            return f"cannot send signal {request.signum} to the engine: {exc}"
    return None


class ControlWatch:
    def __init__(self, socket: zmq.Socket, session: Session, signals: StopSignals, aborted: AbortedTasks,
                 answer: Answer, log):
        self.socket = socket
        self.session = session
        self.signals = signals
        self.aborted = aborted
        self.answer = answer
        self.log = log
        self.lock = threading.Lock()
        self.handed_over: deque[Message] = deque()  # requests for the main thread, once the task has ended
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="control-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)

    def take_back(self) -> None:
        """Main thread, once its task's code has ended: wait until this thread has let go of the socket."""
        with self.lock:
            pass

    def _run(self) -> None:
        previous = ""
        while not self._stopped.wait(GRACE):
            task = self.signals.task
            if task and task == previous:  # the same task for a whole GRACE: a long one
                try:
                    self._watch(task)
                except Exception:  # this thread must outlive any one request
                    self.log.exception("control watch failed; it carries on")
            previous = task

    def _watch(self, task: str) -> None:
        with self.lock:
            while self.signals.task == task and not self._stopped.is_set():
                if self.socket.poll(POLL_MS):
                    self._read(self.socket.recv_multipart(copy=False))

    def _read(self, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
            request = msg.content(work.ControlRequest) if msg.header.msg_type == MT.CONTROL_REQUEST else None
        except ValueError:
            return  # the main thread would drop it too
        if request is not None and request.action in ANSWERED_AT_ONCE:
            self.answer(msg, act_on_running_task(request, self.signals, self.aborted))
        else:
            self.handed_over.append(msg)
