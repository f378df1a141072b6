"""`Client`: the connection to one controller, and the factory of views."""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import zmq

from ipcluster.client._asyncresult import TaskFuture
from ipcluster.client._errors import EngineError, NoEnginesRegistered, error_from_reply
from ipcluster.client._io import IOThread
from ipcluster.client._view import DirectView, LoadBalancedView
from ipcluster.protocol import (
    CLIENT_FILE,
    ConnectionFileError,
    MalformedMessage,
    ProfileDir,
    ProtocolVersionError,
    Session,
    SignatureError,
    deserialize,
    header_pb2,
    read_connection_file,
    url,
)
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType
REPLY_TYPES = {MT.APPLY_REPLY, MT.EXECUTE_REPLY}


class Client:
    """Connects to a controller: `rc.ids`, `rc[:]`, `rc[i]`, `rc.load_balanced_view()`.

    The connection file is `url_file` (a path or an already-loaded dict) or,
    by default, the profile's ``security/ipcontroller-client.json``, waited
    for up to `timeout` seconds.
    """

    def __init__(self, url_file: str | Path | dict | None = None, *, profile: str = "default",
                 profile_dir: str | None = None, timeout: float = 10.0, **_compat: Any):
        self.timeout = timeout
        self.info = self._load(url_file or _compat.get("connection_info"), profile, profile_dir, timeout)
        self.session = Session(self.info["key"].encode())
        self._context = zmq.Context()
        self._engines: dict[int, str] = {}
        self._pending: dict[str, TaskFuture] = {}
        self._pending_by_engine: defaultdict[str, set[str]] = defaultdict(set)
        self._hub_requests: dict[str, Future] = {}
        self._io = IOThread(self._sockets(), self._on_message, self._fail_everything)
        self._io.start()
        self._closed = False
        reply = self._hub_request(MT.CONNECTION_REQUEST, reg.ConnectionRequest(), reg.ConnectionReply)
        for engine in reply.engines:
            self._engines[engine.engine_id] = engine.uuid

    @staticmethod
    def _load(source: Any, profile: str, profile_dir: str | None, timeout: float) -> dict:
        if isinstance(source, dict):
            return source
        path = Path(source) if source else ProfileDir.locate(profile, profile_dir).security / CLIENT_FILE
        deadline = time.monotonic() + timeout
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # a controller that is starting writes it soon
        try:
            return read_connection_file(path)
        except ConnectionFileError as exc:
            raise OSError(str(exc)) from None

    def _sockets(self) -> dict[str, zmq.Socket]:
        sockets = {}
        # engine events come over the registration socket (see the hub), not the notification PUB
        for channel, kind in (("registration", zmq.DEALER), ("mux", zmq.DEALER), ("task", zmq.DEALER),
                              ("control", zmq.DEALER), ("iopub", zmq.SUB)):
            socket = self._context.socket(kind)
            socket.sndhwm = socket.rcvhwm = 0
            if kind == zmq.SUB:
                socket.subscribe(b"")
            socket.connect(url(self.info, channel))
            sockets[channel] = socket
        return sockets

    # -- engines

    @property
    def ids(self) -> list[int]:
        """The ids of the engines registered now, in order."""
        return sorted(self._engines)

    def __len__(self) -> int:
        return len(self._engines)

    def __iter__(self):
        return (self[engine_id] for engine_id in self.ids)

    def wait_for_engines(self, n: int, timeout: float | None = None) -> None:
        """Block until at least `n` engines are registered."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self._engines) < n:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._engines)} of {n} engines registered after {timeout} s")
            time.sleep(0.01)  # notifications arrive on the I/O thread

    def engine_uuid(self, engine_id: int) -> str:
        try:
            return self._engines[engine_id]
        except KeyError:
            raise EngineError(f"engine {engine_id} is not registered (registered: {self.ids})") from None

    def __getitem__(self, key: int | slice | list[int]) -> DirectView:
        if isinstance(key, int):
            self.engine_uuid(key)
            return DirectView(self, key)
        if isinstance(key, slice):
            return DirectView(self, self.ids[key])
        return DirectView(self, list(key))

    def direct_view(self, targets: int | list[int] | str = "all") -> DirectView:
        return DirectView(self, targets)

    def load_balanced_view(self, targets: list[int] | None = None) -> LoadBalancedView:
        return LoadBalancedView(self, targets)

    def resolve_targets(self, targets: int | list[int] | str | None) -> list[int]:
        ids = self.ids if targets in (None, "all") else [targets] if isinstance(targets, int) else list(targets)
        if not ids:
            raise NoEnginesRegistered("no engines are registered: start some with `ipcluster start -n N`")
        for engine_id in ids:
            self.engine_uuid(engine_id)
        return ids

    # -- sending

    def send(self, channel: str, header: header_pb2.Header, content, buffers: list, engine_id: int | None = None
             ) -> TaskFuture:
        """Send a request; returns the future its reply resolves."""
        uuid = self.engine_uuid(engine_id) if engine_id is not None else ""
        future = TaskFuture(header.msg_id, uuid)
        future.metadata["engine_id"] = engine_id
        self._pending[header.msg_id] = future
        frames = self.session.frames(header, content, buffers)
        if uuid:
            self._pending_by_engine[uuid].add(header.msg_id)
            frames.insert(0, uuid.encode())
        self._io.send(channel, frames)
        return future

    def queue_status(self, targets: int | list[int] | None = None) -> dict:
        """``{engine_id: {'queue': n, 'completed': n}, 'unassigned': n}`` from the hub."""
        wanted = [] if targets in (None, "all") else [targets] if isinstance(targets, int) else list(targets)
        reply = self._hub_request(
            MT.QUEUE_STATUS_REQUEST, reg.QueueStatusRequest(targets=wanted), reg.QueueStatusReply
        )
        status: dict[Any, Any] = {eid: {"queue": q.queue, "completed": q.completed} for eid, q in reply.engines.items()}
        status["unassigned"] = reply.unassigned
        return status

    def _hub_request(self, msg_type: int, content, reply_cls):
        header = self.session.header(msg_type)
        future: Future = Future()
        self._hub_requests[header.msg_id] = future
        self._io.send("registration", self.session.frames(header, content))
        try:
            return reply_cls.FromString(future.result(self.timeout))
        except TimeoutError:
            raise TimeoutError(
                f"no answer from the hub at {url(self.info, 'registration')} within {self.timeout:g} s: "
                "is the controller running?"
            ) from None
        finally:
            self._hub_requests.pop(header.msg_id, None)

    # -- receiving (on the I/O thread)

    def _on_message(self, channel: str, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
        except ProtocolVersionError as exc:
            for future in list(self._hub_requests.values()):
                future.set_exception(exc)
            return
        except (SignatureError, ValueError):
            return
        try:
            self._dispatch(channel, msg)
        except MalformedMessage:
            return  # signed by a peer with the key but unreadable: nothing to resolve with it

    def _dispatch(self, channel: str, msg) -> None:
        msg_type = msg.header.msg_type
        if msg_type in REPLY_TYPES or msg_type == MT.CONTROL_REPLY:
            self._resolve(msg)
        elif msg_type == MT.ENGINE_EVENT:
            self._engine_event(msg.content(reg.EngineEvent))
        elif channel == "registration":
            future = self._hub_requests.get(msg.header.parent_id)
            if future is None or future.done():
                return
            if msg_type == MT.HUB_ERROR_REPLY:
                future.set_exception(RuntimeError(f"the hub refused: {msg.content(reg.HubErrorReply).error}"))
            else:
                future.set_result(msg.content_bytes)

    def _resolve(self, msg) -> None:
        future = self._pending.pop(msg.header.parent_id, None)
        if future is None:
            return
        if future.engine_uuid:
            self._pending_by_engine[future.engine_uuid].discard(future.msg_id)
        if msg.header.msg_type == MT.CONTROL_REPLY:
            future.set_result(None)
            return
        try:
            reply = msg.content(work.TaskReply)
        except MalformedMessage as exc:
            future.set_exception(exc)
            return
        future.metadata.update(
            engine_id=reply.engine_id, started=reply.started, completed=reply.completed, received=time.time(),
            stdout=reply.stdout, stderr=reply.stderr,
        )
        if reply.HasField("error"):
            error = reply.error
            future.metadata["status"] = "error"
            future.set_exception(error_from_reply(error.ename, error.evalue, error.traceback, error.engine_id))
        else:
            future.metadata["status"] = "ok"
            future.set_result(deserialize(msg.buffers) if msg.buffers else None)

    def _engine_event(self, event: reg.EngineEvent) -> None:
        engine = event.engine
        if event.kind == reg.EngineEvent.REGISTERED:
            self._engines[engine.engine_id] = engine.uuid
            return
        self._engines.pop(engine.engine_id, None)
        for msg_id in list(self._pending_by_engine.pop(engine.uuid, ())):
            future = self._pending.pop(msg_id, None)
            if future is not None and not future.done():
                future.metadata.update(engine_id=engine.engine_id, status="error", received=time.time())
                future.set_exception(EngineError(f"engine {engine.engine_id} died: {event.reason}"))

    def _fail_everything(self, error: BaseException) -> None:
        failure = RuntimeError(f"the client's I/O thread stopped ({error!r}); create a new Client")
        for future in [*self._pending.values(), *self._hub_requests.values()]:
            if not future.done():
                future.set_exception(failure)

    # -- lifetime

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._io.stop()
        self._io.join(timeout=5)
        self._context.term()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()
