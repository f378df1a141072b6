"""Revoked Curve keys, acted on while their peers are still connected.

ZAP refuses a revoked key at its next handshake, but ZeroMQ cannot drop one peer of a bound socket. So
the hub reads whose key each request came with (the ZAP handler names the key, as ZeroMQ's "User-Id"),
refuses the requests of a revoked key, tells an engine whose key was revoked to leave, and tells a client
it is cut off (an error with no request to answer), which fails everything it waits for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import zmq

from ipcluster.protocol import AllowList, ControllerSpec, Message, header_pb2, key_of

MT = header_pb2.MsgType
CHECK_PERIOD = 1.0  # seconds between looks at the allow-list for newly revoked keys


class Revocations:
    def __init__(self, spec: ControllerSpec, log: Any, reply_error: Callable[[list[bytes], str, str], None],
                 unregister: Callable[[str, str], None]):
        self.allow = AllowList(Path(spec.curve_keys_file), always=spec.curve_server["public"], log=log)
        self.reply_error = reply_error
        self.unregister = unregister
        self.revoked: set[str] = set()
        self.engine_keys: dict[str, str] = {}  # engine uuid -> the name of the key it registered with
        self.client_keys: dict[bytes, str] = {}  # client identity -> the key it asked for connection info with

    def admit(self, frames: Sequence[zmq.Frame], msg: Message) -> bool:
        """Whether to serve a request: a revoked key's is answered with an error; an engine's key is noted."""
        key = key_of(frames)
        if key in self.revoked:
            self.reply_error(msg.idents, msg.header.msg_id, f"this connection file's key {key!r} was revoked")
            return False
        if msg.header.msg_type == MT.REGISTRATION_REQUEST and msg.idents:
            self.engine_keys[msg.idents[0].decode(errors="replace")] = key  # an engine's identity is its uuid
        elif msg.header.msg_type == MT.CONNECTION_REQUEST and msg.idents:
            self.client_keys[msg.idents[0]] = key
        return True

    def cut(self) -> None:
        """Act on the keys revoked since the last look: their engines leave, their clients are cut off."""
        revoked = self.allow.revoked()
        fresh, self.revoked = revoked - self.revoked, revoked
        for uuid, key in [(uuid, key) for uuid, key in self.engine_keys.items() if key in fresh]:
            self.unregister(uuid, f"its key {key!r} was revoked")
        for client, key in [(client, key) for client, key in self.client_keys.items() if key in fresh]:
            del self.client_keys[client]
            self.reply_error([client], "", f"this connection file's key {key!r} was revoked: the controller no "
                             "longer serves it")

    def forget(self, uuid: str) -> None:
        self.engine_keys.pop(uuid, None)

