"""What the client's I/O thread does with what arrives: resolve futures, track engines.

Everything here runs on the I/O thread except `expect`, `expect_hub` and `fail_everything`,
which are written so that a reply, an engine's death and the user's next
request can interleave without a future being lost.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, InvalidStateError
from datetime import UTC, datetime

import zmq
from zmq.utils import monitor as zmq_monitor

from ipcluster.client._asyncresult import TaskFuture, moment
from ipcluster.client._errors import EngineError, HubError, error_from_reply
from ipcluster.protocol import (
    KEY_MISMATCH,
    KeyMismatch,
    MalformedMessage,
    Message,
    ProtocolVersionError,
    Session,
    deserialize,
    handshake_failure,
    header_pb2,
    parse,
    refused_at_once,
)
from ipcluster.protocol import records_pb2 as rec
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType
log = logging.getLogger(__name__)
TASK_REPLIES = {MT.APPLY_REPLY, MT.EXECUTE_REPLY}
# The channel of the hub connection's monitor: its events are zmq's, not signed messages.
CONTROLLER_WATCH = "controller-watch"


def fail(future: Future, error: BaseException) -> None:
    """Fail `future` unless another thread resolved it first."""
    try:
        future.set_exception(error)
    except InvalidStateError:
        pass


def with_result_buffers(records: Sequence[rec.TaskRecord], frames: Sequence) -> Iterator[tuple[rec.TaskRecord, list]]:
    """Each finished record with its result buffers, cut in order from the frames that follow the records."""
    frames = list(frames)
    for record in records:
        yield record, frames[: record.result_buffers]
        frames = frames[record.result_buffers :]


class Inbox:
    def __init__(self, session: Session, tunnelled: bool = False):
        self.session = session
        self.tunnelled = tunnelled
        self.refusal = ""  # a handshake through the tunnel that failed, judged when the hub is overdue
        self.engines: dict[int, str] = {}
        self.engines_changed = threading.Condition()
        self.pending: dict[str, TaskFuture] = {}
        self.pending_by_engine: defaultdict[str, set[str]] = defaultdict(set)
        self.hub_requests: dict[str, Future] = {}
        self.stopped: BaseException | None = None
        self.handshaken = False  # a connection that drops before its handshake was refused, not lost

    # -- the user's side

    def expect(self, future: TaskFuture) -> None:
        """Register a request's future before it is sent; raises if it could never be answered."""
        self.pending[future.msg_id] = future
        if self.stopped is not None:  # checked after adding, so fail_everything cannot miss the future
            self._take(future.msg_id)
            raise self.closed_error()
        if future.engine_uuid:
            self.pending_by_engine[future.engine_uuid].add(future.msg_id)
            if future.engine_uuid not in self.engines.values():  # it left while we were adding
                self._take(future.msg_id)
                raise EngineError(f"engine {future.metadata['engine_id']} is no longer registered")

    def forget(self, msg_id: str) -> None:
        """Stop expecting an answer to `msg_id` (its answer came another way, or the request failed)."""
        self._take(msg_id)

    def closed_error(self) -> RuntimeError:
        return RuntimeError(f"this client can no longer be used ({self.stopped}); create a new Client")

    def expect_hub(self, msg_id: str, future: Future) -> None:
        """Register a hub request's future before it is sent, as `expect` does for tasks."""
        self.hub_requests[msg_id] = future
        if self.stopped is not None:
            del self.hub_requests[msg_id]
            raise self.closed_error()

    def fail_everything(self, error: BaseException) -> None:
        """Closed, the I/O thread crashed, or the controller is gone: nothing pending will be answered."""
        if self.stopped is None:  # the first cause is the one to tell (a refused handshake, then its disconnect)
            self.stopped = error
        failure = RuntimeError(f"the client stopped ({error}); create a new Client")
        for future in [*self.pending.values(), *self.hub_requests.values()]:
            fail(future, failure)
        self.pending.clear()
        self.pending_by_engine.clear()
        with self.engines_changed:
            self.engines.clear()  # none of them can be reached through this client any more
            self.engines_changed.notify_all()

    # -- the I/O thread's side

    def receive(self, channel: str, frames: list[zmq.Frame]) -> None:
        if channel == CONTROLLER_WATCH:
            self._controller_event(frames)
            return
        try:
            msg = self.session.unpack(frames)
        except ProtocolVersionError as exc:
            for future in list(self.hub_requests.values()):
                fail(future, exc)
            return
        except KeyMismatch:
            if channel == "registration":  # the hub answered a request with its key, which is not ours
                self.fail_everything(ConnectionError(KEY_MISMATCH.format(kind="client")))
            return
        except ValueError as exc:  # unsigned, replayed or truncated: not from our controller
            log.warning("ipcluster client dropped a message on %s: %s", channel, exc)
            return
        try:
            self._dispatch(channel, msg)
        except MalformedMessage:
            return  # signed by a peer with the key but unreadable: nothing to resolve with it

    def _dispatch(self, channel: str, msg: Message) -> None:
        msg_type = msg.header.msg_type
        if msg_type in TASK_REPLIES:
            self._resolve_task(msg)
        elif msg_type == MT.CONTROL_REPLY:
            future = self._take(msg.header.parent_id)
            if future is None:
                return
            if msg.header.status == header_pb2.ERROR:
                error = msg.content(work.ControlReply).error
                fail(future, error_from_reply(error.ename, error.evalue, error.traceback, error.engine_id))
            else:
                future.set_result(None)
        elif msg_type == MT.ENGINE_EVENT:
            self._engine_event(msg.content(reg.EngineEvent))
        elif msg_type == MT.TASK_RESULT:
            self._resolve_watched(msg)
        elif channel == "registration":
            self._resolve_hub_request(msg)

    def _controller_event(self, frames: list[zmq.Frame]) -> None:
        """The connection to the hub dropped (the controller died, or its host went silent), or was refused."""
        event = zmq_monitor.parse_monitor_message([frame.bytes for frame in frames])
        address = event["endpoint"].decode(errors="replace")
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.handshaken = True
        elif event["event"] == zmq.EVENT_DISCONNECTED and self.handshaken:
            self.fail_everything(ConnectionError(f"lost the controller at {address}"))
        else:
            refusal = handshake_failure(event["event"], address, "client")
            if refused_at_once(event["event"], self.tunnelled):
                self.fail_everything(ConnectionError(refusal))
            else:
                self.refusal = refusal

    def _take(self, msg_id: str) -> TaskFuture | None:
        future = self.pending.pop(msg_id, None)
        if future is not None and future.engine_uuid:
            self.pending_by_engine[future.engine_uuid].discard(msg_id)
        return future

    def _resolve_task(self, msg: Message) -> None:
        future = self._take(msg.header.parent_id)
        if future is not None:
            self.settle(future, msg.content_bytes, msg.buffers, live=True)

    def _resolve_watched(self, msg: Message) -> None:
        """A task this client asked the hub about has finished."""
        for record, buffers in with_result_buffers(msg.content(rec.ResultReply).finished, msg.buffers):
            future = self._take(record.msg_id)
            if future is not None:
                self.settle_stored(future, record, buffers)

    def settle_stored(self, future: TaskFuture, record: rec.TaskRecord, buffers: list) -> None:
        """Resolve a future from the hub's record of its task."""
        if record.HasField("result_buffers_omitted"):
            fail(future, HubError(
                f"the result of {record.msg_id} is not in the hub's records: its {record.result_buffers_omitted:,} "
                "bytes of buffers are over the controller's c.HubFactory.record_buffer_limit; only the client "
                "that sent the task received it"))
            return
        self.settle(future, record.result_content, buffers)

    def settle(self, future: TaskFuture, content: bytes, buffers: list, live: bool = False) -> None:
        """Resolve a task's future from its reply: the engine's, passed on live, or the one the hub stored."""
        try:
            reply = parse(work.TaskReply, content)
            future.metadata.update(
                engine_id=reply.engine_id, started=moment(reply.started), completed=moment(reply.completed),
                received=datetime.now(UTC),
                stdout=reply.stdout, stderr=reply.stderr, status="error" if reply.HasField("error") else "ok",
                execute_result=reply.execute_result or None, execution_count=reply.execution_count,
            )
            if reply.HasField("error"):
                error = reply.error
                if reply.engine_died and live:  # the scheduler's word may arrive before the hub's event
                    self._engine_gone(error.engine_id, reply.engine_uuid, error.evalue)
                fail(future, error_from_reply(error.ename, error.evalue, error.traceback, error.engine_id))
                return
            value = deserialize(buffers) if buffers else None
        except Exception as exc:
            fail(future, RuntimeError(f"the result of {future.msg_id} cannot be read here: {exc!r}"))
            return
        future.set_result(value)

    def _resolve_hub_request(self, msg: Message) -> None:
        if msg.header.msg_type == MT.HUB_ERROR_REPLY and not msg.header.parent_id:  # the hub cut this client off
            self.fail_everything(ConnectionError(msg.content(reg.HubErrorReply).error))
            return
        future = self.hub_requests.get(msg.header.parent_id)
        if future is None or future.done():
            return
        if msg.header.msg_type == MT.HUB_ERROR_REPLY:
            fail(future, HubError(f"the hub refused: {msg.content(reg.HubErrorReply).error}"))
            return
        if msg.header.msg_type == MT.CONNECTION_REPLY:  # here, so no engine event can be applied before it
            self._set_engines(msg.content(reg.ConnectionReply).engines)
        future.set_result(msg)

    def _set_engines(self, engines) -> None:
        with self.engines_changed:
            self.engines.update({engine.engine_id: engine.uuid for engine in engines})
            self.engines_changed.notify_all()

    def _engine_event(self, event: reg.EngineEvent) -> None:
        engine = event.engine
        if event.kind == reg.EngineEvent.REGISTERED:
            self._set_engines([engine])
        else:
            self._engine_gone(engine.engine_id, engine.uuid, event.reason)

    def _engine_gone(self, engine_id: int, uuid: str, reason: str) -> None:
        """Forget an engine and fail what waits on it; the hub's event and the scheduler's reply race."""
        with self.engines_changed:
            if self.engines.get(engine_id) == uuid:
                del self.engines[engine_id]
            self.engines_changed.notify_all()
        for msg_id in list(self.pending_by_engine.pop(uuid, ())):
            future = self.pending.pop(msg_id, None)
            if future is not None:
                future.metadata.update(engine_id=engine_id, status="error", received=datetime.now(UTC))
                fail(future, EngineError(f"engine {engine_id} died: {reason}"))
