"""The hub's gRPC admin surface: read-only statistics for tools, off the message loop.

gRPC serves from its own threads; they only read the hub's tables (copying
them first, which the GIL makes atomic), never change them. Each call must
carry the connection key as ``x-ipcluster-key`` metadata, so the port listens
on loopback only: tools on the controller's host use it.
"""

from __future__ import annotations

import errno
import hmac
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import grpc

from ipcluster.protocol.pb import admin_pb2, admin_pb2_grpc

if TYPE_CHECKING:
    from ipcluster.hub._hub import Hub

KEY_METADATA = "x-ipcluster-key"


class AdminService(admin_pb2_grpc.AdminServicer):
    def __init__(self, hub: Hub):
        self.hub = hub
        self._key = hub.spec.key.encode()

    def _authenticate(self, context: grpc.ServicerContext) -> None:
        given = dict(context.invocation_metadata()).get(KEY_METADATA, "")
        if not hmac.compare_digest(given.encode(), self._key):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"pass the connection file's key as {KEY_METADATA}")

    def Statistics(self, request, context):  # named by the .proto
        self._authenticate(context)
        return admin_pb2.HubStatistics(**self.hub.statistics())

    def Engines(self, request, context):
        self._authenticate(context)
        return admin_pb2.EngineList(engines=self.hub.registry.engines())


def bind_admin_server(hub: Hub) -> grpc.Server:
    """The admin service, bound to its port (so a taken port fails at start-up) but not serving yet."""
    # no SO_REUSEPORT: a second controller on the same port must fail, not share it
    server = grpc.server(ThreadPoolExecutor(max_workers=2, thread_name_prefix="hub-admin"),
                         options=[("grpc.so_reuseport", 0)])
    admin_pb2_grpc.add_AdminServicer_to_server(AdminService(hub), server)
    # loopback only, whatever the controller's --ip: the key travels in clear over this port
    address = f"127.0.0.1:{hub.spec.ports['admin']}"
    _check_free(hub.spec.ports["admin"], address)
    try:
        server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(errno.EADDRINUSE, f"cannot listen on {address} for the admin service ({exc})") from None
    return server


def _check_free(port: int, address: str) -> None:
    """Fail in one line before gRPC does: its core would also log the failure on a line of its own."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no conflict
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {address} for the admin service: {exc.strerror}") from None
