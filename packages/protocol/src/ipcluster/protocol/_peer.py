"""A controller process's link to the hub: the scheduler and heart monitor learn about engines here."""

from __future__ import annotations

from collections.abc import Callable

import zmq

from ipcluster.protocol._session import Session
from ipcluster.protocol.pb import header_pb2
from ipcluster.protocol.pb import registry_pb2 as reg

MT = header_pb2.MsgType
EngineCallback = Callable[[reg.EngineInfo], None]


class HubPeer:
    """Says hello to the hub as `role`, then reports each engine that joins or leaves.

    The hub answers the hello with every engine registered so far and then
    sends each change over the same DEALER socket, reliably and in order.
    """

    def __init__(self, socket: zmq.Socket, session: Session, role: str, log,
                 on_registered: EngineCallback, on_unregistered: EngineCallback):
        self.socket = socket
        self.session = session
        self.role = role
        self.log = log
        self.on_registered = on_registered
        self.on_unregistered = on_unregistered

    def hello(self) -> None:
        self.session.send(self.socket, self.session.header(MT.PEER_HELLO), reg.PeerHello(role=self.role))

    def receive(self, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
            if msg.header.msg_type == MT.PEER_WELCOME:
                for info in msg.content(reg.PeerWelcome).engines:
                    self.on_registered(info)
            elif msg.header.msg_type == MT.ENGINE_EVENT:
                event = msg.content(reg.EngineEvent)
                joined = event.kind == reg.EngineEvent.REGISTERED
                (self.on_registered if joined else self.on_unregistered)(event.engine)
        except ValueError as exc:
            self.log.warning("dropped hub message", reason=str(exc))
