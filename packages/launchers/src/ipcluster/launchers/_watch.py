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

from ipcluster.protocol import ConnectionFileError, Session, drain, header_pb2, read_connection_file, url
from ipcluster.protocol import registry_pb2 as reg

MT = header_pb2.MsgType


class EngineWatch:
    """The pids of this host's engines that the hub of `engine_file` lists as registered."""

    def __init__(self, engine_file: Path):
        self.engine_file = engine_file
        self.hostname = socket.gethostname()
        self.pids: set[int] = set()
        self._socket: zmq.Socket | None = None
        self._session: Session | None = None

    def registered(self) -> set[int]:
        """What the hub has said so far; never blocks (the caller does the waiting)."""
        if self._socket is None and not self._connect():
            return self.pids  # no connection file yet: the engines are waiting for it too
        assert self._socket is not None
        if self._socket.poll(0):
            drain(self._socket, self._receive, 100)
        return self.pids

    def _connect(self) -> bool:
        try:
            info = read_connection_file(self.engine_file, ports=("registration",))
        except ConnectionFileError:
            return False
        self._session = Session(info["key"].encode())
        self._socket = zmq.Context.instance().socket(zmq.DEALER)
        self._socket.setsockopt(zmq.LINGER, 0)
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
        pids = {engine.pid for engine in engines if engine.hostname == self.hostname}
        self.pids = self.pids | pids if joined else self.pids - pids

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
