"""The heart monitor: pings every engine each period and tells the hub about
the ones that stop answering.

Engines echo pings from a zmq device in a thread of their own, without the
GIL, so an engine busy in a long computation still answers.
"""

from __future__ import annotations

import struct

import zmq

from ipcluster.protocol import ControllerSpec, HubPeer, Loop, Session, header_pb2
from ipcluster.protocol import registry_pb2 as reg

MT = header_pb2.MsgType


class Beats:
    """Which engine answered which ping: the bookkeeping, with no sockets."""

    def __init__(self, max_misses: int):
        self.max_misses = max_misses
        self.beat = 0
        self.last_answer: dict[bytes, int] = {}

    def expect(self, uuid: bytes) -> None:
        self.last_answer.setdefault(uuid, self.beat)

    def forget(self, uuid: bytes) -> None:
        self.last_answer.pop(uuid, None)

    def answered(self, uuid: bytes, beat: int) -> None:
        if uuid in self.last_answer and self.last_answer[uuid] < beat <= self.beat:  # no beats from the future
            self.last_answer[uuid] = beat

    def next_beat(self) -> tuple[int, list[bytes]]:
        """Advance one period; returns the new beat and the engines now dead."""
        self.beat += 1
        dead = [uuid for uuid, last in self.last_answer.items() if self.beat - last > self.max_misses]
        for uuid in dead:
            del self.last_answer[uuid]
        return self.beat, dead


class HeartMonitor:
    def __init__(self, spec: ControllerSpec, log, context: zmq.Context | None = None):
        self.spec = spec
        self.log = log
        self.context = context or zmq.Context.instance()
        self.session = Session(spec.key.encode())
        self.beats = Beats(spec.heartbeat_misses)
        self.loop = Loop()
        self.ping = self.context.socket(zmq.PUB)
        self.pong = self.context.socket(zmq.ROUTER)
        self.hub = self.context.socket(zmq.DEALER)
        for socket in (self.ping, self.pong, self.hub):
            socket.linger = 0
        spec.serve(self.ping)
        spec.serve(self.pong)
        spec.dial(self.hub)
        self.ping.bind(spec.bind_url("hb_ping"))
        self.pong.bind(spec.bind_url("hb_pong"))
        self.hub.connect(spec.connect_url("registration"))
        self.loop.add_reader(self.pong, self._on_pong)
        self.hub_peer = HubPeer(self.hub, self.session, "heartmonitor", log,
                                lambda info: self.beats.expect(info.uuid.encode()),
                                lambda info: self.beats.forget(info.uuid.encode()))
        self.loop.add_reader(self.hub, self.hub_peer.receive)
        self.loop.call_every(spec.heartbeat_period_ms / 1000, self._tick)

    def run(self) -> None:
        self.hub_peer.hello()
        self.log.info("heart monitor started", period_ms=self.spec.heartbeat_period_ms,
                      max_misses=self.spec.heartbeat_misses)
        self.loop.run()

    def close(self) -> None:
        for socket in (self.ping, self.pong, self.hub):
            socket.close()
        self.loop.close()

    def _tick(self) -> None:
        beat, dead = self.beats.next_beat()
        for uuid in dead:
            self.log.warning("heart failure", uuid=uuid.decode(), missed_beats=self.beats.max_misses)
            failure = reg.HeartFailure(uuid=uuid.decode(), missed_beats=self.beats.max_misses)
            self.session.send(self.hub, self.session.header(MT.HEART_FAILURE), failure)
        self.ping.send(struct.pack("<Q", beat))

    def _on_pong(self, frames: list[zmq.Frame]) -> None:
        if len(frames) == 2 and len(frames[1]) == 8:
            self.beats.answered(frames[0].bytes, struct.unpack("<Q", frames[1].bytes)[0])
