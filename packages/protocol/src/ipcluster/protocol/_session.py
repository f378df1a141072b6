"""Message framing, HMAC-SHA256 signing and verification.

A message on the wire is::

    [routing ids ...] DELIMITER signature header content buffer ...

The signature covers the header, the content and the buffer lengths, so a
router can check it cheaply while multi-megabyte buffers pass through
untouched. A message whose signature is wrong, or was seen before, is dropped
before anything else in it is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import struct
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import zmq
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as ProtoMessage

from ipcluster.protocol._frames import send_frames
from ipcluster.protocol.pb.header_pb2 import Header, MsgType, ReplyStatus

PROTOCOL_VERSION = 1
DELIMITER = b"<IPC|%d>" % PROTOCOL_VERSION
_DELIM_PREFIX = b"<IPC|"
NO_ENGINE = -1
# Buffers up to this size are signed byte for byte; larger ones by their length only.
FULLY_SIGNED_LIMIT = 1 << 20

P = TypeVar("P", bound=ProtoMessage)


class SignatureError(ValueError):
    """A message failed HMAC verification or replayed an earlier signature."""


KEY_MISMATCH = ("the controller signs its messages with another key than this connection file's (a file of an "
                "earlier run, or of another controller): get its current {kind} file, or restart it with --reuse")


class KeyMismatch(SignatureError):
    """A well-formed message signed with another key: the peer holds another controller's connection file."""


class ProtocolVersionError(ValueError):
    """The peer speaks another protocol version."""


class MalformedMessage(ValueError):
    """A frame does not parse as the protobuf message it should be."""


def parse(cls: type[P], data: bytes) -> P:
    """`cls.FromString`, raising MalformedMessage (a ValueError) for bytes that are not one."""
    try:
        return cls.FromString(data)
    except DecodeError as exc:
        raise MalformedMessage(f"malformed {cls.__name__}: {exc}") from None


@dataclass(slots=True)
class Message:
    """A verified message: routing ids, parsed header, raw content and buffers."""

    idents: list[bytes]
    header: Header
    content_bytes: bytes
    buffers: list[zmq.Frame | bytes]

    def content(self, cls: type[P]) -> P:
        """Parse the content frame as `cls` (callers know the type from the header)."""
        return parse(cls, self.content_bytes)


def split_idents(frames: Sequence[zmq.Frame | bytes]) -> tuple[list[bytes], int]:
    """Return the routing ids before the delimiter and the delimiter's index."""
    idents: list[bytes] = []
    for index, frame in enumerate(frames):
        data = frame.bytes if isinstance(frame, zmq.Frame) else frame
        if data.startswith(_DELIM_PREFIX):
            return idents, index
        idents.append(data)
    raise ValueError("message has no protocol delimiter")


def new_key() -> bytes:
    """A fresh random key for a controller's connection files."""
    return os.urandom(32).hex().encode()


