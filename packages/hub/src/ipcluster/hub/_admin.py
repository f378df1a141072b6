"""The hub's gRPC admin surface: the controller's state, task lookup, and stopping engines or the controller.

gRPC serves from its own threads. Reads of the hub's tables copy them first (atomic under the GIL);
anything that asks the task store or changes the hub runs on the hub's own loop thread
(`Loop.call_soon_threadsafe`), which owns both. Each call must carry the client file's admin token as
``x-ipcluster-token`` metadata. The service listens on loopback unless TLS (``admin_certfile`` and
``admin_keyfile``) protects the token on the way.
"""

from __future__ import annotations

import errno
import hmac
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from ipcluster.protocol import ADMIN_TOKEN_METADATA
from ipcluster.protocol.pb import admin_pb2, admin_pb2_grpc

if TYPE_CHECKING:
    from ipcluster.hub._hub import Hub

LOOP_WAIT = 10.0  # seconds an admin call waits for the hub's loop before answering UNAVAILABLE


class AdminService(admin_pb2_grpc.AdminServicer):
    """The RPCs of admin.proto (their names are the .proto's)."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self._token = hub.spec.admin_token.encode()
        self._started = time.monotonic()

    def _authenticate(self, context: grpc.ServicerContext) -> None:
        given = dict(context.invocation_metadata()).get(ADMIN_TOKEN_METADATA, "")
        if not self._token or not hmac.compare_digest(given.encode(), self._token):
            context.abort(grpc.StatusCode.UNAUTHENTICATED,
                          f"pass the client file's admin_token as {ADMIN_TOKEN_METADATA} metadata")

    def _on_loop(self, context: grpc.ServicerContext, action: Callable[[], Any]) -> Any:
        """`action`'s result, computed on the hub's loop thread; its ValueError becomes FAILED_PRECONDITION."""
        done: Future = Future()

        def run() -> None:
            try:
                done.set_result(action())
            except Exception as exc:
                done.set_exception(exc)

        self.hub.loop.call_soon_threadsafe(run)
        try:
            return done.result(LOOP_WAIT)
        except FutureTimeout:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"the hub did not get to the request within {LOOP_WAIT:g} s")
        except ValueError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))

    def Statistics(self, request, context):
        self._authenticate(context)
        return admin_pb2.HubStatistics(**self.hub.statistics())

    def Engines(self, request, context):
        self._authenticate(context)
        return admin_pb2.EngineList(engines=self.hub.registry.engines())

    def QueueStatus(self, request, context):
        self._authenticate(context)
        return self._on_loop(context, lambda: self.hub.queue_status(set(request.targets)))

    def TaskLookup(self, request, context):
        self._authenticate(context)
        found = self._on_loop(context, lambda: self.hub.queries.lookup(list(request.msg_ids)))
        return admin_pb2.TaskLookupReply(tasks=[summary(msg_id, found.get(msg_id)) for msg_id in request.msg_ids])

    def StopEngine(self, request, context):
        self._authenticate(context)
        if not self._on_loop(context, lambda: self.hub.stop_engine(request.engine_id)):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no engine {request.engine_id} is registered")
        return admin_pb2.StopEngineReply()

    def Shutdown(self, request, context):
        self._authenticate(context)
        self._on_loop(context, lambda: self.hub.shutdown_controller("the admin service"))
        return admin_pb2.ShutdownReply()

    def Health(self, request, context):
        self._authenticate(context)
        spec = self.hub.spec
        return admin_pb2.HealthReply(status="ok", uptime=time.monotonic() - self._started,
                                     engines=len(self.hub.registry.engines()), peers=len(self.hub.peers),
                                     task_store=spec.db_class, encrypted=bool(spec.curve_server))


def summary(msg_id: str, record: dict | None) -> admin_pb2.TaskSummary:
    if record is None:
        return admin_pb2.TaskSummary(msg_id=msg_id, status="unknown")
    times = {key: record.get(key) or 0.0 for key in ("submitted", "started", "completed")}
    return admin_pb2.TaskSummary(msg_id=msg_id, status=record["status"], engine_id=record.get("engine_id"),
                                 queue=record.get("queue") or "", error=record.get("error") or "", **times)


def bind_admin_server(hub: Hub) -> grpc.Server:
    """The admin service, bound to its port (so a taken port fails at start-up) but not serving yet."""
    # no SO_REUSEPORT: a second controller on the same port must fail, not share it
    server = grpc.server(ThreadPoolExecutor(max_workers=2, thread_name_prefix="hub-admin"),
                         options=[("grpc.so_reuseport", 0)])
    admin_pb2_grpc.add_AdminServicer_to_server(AdminService(hub), server)
    spec = hub.spec
    address = spec.admin_address()
    _check_free(address)
    try:
        if spec.admin_cert:
            key = Path(spec.admin_keyfile).read_bytes()
            server.add_secure_port(address, grpc.ssl_server_credentials([(key, spec.admin_cert.encode())]))
        else:
            server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(errno.EADDRINUSE, f"cannot listen on {address} for the admin service ({exc})") from None
    return server


def _check_free(address: str) -> None:
    """Fail in one line before gRPC does: its core would also log the failure on a line of its own."""
    host, _, port = address.rpartition(":")
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no conflict
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {address} for the admin service: {exc.strerror}") from None
