"""``ipcluster status [--output=json]``: a running controller's health, engines and queues, from its admin service.

It reads the profile's client connection file for the admin service's address, token and (with TLS) its
certificate, so it works wherever that file is: on the controller's host, or anywhere the file was
copied to when the service listens beyond loopback with TLS.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from traitlets import CaselessStrEnum, Float

from ipcluster.launchers._codes import NO_CLUSTER
from ipcluster.protocol import ADMIN_TOKEN_METADATA, CLIENT_FILE, ConnectionFileError, read_connection_file
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication

if TYPE_CHECKING:
    import grpc


class IPClusterStatus(BaseParallelApplication):
    name = "ipcluster"
    description = "Show a running controller's health, engines and queues (through its gRPC admin service)."
    config_file_stem = ""
    output = CaselessStrEnum(["text", "json"], default_value="text", help="text or json").tag(config=True)
    timeout = Float(5.0, help="seconds to wait for the admin service").tag(config=True)
    aliases = {**COMMON_ALIASES, "output": "IPClusterStatus.output", "timeout": "IPClusterStatus.timeout"}
    flags = COMMON_FLAGS

    def run(self) -> int:
        path = self.profile_path.security / CLIENT_FILE
        try:
            info = read_connection_file(path)
        except ConnectionFileError as exc:
            print(f"ipcluster: no controller for profile {self.profile_path.name!r}: {exc}", file=sys.stderr)
            return NO_CLUSTER
        if "admin_token" not in info:
            return self.fail(f"{path} names no admin service (written by an older ipcluster): restart the controller")
        import grpc  # here: every other ipcluster command would pay for importing it

        try:
            status = self._ask(info)
        except grpc.RpcError as exc:
            return self.fail(self._explain(exc, info["admin_address"]))
        print(json.dumps(status, indent=2) if self.output == "json" else render(status))
        return 0

    def _ask(self, info: dict[str, Any]) -> dict[str, Any]:
        import grpc

        from ipcluster.protocol.pb import admin_pb2, admin_pb2_grpc, registry_pb2

        address = info["admin_address"]
        if info.get("admin_cert"):
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(info["admin_cert"].encode()))
        else:
            channel = grpc.insecure_channel(address)
        with channel:
            stub = admin_pb2_grpc.AdminStub(channel)
            # wait_for_ready: a controller still starting gets the whole time-out to come up
            call = {"timeout": self.timeout, "wait_for_ready": True,
                    "metadata": ((ADMIN_TOKEN_METADATA, info["admin_token"]),)}
            health = stub.Health(admin_pb2.HealthRequest(), **call)
            engines = stub.Engines(admin_pb2.EnginesRequest(), **call).engines
            queues = stub.QueueStatus(registry_pb2.QueueStatusRequest(), **call)
        return {
            "profile": self.profile_path.name, "status": health.status, "uptime": round(health.uptime, 1),
            "task_store": health.task_store, "encrypted": health.encrypted, "controller_peers": health.peers,
            "unassigned_tasks": queues.unassigned,
            "engines": [{"id": e.engine_id, "host": e.hostname, "pid": e.pid,
                         "queue": queues.engines[e.engine_id].queue, "completed": queues.engines[e.engine_id].completed}
                        for e in sorted(engines, key=lambda e: e.engine_id)],
        }

    def _explain(self, exc: grpc.RpcError, address: str) -> str:
        import grpc

        code = exc.code()  # every RpcError a call raises is also a Call
        if code == grpc.StatusCode.UNAUTHENTICATED:
            return (f"the admin service at {address} refused this client file's token: the file is an earlier "
                    "run's, or another controller's; get its current ipcontroller-client.json")
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return (f"no answer from the controller's admin service at {address} within {self.timeout:g} s: is the "
                    f"controller of profile {self.profile_path.name!r} running? (`ipcluster start`)")
        return f"the admin service at {address} failed: {exc.details()}"


def render(status: dict[str, Any]) -> str:
    lines = [f"profile {status['profile']}: controller {status['status']}, up {status['uptime']:g} s, "
             f"{len(status['engines'])} engines, task store {status['task_store']}, "
             f"{'encrypted' if status['encrypted'] else 'not encrypted'}, "
             f"{status['unassigned_tasks']} tasks waiting for an engine"]
    if status["engines"]:
        host_width = max(4, *(len(engine["host"]) for engine in status["engines"]))
        lines.append(f"{'id':>4}  {'host':<{host_width}}  {'pid':>7}  {'queue':>5}  {'completed':>9}")
        lines += [f"{e['id']:>4}  {e['host']:<{host_width}}  {e['pid']:>7}  {e['queue']:>5}  {e['completed']:>9}"
                  for e in status["engines"]]
    return "\n".join(lines)
