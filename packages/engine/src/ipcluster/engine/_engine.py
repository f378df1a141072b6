"""An engine: registers with the hub, then runs what the schedulers send it.

Sockets, all with the engine's uuid as identity: a DEALER to the hub, DEALERs
to the direct, task and control queues, a PUB for output, and a heart that
echoes pings from a zmq device thread so a busy engine is never taken for dead.
"""

from __future__ import annotations

import os
import socket as socketlib
import struct
import sys
import threading
import time
import uuid as uuidlib
from typing import Any

import zmq
import zmq.devices

from ipcluster.engine._control import AbortedTasks, ControlWatch, act_on_running_task
from ipcluster.engine._kernel import Kernel, error_info, utf8_safe
from ipcluster.engine._registration import await_answer, engine_id_from_reply
from ipcluster.engine._signals import StopSignals, TaskAborted
from ipcluster.engine._streams import OutStream
from ipcluster.protocol import (
    HANDSHAKE_EVENTS,
    NO_ENGINE,
    Loop,
    Message,
    Session,
    SshSettings,
    curve_options,
    dial_curve,
    header_pb2,
    open_tunnel,
    readable,
    url,
)
from ipcluster.protocol import registry_pb2 as reg
from ipcluster.protocol import work_pb2 as work

MT = header_pb2.MsgType
_BEAT = struct.Struct("<Q")  # a ping, as the heart monitor packs it


