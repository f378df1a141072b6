"""The client's I/O thread: the one owner of every client socket.

zmq sockets must not be shared between threads, so user threads never touch
them: they queue frames here and wake the thread through an eventfd. Replies
are read here and handed to the client's callback, which resolves futures.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable

import zmq

from ipcluster.protocol import drain, send_frames

Receiver = Callable[[str, list[zmq.Frame]], None]
CrashHandler = Callable[[BaseException], None]


class IOThread(threading.Thread):
    def __init__(self, sockets: dict[str, zmq.Socket], receive: Receiver, on_crash: CrashHandler):
        super().__init__(name="ipcluster-client-io", daemon=True)
        self._sockets = sockets
        self._channel_of = {socket: name for name, socket in sockets.items()}
        self._receive = receive
        self._on_crash = on_crash
        self._outbox: deque[tuple[str, list]] = deque()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK)
        # guards the eventfd's closing: a write after it would land in whatever file reuses the number
        self._wake_lock = threading.Lock()
        self._wake_closed = False
        # True from a wake-up write until this thread starts emptying the outbox: later
        # senders skip the syscall, which would otherwise hand the GIL back and forth per message
        self._wake_pending = False
        self._stopping = False
        self._poller = zmq.Poller()
        self._poller.register(self._wake, zmq.POLLIN)
        for socket in sockets.values():
            if socket.type != zmq.PUB:
                self._poller.register(socket, zmq.POLLIN)

    def send(self, channel: str, frames: list) -> None:
        """Queue `frames` for `channel`'s socket; safe from any thread."""
        self._outbox.append((channel, frames))
        if not self._wake_pending:
            self._wake_pending = True
            self._wake_up()

    def stop(self) -> None:
        self._stopping = True
        self._wake_up()

    def _wake_up(self) -> None:
        with self._wake_lock:
            if self._wake_closed:
                raise RuntimeError("this client is closed; create a new Client")
            os.eventfd_write(self._wake, 1)

    def run(self) -> None:
        try:
            while not self._stopping:
                for socket, _ in self._poller.poll():
                    if socket == self._wake:
                        self._flush_outbox()
                    else:
                        self._drain(socket)
            self._flush_outbox()
        except BaseException as exc:  # a bug here must fail every waiter, not leave them hanging
            self._on_crash(exc)
            raise
        finally:
            for socket in self._sockets.values():
                socket.close(linger=100)
            with self._wake_lock:
                self._wake_closed = True
                os.close(self._wake)

    def _flush_outbox(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.eventfd_read(self._wake)
        self._wake_pending = False  # before draining: anything queued after this wakes us again
        while self._outbox:
            channel, frames = self._outbox.popleft()
            send_frames(self._sockets[channel], frames)

    def _drain(self, socket: zmq.Socket) -> None:
        channel = self._channel_of[socket]
        drain(socket, lambda frames: self._receive(channel, frames), 256)
