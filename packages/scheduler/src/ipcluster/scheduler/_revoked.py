"""Revoked keys at the scheduler: what a revoked peer's still-open connection sends is dropped.

ZAP refuses a revoked key at its next handshake, but ZeroMQ cannot drop one peer of a bound socket. The
scheduler looks at the allow-list every CHECK_PERIOD; once a key is revoked, its readers are swapped for
guarded ones that drop that key's messages (named by ZeroMQ's "User-Id", which ZAP set). Until then the
readers are the plain ones: no cost on the hot path while nothing is revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq

from ipcluster.protocol import AllowList, ControllerSpec, Loop, key_of

CHECK_PERIOD = 1.0  # seconds between looks at the allow-list
Handler = Callable[[list[zmq.Frame]], None]


class RevokedKeys:
    def __init__(self, spec: ControllerSpec, loop: Loop, log: Any):
        self.allow = AllowList(Path(spec.curve_keys_file), always=spec.curve_server["public"], log=log)
        self.loop = loop
        self.log = log
        self.revoked: frozenset[str] = frozenset()
        self.readers: dict[zmq.Socket, Handler] = {}
        self.dropped: dict[str, int] = {}
        loop.call_every(CHECK_PERIOD, self.check)

    def add_reader(self, socket: zmq.Socket, handler: Handler) -> None:
        """`Loop.add_reader`, remembering the handler to guard once a key is revoked."""
        self.readers[socket] = handler
        self.loop.add_reader(socket, handler)

    def check(self) -> None:
        revoked = frozenset(self.allow.revoked())
        if revoked == self.revoked:
            return
        guard = not self.revoked and revoked  # the first revocation: from now on every message is looked at
        self.revoked = revoked
        self.log.info("revoked keys", keys=sorted(revoked))
        if guard:
            for socket, handler in self.readers.items():
                self.loop.add_reader(socket, self._guarded(handler))

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(frames: list[zmq.Frame]) -> None:
            key = key_of(frames)
            if key in self.revoked:
                self.dropped[key] = self.dropped.get(key, 0) + 1
                if self.dropped[key] == 1:
                    self.log.warning("dropping what a revoked key sends", key=key)
                return
            handler(frames)

        return guarded