class Engine:
    def __init__(self, info: dict[str, Any], log, *, timeout: float = 5.0, max_heartbeat_misses: int = 50,
                 requested_id: int = NO_ENGINE, ssh: SshSettings | None = None):
        self.info = info  # the controller's addresses, which messages name
        # what the sockets connect to: the controller, or our end of an ssh tunnel to it
        self.dial, self.tunnel = open_tunnel(info, ssh or SshSettings())
        self.log = log
        self.timeout = timeout
        self.requested_id = requested_id
        self.uuid = uuidlib.uuid4().hex
        self.engine_id = NO_ENGINE
        self.session = Session(info["key"].encode())
        self.context = zmq.Context()
        self.loop = Loop()
        self.kernel = Kernel()
        self.signals = StopSignals(self.loop.stop)
        self._period = info.get("heartbeat_period_ms", 1000) / 1000
        self._silence_limit = self._period * max_heartbeat_misses
        self._last_ping = time.monotonic()
        self._last_beat = 0  # the heart monitor's counter in its last ping: it only goes up
        self._iopub_lock = threading.Lock()
        self._current_parent = ""
        self.exit_code = 0  # 1 when the controller was lost or gave up on this engine

        self.hub = self._socket(zmq.DEALER, "registration", watch=True)
        self.mux = self._socket(zmq.DEALER, "mux")
        self.task = self._socket(zmq.DEALER, "task")
        self.control = self._socket(zmq.DEALER, "control")
        self.iopub = self._socket(zmq.PUB, "iopub")
        self.ping_watch = self._socket(zmq.SUB, "hb_ping")
        self.ping_watch.subscribe(b"")
        self.heart = self._start_heart()
        self.aborted = AbortedTasks()
        self.control_watch = ControlWatch(self.control, self.session, self.signals, self.aborted,
                                          lambda msg, error: self._answer_control(self.control, msg, error), log)
        self.stdout = OutStream("stdout", self._publish_stream, self._iopub_lock)
        self.stderr = OutStream("stderr", self._publish_stream, self._iopub_lock)

    def _socket(self, kind: int, name: str, watch: bool = False) -> zmq.Socket:
        sock = self.context.socket(kind)
        sock.linger = 1000 if kind in (zmq.DEALER, zmq.PUB) else 0
        sock.sndhwm = sock.rcvhwm = 0
        if kind == zmq.DEALER:
            sock.identity = self.uuid.encode()
        dial_curve(sock, self.info.get("curve"))
        if watch:  # before connecting, or the handshake's outcome may come unseen
            self.hub_watch = sock.get_monitor_socket(HANDSHAKE_EVENTS)
        sock.connect(url(self.dial, name))
        return sock

    def _start_heart(self) -> zmq.devices.ThreadDevice:
        heart = zmq.devices.ThreadDevice(zmq.FORWARDER, zmq.SUB, zmq.DEALER)
        heart.daemon = True
        heart.setsockopt_in(zmq.SUBSCRIBE, b"")
        heart.setsockopt_out(zmq.IDENTITY, self.uuid.encode())
        heart.setsockopt_out(zmq.LINGER, 0)
        for option, value in curve_options(self.info.get("curve")):
            heart.setsockopt_in(option, value)
            heart.setsockopt_out(option, value)
        heart.connect_in(url(self.dial, "hb_ping"))
        heart.connect_out(url(self.dial, "hb_pong"))
        heart.start()
        return heart

    # -- start-up

    def handle_signals(self) -> None:
        """SIGTERM and SIGINT stop the engine, interrupting the task that runs (see StopSignals)."""
        self.signals.install()

    def run_startup_code(self, code: str, filename: str = "<execute>") -> None:
        """Run start-up code in the namespace; a stop signal interrupts it like a task."""
        with self.signals:
            self.kernel.execute(code, filename)

    def register(self) -> int:
        """Say hello to every queue, then register with the hub; returns the engine id."""
        for queue in (self.mux, self.task, self.control):
            self.session.send(queue, self.session.header(MT.ENGINE_HELLO))
        request = reg.RegistrationRequest(
            uuid=self.uuid, requested_id=self.requested_id, hostname=socketlib.gethostname(), pid=os.getpid()
        )
        self.session.send(self.hub, self.session.header(MT.REGISTRATION_REQUEST), request)
        await_answer(self.hub, self.hub_watch, self.timeout, self.info, self.tunnel)
        self.engine_id = engine_id_from_reply(self.session, self.hub, url(self.info, "registration"))
        self.log = self.log.bind(engine_id=self.engine_id)
        self.log.info("registered", uuid=self.uuid, controller=url(self.info, "registration"))
        return self.engine_id

    def run(self) -> None:
        """Serve until told to stop; control requests go before work."""
        sys.stdout, sys.stderr = self.stdout, self.stderr
        self.loop.add_reader(self.control, lambda frames: self._on_request(self.control, frames), priority=True)
        self.loop.add_reader(self.mux, lambda frames: self._on_request(self.mux, frames))
        self.loop.add_reader(self.task, lambda frames: self._on_request(self.task, frames))
        self.loop.add_reader(self.ping_watch, self._on_ping)
        self.loop.add_reader(self.hub, self._on_hub)
        self.loop.call_every(self._period, self._check_controller)
        self.control_watch.start()
        self.loop.run()

    def close(self) -> None:
        self.control_watch.stop()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if self.engine_id != NO_ENGINE:
            request = reg.UnregistrationRequest(uuid=self.uuid, reason="engine shut down")
            self.session.send(self.hub, self.session.header(MT.UNREGISTRATION_REQUEST), request)
        self.context.destroy(linger=500)
        self.loop.close()
        if self.tunnel is not None:
            self.tunnel.close()

    # -- liveness of the controller

    def _on_hub(self, frames: list[zmq.Frame]) -> None:
        """The hub unregistered this engine (it missed heartbeats): exit rather than linger unseen."""
        try:
            msg = self.session.unpack(frames)
            event = msg.content(reg.EngineEvent) if msg.header.msg_type == MT.ENGINE_EVENT else None
        except ValueError as exc:
            self.log.warning("dropped hub message", reason=str(exc))
            return
        if event is not None and event.kind == reg.EngineEvent.UNREGISTERED and event.engine.uuid == self.uuid:
            self.log.error("the controller unregistered this engine; exiting", reason=event.reason)
            self.engine_id = NO_ENGINE  # nothing to unregister on the way out
            self.exit_code = 1
            self.loop.stop()

    def _on_ping(self, frames: list[zmq.Frame]) -> None:
        """A ping is the heart monitor's beat counter; one going back means a new monitor.

        A controller restarted with --reuse pings on the same port, but its
        hub does not know this engine and its monitor ignores the pongs: exit
        rather than run on unregistered, as when the controller is lost.
        """
        self._last_ping = time.monotonic()
        if len(frames) != 1 or len(frames[0]) != _BEAT.size:
            return
        (beat,) = _BEAT.unpack(frames[0].buffer)
        if not self._last_beat:  # the heartbeat path works: say so once, so a blocked port is not a mystery
            self.log.info("heard the controller's heartbeat", beat=beat)
        elif beat <= self._last_beat:
            self._leave(f"the controller at {url(self.info, 'hb_ping')} restarted (its heartbeat counter went back "
                        f"from {self._last_beat} to {beat}) and does not know this engine",
                        beat=beat, last_beat=self._last_beat)
            self.engine_id = NO_ENGINE  # the new hub has nothing to unregister
        self._last_beat = beat

    def _check_controller(self) -> None:
        if readable(self.ping_watch):  # pings queued while a long task ran: the loop reads them next
            return
        silent = time.monotonic() - self._last_ping
        if silent > self._silence_limit:
            self._leave(f"no heartbeat from the controller at {url(self.info, 'hb_ping')} for {silent:.0f} s",
                        seconds=round(silent, 1))

    def _leave(self, reason: str, **details: object) -> None:
        """Lost the controller: one line on stderr and in the log, then exit code 1."""
        self.log.error("lost the controller", reason=reason, **details)
        print(f"ipengine: {reason}; exiting", file=sys.__stderr__)
        self.exit_code = 1
        self.loop.stop()

    # -- requests

    def _on_request(self, socket: zmq.Socket, frames: list[zmq.Frame]) -> None:
        try:
            msg = self.session.unpack(frames)
        except ValueError as exc:
            self.log.warning("dropped message", reason=str(exc))
            return
        self._dispatch(socket, msg)

    def _dispatch(self, socket: zmq.Socket, msg: Message) -> None:
        msg_type = msg.header.msg_type
        if msg_type == MT.APPLY_REQUEST:
            self._run_task(socket, msg, MT.APPLY_REPLY)
        elif msg_type == MT.EXECUTE_REQUEST:
            self._run_task(socket, msg, MT.EXECUTE_REPLY)
        elif msg_type == MT.CONTROL_REQUEST:
            self._control(socket, msg)
        else:
            self.log.warning("unexpected message", msg_type=MT.Name(msg_type))

    def _run_task(self, socket: zmq.Socket, msg: Message, reply_type: MT) -> None:
        self._current_parent = msg_id = msg.header.msg_id
        started = time.time()
        result: list = []
        shown = ""  # an execute's trailing expression, for Out[]
        error = None
        time_limit = msg.header.task.time_limit if msg.header.HasField("task") else 0.0
        try:
            if msg_id in self.aborted:
                raise TaskAborted("aborted by a client before it ran")
            with self.signals.running(msg_id, time_limit):
                if reply_type == MT.APPLY_REPLY:
                    request = msg.content(work.ApplyRequest)
                    result = self.kernel.apply(msg.buffers, request.function_buffers, request.map)
                else:
                    execute = msg.content(work.ExecuteRequest)
                    shown = self.kernel.execute(execute.code, silent=execute.silent)
        except BaseException as exc:  # whatever user code raises goes back to the client, EngineStopped too
            error = error_info(exc, self.engine_id)
        self.control_watch.take_back()
        reply = work.TaskReply(
            started=started,
            completed=time.time(),
            stdout=utf8_safe(self.stdout.take()),
            stderr=utf8_safe(self.stderr.take()),
            engine_id=self.engine_id,
            engine_uuid=self.uuid,
            execute_result=utf8_safe(shown),
            execution_count=self.kernel.execution_count,
        )
        if error is not None:
            reply.error.CopyFrom(error)
        status = header_pb2.ERROR if error is not None else header_pb2.OK
        header = self.session.header(reply_type, parent_id=msg.header.msg_id, engine_id=self.engine_id, status=status)
        self.session.send(socket, header, reply, result, idents=msg.idents)
        self._current_parent = ""
        while self.control_watch.handed_over:  # what the watch thread read while the task ran, and left to us
            self._dispatch(self.control, self.control_watch.handed_over.popleft())

    def _control(self, socket: zmq.Socket, msg: Message) -> None:
        try:
            request = msg.content(work.ControlRequest)
        except ValueError as exc:
            self.log.warning("dropped control request", reason=str(exc))
            return
        action, error = request.action, None
        if action == work.ControlRequest.CLEAR:
            self.kernel.clear()
        elif action != work.ControlRequest.SHUTDOWN:
            error = act_on_running_task(request, self.signals, self.aborted)
        self._answer_control(socket, msg, error)
        if action == work.ControlRequest.SHUTDOWN:
            self.log.info("shutting down on request")
            self.loop.stop()

    def _answer_control(self, socket: zmq.Socket, msg: Message, error: str | None) -> None:
        """Reply to a control request (from the watch thread too, which then holds the socket)."""
        reply = work.ControlReply()
        if error is not None:
            reply.error.CopyFrom(work.RemoteErrorInfo(ename="ControlError", evalue=error, engine_id=self.engine_id))
        header = self.session.header(MT.CONTROL_REPLY, parent_id=msg.header.msg_id, engine_id=self.engine_id,
                                     status=header_pb2.ERROR if error is not None else header_pb2.OK)
        self.session.send(socket, header, reply, idents=msg.idents)

    def _publish_stream(self, name: str, text: str) -> None:
        """Called with the iopub lock held (see OutStream); a stop signal must not cut the message in half."""
        header = self.session.header(MT.STREAM, parent_id=self._current_parent, engine_id=self.engine_id)
        with self.signals.deferred():
            self.session.send(self.iopub, header, work.StreamOutput(name=name, text=utf8_safe(text)))
