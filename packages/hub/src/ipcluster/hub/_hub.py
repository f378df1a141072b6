"""The hub: registration, engine ids, connection info, notifications, task records.

It sits beside the hot path, never on it: schedulers tell it about tasks
through a PUSH socket, and nothing waits for it to answer. Each batch of their
events becomes one write to the task-record store (see `stores`).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import zmq
from traitlets.config import Config

from ipcluster.hub import _records
from ipcluster.hub._admin import bind_admin_server
from ipcluster.hub._queries import RecordQueries
from ipcluster.hub._queues import UNASSIGNED, QueueCounts
from ipcluster.hub._registry import EngineRegistry, RegistrationRefused
from ipcluster.hub._revocations import CHECK_PERIOD as REVOCATION_CHECK
from ipcluster.hub._revocations import Revocations
from ipcluster.hub.stores import StoreError, TaskStore, open_store
from ipcluster.protocol import (
    ControllerSpec,
    KeyMismatch,
    Loop,
    Message,
    ProtocolVersionError,
    Session,
    header_pb2,
    parse,
    split_idents,
)
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work
from ipcluster.protocol._service import SUPERVISOR_PID, ServiceError

MT = header_pb2.MsgType
ADMIN_GRACE = 1.0  # seconds the admin service's calls in flight get to finish when the hub stops


class Hub:
    def __init__(self, spec: ControllerSpec, log, context: zmq.Context | None = None):
        self.spec = spec
        self.log = log
        self.session = Session(spec.key.encode())
        self.registry = EngineRegistry.empty()
        self.counts = QueueCounts()
        self.store = self._open_store()
        self.queries = RecordQueries(self.store, self._send_reply, log)
        self.peers: set[bytes] = set()
        # clients that asked for connection info hear about engines over the router:
        # reliable and ordered, unlike pub/sub, which drops what a joining subscriber misses
        self.watchers: set[bytes] = set()
        self.context = context or zmq.Context.instance()
        self.loop = Loop()
        self.router = self._bind(zmq.ROUTER, "registration")
        self.router.router_mandatory = True
        self.notifier = self._bind(zmq.PUB, "notification")
        self.events = self._bind(zmq.PULL, "hub_events")
        self.loop.add_reader(self.router, self._on_request)
        self.loop.add_reader(self.events, self._on_task_event)
        self._handlers = {
            MT.REGISTRATION_REQUEST: self._register,
            MT.UNREGISTRATION_REQUEST: self._unregister_request,
            MT.CONNECTION_REQUEST: self._connection_info,
            MT.QUEUE_STATUS_REQUEST: self._queue_status,
            MT.PEER_HELLO: self._peer_hello,
            MT.HEART_FAILURE: self._heart_failure,
            MT.CONTROLLER_SHUTDOWN_REQUEST: self._shutdown_controller,
            **self.queries.handlers(),
        }
        self.admin = bind_admin_server(self)
        self._fail_abandoned_tasks()
        self.revocations = Revocations(spec, log, self._reply_error, self._unregister) if spec.curve_server else None
        if self.revocations is not None:
            self.loop.call_every(REVOCATION_CHECK, self.revocations.cut)

    def _open_store(self) -> TaskStore:
        try:
            store = open_store(self.spec.db_class, self.session.session_id, Path(self.spec.profile_dir or "."),
                               Config(self.spec.db_config))
        except StoreError as exc:
            raise ServiceError(f"cannot open the task store ({self.spec.db_class}): {exc}") from None
        return store

    def _fail_abandoned_tasks(self) -> None:
        """Tasks a previous controller left pending (a persistent store) will not finish: say so in their records,
        so nobody waits on them. A reply that still comes (an engine that outlived the restart) overwrites this."""
        if not self.store.keeps_records:
            return
        abandoned = [r["msg_id"] for r in self.store.find({"status": "pending"}, [])]
        if abandoned:
            failed = _records.failure("TaskAborted", "the controller restarted before the task finished", None,
                                      time.time())
            self.store.update({msg_id: failed for msg_id in abandoned})
            self.log.info("marked tasks of a previous run as failed", count=len(abandoned))

    def _bind(self, kind: int, name: str) -> zmq.Socket:
        socket = self.context.socket(kind)
        socket.linger = 0
        if kind in (zmq.ROUTER, zmq.PUB):
            socket.sndhwm = 0
        self.spec.serve(socket)
        socket.bind(self.spec.bind_url(name))
        return socket

    def run(self) -> None:
        self.admin.start()
        self.log.info("hub listening", registration=self.spec.connect_url("registration"),
                      admin=self.spec.connect_url("admin").split("://", 1)[1], task_store=self.spec.db_class)
        self.loop.run()

    def close(self) -> None:
        # calls in flight finish (a Shutdown call gets its answer), new ones are refused
        self.admin.stop(grace=ADMIN_GRACE).wait(ADMIN_GRACE)
        for socket in (self.router, self.notifier, self.events):
            socket.close()
        self.loop.close()
        self.store.close()

    def statistics(self) -> dict[str, int]:
        """Counts for the admin surface; safe to call from another thread."""
        return {
            "engines": len(self.registry.engines()),
            "peers": len(self.peers),
            "clients": len(self.watchers),
            "pending_tasks": len(self.counts),
            "completed_tasks": sum(list(self.counts.completed_by_engine.values())),
        }

    # -- requests on the registration socket

    def _on_request(self, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
        except ProtocolVersionError as exc:
            self.log.warning("peer speaks another protocol version", error=str(exc))
            idents, _ = split_idents(frames)
            self._reply_error(idents, "", str(exc))
            return
        except KeyMismatch:  # answered, signed with our key: the peer's check of it tells it what happened
            idents, _ = split_idents(frames)
            self.log.warning("refused a message signed with another key (a connection file of another controller?)",
                             peer=idents[0].hex() if idents else "")
            self._reply_error(idents, "", "signed with another key")
            return
        except ValueError as exc:
            self.log.warning("dropped message", reason=str(exc))
            return
        if self.revocations is not None and not self.revocations.admit(frames, msg):
            return
        handler = self._handlers.get(msg.header.msg_type)
        if handler is None:
            self._reply_error(msg.idents, msg.header.msg_id, f"the hub does not handle {MT.Name(msg.header.msg_type)}")
            return
        try:
            handler(msg)
        except ValueError as exc:  # MalformedMessage included: signed by a peer, but nonsense
            self.log.warning("refused request", msg_type=MT.Name(msg.header.msg_type), reason=str(exc))
            self._reply_error(msg.idents, msg.header.msg_id, str(exc))

    def _send(self, idents: list[bytes], header, content, buffers=()) -> bool:
        """Send over the router; False when the peer has gone away."""
        try:
            self.session.send(self.router, header, content, buffers, idents=idents)
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EHOSTUNREACH:
                raise
            return False
        return True

    def _send_reply(self, idents: list[bytes], msg_type: MT, parent_id: str, content, buffers: list) -> bool:
        return self._send(idents, self.session.header(msg_type, parent_id=parent_id), content, buffers)

    def _reply(self, msg: Message, msg_type: MT, content) -> None:
        self._send(msg.idents, self.session.header(msg_type, parent_id=msg.header.msg_id), content)

    def _reply_error(self, idents: list[bytes], parent_id: str, error: str) -> None:
        self._send(idents, self.session.header(MT.HUB_ERROR_REPLY, parent_id=parent_id), reg.HubErrorReply(error=error))

    def _register(self, msg: Message) -> None:
        request = msg.content(reg.RegistrationRequest)
        try:
            info = self.registry.register(request)
        except RegistrationRefused as exc:
            self._reply(msg, MT.REGISTRATION_REPLY, reg.RegistrationReply(ok=False, error=str(exc)))
            return
        self._reply(msg, MT.REGISTRATION_REPLY, reg.RegistrationReply(ok=True, engine_id=info.engine_id))
        self.log.info("engine registered", engine_id=info.engine_id, uuid=info.uuid, host=info.hostname)
        self._announce(reg.EngineEvent(kind=reg.EngineEvent.REGISTERED, engine=info))

    def _unregister_request(self, msg: Message) -> None:
        request = msg.content(reg.UnregistrationRequest)
        self._unregister(request.uuid, request.reason or "engine shut down")

    def _heart_failure(self, msg: Message) -> None:
        failure = msg.content(reg.HeartFailure)
        self._unregister(failure.uuid, f"no heartbeat for {failure.missed_beats} periods")

    def _unregister(self, uuid: str, reason: str) -> None:
        if self.revocations is not None:
            self.revocations.forget(uuid)
        info = self.registry.unregister(uuid)
        if info is None:
            return
        self._fail_held_tasks(info, reason)
        self.log.info("engine unregistered", engine_id=info.engine_id, uuid=uuid, reason=reason)
        event = reg.EngineEvent(kind=reg.EngineEvent.UNREGISTERED, engine=info, reason=reason)
        self._announce(event)
        # an engine declared dead may still be alive (a partition): tell it, so it does not linger unseen
        self._send([uuid.encode()], self.session.header(MT.ENGINE_EVENT), event)

    def _announce(self, event: reg.EngineEvent) -> None:
        """Tell peers and clients over the router, and anyone else listening over pub/sub."""
        for listeners in (self.peers, self.watchers):
            gone = [i for i in listeners if not self._send([i], self.session.header(MT.ENGINE_EVENT), event)]
            listeners.difference_update(gone)
        self.session.send(self.notifier, self.session.header(MT.ENGINE_EVENT), event)

    def _shutdown_controller(self, msg: Message) -> None:
        self._reply(msg, MT.CONTROLLER_SHUTDOWN_REPLY, reg.ControllerShutdownReply())
        self.shutdown_controller("a client")

    def shutdown_controller(self, who: str) -> None:
        """Stop the whole controller: the supervising ipcontroller, or this hub alone."""
        self.log.info("controller shutdown requested", by=who)
        supervisor = os.environ.get(SUPERVISOR_PID)
        if supervisor:
            os.kill(int(supervisor), signal.SIGTERM)
        else:
            self.loop.stop()

    def _connection_info(self, msg: Message) -> None:
        reply = reg.ConnectionReply(engines=self.registry.engines(), task_scheme=self.spec.task_scheme)
        self._reply(msg, MT.CONNECTION_REPLY, reply)
        self.watchers.add(msg.idents[0])

    def _peer_hello(self, msg: Message) -> None:
        role = msg.content(reg.PeerHello).role
        self.peers.add(msg.idents[0])
        self.log.info("controller peer joined", role=role)
        self._reply(msg, MT.PEER_WELCOME, reg.PeerWelcome(engines=self.registry.engines()))

    def _queue_status(self, msg: Message) -> None:
        self._reply(msg, MT.QUEUE_STATUS_REPLY, self.queue_status(set(msg.content(reg.QueueStatusRequest).targets)))

    def queue_status(self, targets: set[int]) -> reg.QueueStatusReply:
        """Tasks held and completed per engine (of `targets`, or all), and those no engine has yet."""
        reply = reg.QueueStatusReply(unassigned=self.counts.pending_by_engine.get(UNASSIGNED, 0))
        for info in self.registry.engines():
            if targets and info.engine_id not in targets:
                continue
            reply.engines[info.engine_id].queue = self.counts.pending_by_engine.get(info.uuid, 0)
            reply.engines[info.engine_id].completed = self.counts.completed_by_engine.get(info.uuid, 0)
        return reply

    def stop_engine(self, engine_id: int) -> bool:
        """Unregister the engine, which tells it to leave; False when no such engine is registered."""
        found = [info.uuid for info in self.registry.engines() if info.engine_id == engine_id]
        for uuid in found:
            self._unregister(uuid, "stopped through the admin service")
        return bool(found)

    # -- task events from schedulers

    def _on_task_event(self, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
            batch = msg.content(work.TaskEvents)
        except ValueError as exc:
            self.log.warning("dropped task events", reason=str(exc))
            return
        records = _records.RecordBatch() if self.store.keeps_records else None  # NoDB: counts only
        start = 0
        for event in batch.events:
            payload, start = msg.buffers[start : start + event.frames], start + event.frames
            try:
                self._record(event, payload, records)
            except ValueError as exc:  # a client's header or id, passed on unparsed by the scheduler
                self.log.warning("dropped task event", reason=str(exc))
        if records is not None:
            self._write(records)

    def _write(self, records: _records.RecordBatch) -> None:
        """One write per batch; a failing store loses these records but never stops the hub."""
        if not self.store.keeps_records:
            return
        try:
            records.write(self.store)
        except Exception as exc:  # the backend's own error: a server gone away, a full disk
            self.log.error("task store failed; records of this batch are lost", error=repr(exc),
                           tasks=len(records.new) + len(records.changes))
            return
        self.queries.notify(records.finished)

    def _record(self, event: work.TaskEvent, payload: list, records: _records.RecordBatch | None) -> None:
        task_header = parse(header_pb2.Header, event.header)
        engine_uuid = event.engine_uuid.decode()  # a peer's routing id: not UTF-8 raises ValueError
        engine_id = self.registry.engine_id(engine_uuid)
        if event.kind == work.TaskEvent.SUBMITTED:
            if engine_uuid and engine_id is None:
                return  # sent as its engine left; the client fails it, and a record would stay pending forever
            self.counts.submitted(task_header.msg_id, engine_uuid)
            if records is not None:
                records.add(_records.submission(event, task_header, payload, engine_id))
                if task_header.resubmit_of:
                    records.change(task_header.resubmit_of, {"resubmitted": task_header.msg_id})
        elif event.kind == work.TaskEvent.ASSIGNED:
            self.counts.assigned(task_header.msg_id, engine_uuid)
            if records is not None:
                records.change(task_header.msg_id, {"engine_uuid": engine_uuid, "engine_id": engine_id})
        else:
            self.counts.finished(task_header.parent_id, engine_uuid)
            if records is not None:
                records.change(task_header.parent_id, _records.result(event, task_header, payload, engine_id))

    def _fail_held_tasks(self, info: reg.EngineInfo, reason: str) -> None:
        """An engine left: the tasks it held fail, in the counts and in their records."""
        held = self.counts.forget_engine(info.uuid)
        if not held:
            return
        records = _records.RecordBatch()
        failed = _records.failure("EngineError", f"engine {info.engine_id} died: {reason}", info.engine_id,
                                  time.time())
        for msg_id in held:
            records.change(msg_id, dict(failed))
        self._write(records)
