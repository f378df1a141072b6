"""The direct (mux) and control queues: a client names the engine, we swap routing ids.

A client's DEALER sends ``[engine_uuid, DELIM, ...]``; the client-side ROUTER
receives ``[client_id, engine_uuid, DELIM, ...]`` and the engine-side ROUTER
sends ``[engine_uuid, client_id, DELIM, ...]``. Replies swap back. Nothing but
the routing frames is looked at.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import zmq

from ipcluster.protocol import DELIMITER, send_frames

# (client_id, engine_uuid, header frame) of each request and reply passing by
Observer = Callable[[bytes, bytes, zmq.Frame], None]


class DirectRouter:
    """Routes by engine identity. A request for an engine that has not
    connected yet waits here until the engine says hello."""

    def __init__(
        self,
        client_side: zmq.Socket,
        engine_side: zmq.Socket,
        on_request: Observer | None = None,
        on_reply: Observer | None = None,
    ):
        self.client_side = client_side
        self.engine_side = engine_side
        engine_side.router_mandatory = True
        self._on_request = on_request
        self._on_reply = on_reply
        self.parked: defaultdict[bytes, list[list]] = defaultdict(list)

    def from_client(self, frames: list[zmq.Frame]) -> None:
        if len(frames) < 6 or frames[2].bytes != DELIMITER:
            return  # not a request of this protocol version: the engine could not read it either
        client_id, engine_uuid = frames[0].bytes, frames[1].bytes
        frames[0], frames[1] = frames[1], frames[0]
        self._send_to_engine(engine_uuid, frames)
        if self._on_request is not None:
            self._on_request(client_id, engine_uuid, frames[4])

    def from_engine(self, frames: list[zmq.Frame]) -> None:
        engine_uuid = frames[0].bytes
        if frames[1].bytes == DELIMITER:  # hello: the engine is connected now
            self._flush(engine_uuid)
            return
        client_id = frames[1].bytes
        frames[0], frames[1] = frames[1], frames[0]
        send_frames(self.client_side, frames)
        if self._on_reply is not None and len(frames) > 4:
            self._on_reply(client_id, engine_uuid, frames[4])

    def forget(self, engine_uuid: bytes) -> None:
        """Drop requests parked for an engine that left; its clients fail them."""
        self.parked.pop(engine_uuid, None)

    def _send_to_engine(self, engine_uuid: bytes, frames: list) -> None:
        if engine_uuid in self.parked:
            self.parked[engine_uuid].append(frames)
            return
        try:
            send_frames(self.engine_side, frames)
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EHOSTUNREACH:
                raise
            self.parked[engine_uuid].append(frames)

    def _flush(self, engine_uuid: bytes) -> None:
        waiting = self.parked.pop(engine_uuid, [])
        for frames in waiting:
            self._send_to_engine(engine_uuid, frames)
