"""The direct (mux) and control queues: a client names the engine, we swap routing ids.

A client's DEALER sends ``[engine_uuid, DELIM, ...]``; the client-side ROUTER
receives ``[client_id, engine_uuid, DELIM, ...]`` and the engine-side ROUTER
sends ``[engine_uuid, client_id, DELIM, ...]``. Replies swap back. Every
message is verified (the hub records what passes here), then forwarded as the
same frames.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable

import zmq

from ipcluster.protocol import DELIMITER, Session, send_frames

# (client_id, engine_uuid, frames) of each request and reply passing by; the frames are
# [engine or client id, client or engine id, DELIMITER, signature, header, content, buffers...]
Observer = Callable[[bytes, bytes, list[zmq.Frame]], None]
# Engines that left, remembered so late requests for them are dropped, not parked forever.
DEPARTED_MEMORY = 4096


class DirectRouter:
    """Routes by engine identity. A request for an engine that has not
    connected yet waits here until the engine says hello; one for an engine
    that left is dropped (its client fails it on the engine's unregistration)."""

    def __init__(
        self,
        client_side: zmq.Socket,
        engine_side: zmq.Socket,
        session: Session,
        log,
        on_request: Observer | None = None,
        on_reply: Observer | None = None,
    ):
        self.client_side = client_side
        self.engine_side = engine_side
        engine_side.router_mandatory = True
        self.session = session
        self.log = log
        self._on_request = on_request
        self._on_reply = on_reply
        self.parked: defaultdict[bytes, list[list]] = defaultdict(list)
        self._departed: deque[bytes] = deque(maxlen=DEPARTED_MEMORY)

    def _verified(self, frames: list[zmq.Frame], direction: str) -> bool:
        try:
            self.session.unpack(frames)
        except ValueError as exc:
            self.log.warning("dropped message", direction=direction, reason=str(exc))
            return False
        return True

    def from_client(self, frames: list[zmq.Frame]) -> None:
        if len(frames) < 6 or frames[2].bytes != DELIMITER or not self._verified(frames, "request"):
            return
        client_id, engine_uuid = frames[0].bytes, frames[1].bytes
        frames[0], frames[1] = frames[1], frames[0]
        if self.send_to_engine(engine_uuid, frames) and self._on_request is not None:
            self._on_request(client_id, engine_uuid, frames)

    def from_engine(self, frames: list[zmq.Frame]) -> None:
        if len(frames) < 5 or not self._verified(frames, "reply"):
            return
        engine_uuid = frames[0].bytes
        if frames[1].bytes == DELIMITER:  # hello: the engine is connected now
            self._flush(engine_uuid)
            return
        client_id = frames[1].bytes
        frames[0], frames[1] = frames[1], frames[0]
        send_frames(self.client_side, frames)
        if self._on_reply is not None:
            self._on_reply(client_id, engine_uuid, frames)

    def forget(self, engine_uuid: bytes) -> None:
        """An engine left: drop what waits for it, and whatever comes for it later."""
        self.parked.pop(engine_uuid, None)
        self._departed.append(engine_uuid)

    def send_to_engine(self, engine_uuid: bytes, frames: list) -> bool:
        """Send, or park until the engine says hello; False when dropped for an engine that left."""
        if engine_uuid in self.parked:
            self.parked[engine_uuid].append(frames)
            return True
        try:
            send_frames(self.engine_side, frames)
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EHOSTUNREACH:
                raise
            if engine_uuid in self._departed:
                return False
            self.parked[engine_uuid].append(frames)
        return True

    def _flush(self, engine_uuid: bytes) -> None:
        waiting = self.parked.pop(engine_uuid, [])
        for frames in waiting:
            self.send_to_engine(engine_uuid, frames)
