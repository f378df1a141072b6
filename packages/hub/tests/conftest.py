import threading
import time

import pytest
import structlog
import zmq

from ipcluster.hub import Hub
from ipcluster.protocol import PORT_NAMES, ControllerSpec, Session, free_ports, header_pb2
from ipcluster.protocol import records_pb2 as rec

MT = header_pb2.MsgType


class HubHarness:
    """A hub running in a thread on real loopback sockets, and a DEALER to talk to it."""

    def __init__(self, db_class: str = "DictDB", db_config: dict | None = None):
        ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
        self.spec = ControllerSpec(key="test-key", ports=ports, db_class=db_class, db_config=db_config or {},
                                   admin_token="test-token")
        self.context = zmq.Context()
        self.hub = Hub(self.spec, structlog.get_logger(), self.context)
        self.thread = threading.Thread(target=self.hub.run, daemon=True)
        self.session = Session(b"test-key")
        self.sockets: list[zmq.Socket] = []

    def dealer(self, identity: bytes | None = None) -> zmq.Socket:
        """A DEALER on the registration socket; an engine's identity is its uuid, as the hub addresses it."""
        socket = self.context.socket(zmq.DEALER)
        socket.linger = 0
        if identity:
            socket.identity = identity
        socket.connect(self.spec.connect_url("registration"))
        self.sockets.append(socket)
        return socket

    def socket(self, kind: int, name: str) -> zmq.Socket:
        socket = self.context.socket(kind)
        socket.linger = 0
        socket.connect(self.spec.connect_url(name))
        self.sockets.append(socket)
        return socket

    def request(self, socket: zmq.Socket, msg_type: int, content, timeout: float = 5.0):
        self.session.send(socket, self.session.header(msg_type), content)
        return self.receive(socket, timeout)

    def history_once_seen(self) -> list[str]:
        """Task events and queries travel on different sockets: ask the hub until some records are in."""
        client = self.dealer()
        deadline = time.monotonic() + 10
        while True:
            history = self.request(client, MT.HISTORY_REQUEST, rec.HistoryRequest()).content(rec.HistoryReply)
            if history.msg_ids or time.monotonic() > deadline:
                return list(history.msg_ids)

    def receive(self, socket: zmq.Socket, timeout: float = 5.0):
        assert socket.poll(timeout * 1000), "no answer from the hub"
        return self.session.unpack(socket.recv_multipart(copy=False))

    def close(self) -> None:
        self.hub.loop.stop()
        self.thread.join(timeout=5)
        self.hub.close()
        for socket in self.sockets:
            socket.close()
        self.context.term()


@pytest.fixture
def harness():
    harness = HubHarness()
    harness.thread.start()
    yield harness
    harness.close()
