"""A small poll loop for the service processes.

Hub, schedulers, heart monitor and engines each own a few sockets and a few
timers. A plain `zmq.Poller` that drains every ready socket without blocking
costs less per message than an asyncio loop, which is the point on the hot path.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import os
import signal
import time
from collections.abc import Callable

import zmq

from ipcluster.protocol._frames import readable, recv_frames

Handler = Callable[[list[zmq.Frame]], None]
# Messages taken from one socket before the others get a turn.
DRAIN_BATCH = 256


class Loop:
    def __init__(self) -> None:
        self._poller = zmq.Poller()
        self._handlers: dict[zmq.Socket, Handler] = {}
        self._priority: list[zmq.Socket] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._poller.register(self._wake_read, zmq.POLLIN)
        self._from_threads: collections.deque[Callable[[], None]] = collections.deque()
        self._stopped = False

    def add_reader(self, socket: zmq.Socket, handler: Handler, *, priority: bool = False) -> None:
        """Call `handler(frames)` for each message that arrives on `socket`.

        A `priority` reader's waiting messages are handled before the next
        message of any other reader (an engine's control queue goes before its
        queued work), at the cost of one EVENTS check per other message.
        """
        self._handlers[socket] = handler
        self._poller.register(socket, zmq.POLLIN)
        if priority:
            self._priority.append(socket)

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._sequence), callback))

    def call_every(self, period: float, callback: Callable[[], None]) -> None:
        def tick() -> None:
            self.call_later(period, tick)
            callback()

        self.call_later(period, tick)

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run `callback` on the loop's thread: how another thread (gRPC's) acts on what the loop owns."""
        self._from_threads.append(callback)  # deque appends and pops are atomic
        with contextlib.suppress(BlockingIOError):  # a full pipe already holds a wake-up
            os.write(self._wake_write, b"x")

    def stop(self) -> None:
        """Stop the loop, even one not running yet; safe from signal handlers and other threads."""
        self._stopped = True
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"x")

    def stop_on_signals(self, *signums: int) -> None:
        for signum in signums or (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())

    def run(self) -> None:
        while not self._stopped:
            events = self._poller.poll(self._next_timeout_ms())
            for socket, _ in events:
                if self._stopped:
                    return
                if socket == self._wake_read:
                    self._drain_wakeups()
                else:
                    self._drain(socket)
            self._run_due_timers()

    def _drain(self, socket: zmq.Socket) -> None:
        """Up to DRAIN_BATCH messages; stops early once the loop is stopped, priority readers first.

        Readiness is checked before each receive: a priority socket polled as
        ready may have been emptied while another socket was drained.
        """
        handler = self._handlers[socket]
        serve_priority = bool(self._priority) and socket not in self._priority
        for _ in range(DRAIN_BATCH):
            if serve_priority:
                self._serve_priority()
            if self._stopped or not readable(socket):
                return
            handler(recv_frames(socket))

    def _serve_priority(self) -> None:
        for socket in self._priority:
            handler = self._handlers[socket]
            for _ in range(DRAIN_BATCH):
                if self._stopped or not readable(socket):
                    break
                handler(recv_frames(socket))

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass
        while self._from_threads:
            self._from_threads.popleft()()

    def _next_timeout_ms(self) -> int | None:
        if not self._timers:
            return None
        return max(0, int((self._timers[0][0] - time.monotonic()) * 1000) + 1)

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback = heapq.heappop(self._timers)
            callback()

    def close(self) -> None:
        os.close(self._wake_read)
        os.close(self._wake_write)
