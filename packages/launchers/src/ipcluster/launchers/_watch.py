"""Which engines the hub has registered: how `ipcluster engines` knows its engines are up.

An engine's process being alive says nothing: with no controller it lives for
its whole registration timeout. The hub knows, and says so the way it tells a
client: one ConnectionRequest on its registration socket, answered with every
engine registered so far, then each change sent over the same socket.
"""

from __future__ import annotations

import socket
from pathlib import Path

import zmq

from ipcluster.protocol import (
    ConnectionFileError,
    Session,
    dial_curve,
    drain,
    header_pb2,
    read_connection_file,
    url,
)
from ipcluster.protocol import registry_pb2 as reg

MT = header_pb2.MsgType


class EngineWatch:
    """The engines (hostname, pid) that the hub of `engine_file` lists as registered.

    Made before engines are launched, it also tells how many joined since: engines started by a batch
    system or over ssh have pids we never see, so they are counted instead.
    """

    def __init__(self, engine_file: Path):
        self.engine_file = engine_file
        self.hostname = socket.gethostname()
        self.engines: set[tuple[str, int]] = set()
        self._socket: zmq.Socket | None = None
        self._session: Session | None = None
        # those already there when we first asked; with no controller yet, none were
        self._before: set[tuple[str, int]] | None = None if self._connect() else set()

    def poll(self) -> None:
        """Take in what the hub has said so far; never blocks (the caller does the waiting)."""
        if self._socket is None and not self._connect():
            return  # no connection file yet: the engines are waiting for it too
        assert self._socket is not None
        if self._socket.poll(0):
            drain(self._socket, self._receive, 100)

    def pids_here(self) -> set[int]:
        """The pids of this host's registered engines."""
        self.poll()
        return {pid for host, pid in self.engines if host == self.hostname}

    def joined(self) -> int:
        """How many engines registered since this watch was made."""
        self.poll()
        return 0 if self._before is None else len(self.engines - self._before)

    def _connect(self) -> bool:
        try:
            info = read_connection_file(self.engine_file, ports=("registration",))
        except ConnectionFileError:
            return False
        self._session = Session(info["key"].encode())
        self._socket = zmq.Context.instance().socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
        dial_curve(self._socket, info.get("curve"))
        self._socket.connect(url(info, "registration"))
        # queued until the hub is up, so one request is enough
        self._session.send(self._socket, self._session.header(MT.CONNECTION_REQUEST), reg.ConnectionRequest())
        return True

    def _receive(self, frames: list[zmq.Frame]) -> None:
        assert self._session is not None
        try:
            msg = self._session.unpack(frames)
            if msg.header.msg_type == MT.CONNECTION_REPLY:
                self._update(msg.content(reg.ConnectionReply).engines, joined=True)
            elif msg.header.msg_type == MT.ENGINE_EVENT:
                event = msg.content(reg.EngineEvent)
                self._update([event.engine], joined=event.kind == reg.EngineEvent.REGISTERED)
        except ValueError:
            return  # not from this hub: it cannot vouch for any engine

    def _update(self, engines, joined: bool) -> None:
        found = {(engine.hostname, engine.pid) for engine in engines}
        self.engines = self.engines | found if joined else self.engines - found
        if self._before is None:
            self._before = set(self.engines)  # the first reply: everything registered before our launch

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
