"""The scheduler process: direct, control and task queues, and the iopub forwarder.

It joins the hub as a peer to hear about engines, and pushes task events to
the hub without waiting for anything back. When the hub keeps records, each
event carries its message's content and buffers: the frames just received,
sent on without a copy. Buffers over the record limit are left out, so a
100 MB push does not travel to the hub too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import zmq

from ipcluster.protocol import ControllerSpec, HubPeer, Loop, Session, header_pb2
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work
from ipcluster.scheduler._direct import DirectRouter
from ipcluster.scheduler._revoked import RevokedKeys
from ipcluster.scheduler._task import TaskScheduler
from ipcluster.scheduler.policies import load_policy

MT = header_pb2.MsgType
# Task events wait at most this long, or until this many, before going to the hub.
EVENT_DELAY = 0.01
EVENT_BATCH = 512


class Scheduler:
    def __init__(self, spec: ControllerSpec, log, context: zmq.Context | None = None):
        self.spec = spec
        self.log = log
        self.context = context or zmq.Context.instance()
        self.session = Session(spec.key.encode())
        self.loop = Loop()
        self._sockets: list[zmq.Socket] = []

        self.hub = self._socket(zmq.DEALER, connect=spec.connect_url("registration"))
        self.hub_events = self._socket(zmq.PUSH, connect=spec.connect_url("hub_events"))
        self.mux = DirectRouter(
            self._socket(zmq.ROUTER, bind="mux_client"),
            self._socket(zmq.ROUTER, bind="mux_engine"),
            self.session,
            log,
            on_request=self._direct_submitted,
            on_reply=self._direct_finished,
        )
        self.control = DirectRouter(
            self._socket(zmq.ROUTER, bind="control_client"), self._socket(zmq.ROUTER, bind="control_engine"),
            self.session, log,
        )
        self.tasks = TaskScheduler(
            self._socket(zmq.ROUTER, bind="task_client"),
            self._socket(zmq.ROUTER, bind="task_engine"),
            self.session,
            load_policy(spec.task_scheme),
            spec.hwm,
            self._task_event,
            log,
            self.loop.call_later,
            self._abort_on_engine,
        )
        # a steerable proxy, so close() can end the forwarder thread and free its ports
        self._iopub_steer = self.context.socket(zmq.PAIR)
        self._iopub_steer.bind(f"inproc://iopub-steer-{id(self)}")
        self._iopub_control = self.context.socket(zmq.PAIR)
        self._iopub_control.connect(f"inproc://iopub-steer-{id(self)}")
        self._iopub = threading.Thread(
            target=zmq.proxy_steerable,
            args=(self._socket(zmq.XSUB, bind="iopub_engine"), self._socket(zmq.XPUB, bind="iopub_client"), None,
                  self._iopub_control),
            name="iopub-forwarder",
            daemon=True,
        )
        # with Curve, readers that can drop what a revoked key sends once one is revoked
        readers = RevokedKeys(spec, self.loop, log) if spec.curve_server else self.loop
        for router in (self.mux, self.control):
            readers.add_reader(router.client_side, router.from_client)
            readers.add_reader(router.engine_side, router.from_engine)
        readers.add_reader(self.tasks.client_side, self.tasks.from_client)
        readers.add_reader(self.tasks.engine_side, self.tasks.from_engine)
        self.hub_peer = HubPeer(self.hub, self.session, "scheduler", log, self._engine_joined, self._engine_left)
        self.loop.add_reader(self.hub, self.hub_peer.receive)
        self._events = work.TaskEvents()
        self._payloads: list[zmq.Frame] = []
        self._keep_payloads = spec.db_class != "NoDB"
        self._buffer_limit = spec.record_buffer_limit

    def _socket(self, kind: int, *, bind: str | None = None, connect: str | None = None) -> zmq.Socket:
        socket = self.context.socket(kind)
        socket.linger = 0
        socket.sndhwm = socket.rcvhwm = 0
        if bind:
            self.spec.serve(socket)
            socket.bind(self.spec.bind_url(bind))
        if connect:
            self.spec.dial(socket)
            socket.connect(connect)
        self._sockets.append(socket)
        return socket

    def run(self) -> None:
        self._iopub.start()
        self.hub_peer.hello()
        self.log.info("scheduler started", scheme=self.spec.task_scheme, hwm=self.spec.hwm)
        self.loop.run()

    def close(self) -> None:
        if self._iopub.is_alive():
            self._iopub_steer.send(b"TERMINATE")
            self._iopub.join(timeout=5)
        for socket in [*self._sockets, self._iopub_control, self._iopub_steer]:
            socket.close()
        self.loop.close()

    # -- the hub's word on engines

    def _engine_joined(self, info: reg.EngineInfo) -> None:
        self.tasks.engine_registered(info.uuid.encode(), info.engine_id)

    def _engine_left(self, info: reg.EngineInfo) -> None:
        uuid = info.uuid.encode()
        self.mux.forget(uuid)
        self.control.forget(uuid)
        self.tasks.engine_unregistered(uuid)

    def _abort_on_engine(self, engine_uuid: bytes, msg_ids: list[str]) -> None:
        """Ask an engine, over its control queue, to abort load-balanced tasks it holds; its reply goes nowhere."""
        request = work.ControlRequest(action=work.ControlRequest.ABORT, msg_ids=msg_ids)
        frames = self.session.frames(self.session.header(MT.CONTROL_REQUEST), request)
        self.control.send_to_engine(engine_uuid, [engine_uuid, b"task-scheduler", *frames])  # parks, never raises

    # -- task events for the hub's records

    def _task_event(self, kind: int, header: bytes, client_id: bytes, engine_uuid: bytes, payload: Sequence = (),
                    queue=work.TASK) -> None:
        """Queue an event for the hub; they go in batches, so the hub wakes rarely and never slows a task."""
        omitted = 0
        if not self._keep_payloads:
            payload = ()
        elif len(payload) > 1:
            omitted = sum(len(frame) for frame in payload[1:])
            if omitted > self._buffer_limit:
                payload = payload[:1]  # the content (times, output, errors) is always recorded
            else:
                omitted = 0
        events = self._events.events
        events.add(kind=kind, queue=queue, header=header, client_id=client_id, engine_uuid=engine_uuid,
                   time=time.time(), frames=len(payload), omitted_bytes=omitted)
        self._payloads.extend(payload)
        if len(events) == 1:
            self.loop.call_later(EVENT_DELAY, self._flush_task_events)
        elif len(events) >= EVENT_BATCH:
            self._flush_task_events()

    def _flush_task_events(self) -> None:
        if self._events.events:
            self.session.send(self.hub_events, self.session.header(MT.TASK_EVENT), self._events, self._payloads)
            self._events = work.TaskEvents()
            self._payloads = []

    def _direct_submitted(self, client_id: bytes, engine_uuid: bytes, frames: list[zmq.Frame]) -> None:
        self._task_event(work.TaskEvent.SUBMITTED, frames[4].bytes, client_id, engine_uuid, frames[5:], work.DIRECT)

    def _direct_finished(self, client_id: bytes, engine_uuid: bytes, frames: list[zmq.Frame]) -> None:
        self._task_event(work.TaskEvent.FINISHED, frames[4].bytes, client_id, engine_uuid, frames[5:], work.DIRECT)