class Session:
    """Signs outgoing and verifies incoming messages for one process run.

    Message ids are the session id plus a counter: unique, and far cheaper
    than a uuid per message.
    """

    def __init__(self, key: bytes, *, history_size: int = 65536, session_id: str | None = None):
        if not key:
            raise ValueError("an empty key would disable message signing; pass the connection file's key")
        self.key = key
        self.session_id = session_id or os.urandom(8).hex()
        self._hmac = hmac.new(key, digestmod=hashlib.sha256)
        self._counter = itertools.count()
        # 64-bit hashes of recent signatures: half the memory of the digests, and a
        # chance collision (a fresh message taken for a replay) is about 2**-48 per message
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self._history_size = history_size

    def new_msg_id(self) -> str:
        return f"{self.session_id}-{next(self._counter)}"

    def sign(self, header: bytes, content: bytes, buffers: Sequence) -> bytes:
        """HMAC over every frame's length, header, content and each buffer up to FULLY_SIGNED_LIMIT.

        The lengths come first, so no bytes can move between frames. Pickles of
        functions and arguments are small and so fully signed: nobody without
        the key can make an engine unpickle code of their choosing. Larger
        buffers (array data travelling out of band) are covered by length only,
        so a 100 MB push is not hashed at every hop.
        """
        lengths = [_nbytes(b) for b in buffers]
        mac = self._hmac.copy()
        mac.update(struct.pack(f"<{2 + len(buffers)}Q", len(header), len(content), *lengths))
        mac.update(header)
        mac.update(content)
        for buffer, length in zip(buffers, lengths, strict=True):
            if length <= FULLY_SIGNED_LIMIT:
                mac.update(buffer)
        return mac.digest()

    def header(
        self,
        msg_type: MsgType,
        *,
        parent_id: str = "",
        engine_id: int = NO_ENGINE,
        status: ReplyStatus = ReplyStatus.REPLY_STATUS_UNSPECIFIED,
        msg_id: str | None = None,
    ) -> Header:
        return Header(
            msg_id=msg_id or self.new_msg_id(),
            msg_type=msg_type,
            session=self.session_id,
            parent_id=parent_id,
            engine_id=engine_id,
            date=time.time(),
            status=status,
        )

    def frames(self, header: Header, content: ProtoMessage | None = None, buffers: Sequence = ()) -> list:
        """Serialize and sign; routing ids are the caller's to prepend."""
        header_bytes = header.SerializeToString()
        content_bytes = content.SerializeToString() if content is not None else b""
        signature = self.sign(header_bytes, content_bytes, buffers)
        return [DELIMITER, signature, header_bytes, content_bytes, *buffers]

    def send(
        self,
        socket: zmq.Socket,
        header: Header,
        content: ProtoMessage | None = None,
        buffers: Sequence = (),
        idents: Sequence[bytes] = (),
    ) -> None:
        send_frames(socket, [*idents, *self.frames(header, content, buffers)])

    def unpack(self, frames: Sequence[zmq.Frame | bytes]) -> Message:
        """Verify a received message and parse its header.

        Raises SignatureError for a bad or replayed signature and
        ProtocolVersionError for another protocol version; nothing but the
        delimiter has been parsed when either is raised.
        """
        idents, index = split_idents(frames)
        delimiter = _bytes(frames[index])
        if delimiter != DELIMITER:
            raise ProtocolVersionError(
                f"peer speaks protocol {delimiter[:32].decode(errors='replace')}, this process speaks "
                f"{DELIMITER.decode()}: install matching ipcluster versions on both sides"
            )
        if len(frames) < index + 4:
            raise SignatureError("message is truncated")
        signature = _bytes(frames[index + 1])
        header_bytes = _bytes(frames[index + 2])
        content_bytes = _bytes(frames[index + 3])
        buffers = list(frames[index + 4 :])
        expected = self.sign(header_bytes, content_bytes, [_buffer(b) for b in buffers])
        if not hmac.compare_digest(signature, expected):
            raise KeyMismatch("signed with another key")
        if hash(signature) in self._seen:
            raise SignatureError("replayed signature")
        self._remember(hash(signature))
        return Message(idents, parse(Header, header_bytes), content_bytes, buffers)

    def _remember(self, key: int) -> None:
        self._seen.add(key)
        self._seen_order.append(key)
        if len(self._seen_order) > self._history_size:
            self._seen.discard(self._seen_order.popleft())


def _bytes(frame: zmq.Frame | bytes) -> bytes:
    return frame.bytes if isinstance(frame, zmq.Frame) else frame


def _buffer(frame: zmq.Frame | bytes | memoryview):
    return frame.buffer if isinstance(frame, zmq.Frame) else frame


def _nbytes(buffer) -> int:
    if isinstance(buffer, zmq.Frame):
        return len(buffer.buffer)
    if isinstance(buffer, memoryview):
        return buffer.nbytes
    return len(buffer) if isinstance(buffer, (bytes, bytearray)) else memoryview(buffer).nbytes
