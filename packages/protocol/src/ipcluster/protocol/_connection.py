"""Connection files: what engines and clients need to find and trust a controller.

``ipcontroller`` writes three files into the profile's ``security/`` folder,
each readable by the owner alone (mode 0600):

- ``ipcontroller-spec.json``: every address of every controller process, read
  by the hub, schedulers and heart monitor;
- ``ipcontroller-engine.json``: what an engine needs;
- ``ipcontroller-client.json``: what a client needs.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import zmq

from ipcluster.protocol import _curve
from ipcluster.protocol._addresses import routable_address
from ipcluster.protocol._session import PROTOCOL_VERSION

SPEC_FILE = "ipcontroller-spec.json"
ENGINE_FILE = "ipcontroller-engine.json"
CLIENT_FILE = "ipcontroller-client.json"
ADMIN_TOKEN_METADATA = "x-ipcluster-token"  # the gRPC metadata entry of the client file's admin_token

# Every socket the controller binds, by the name used in the files.
PORT_NAMES = (
    "registration",  # hub ROUTER: engines, clients, peers
    "notification",  # hub PUB: engine events for clients
    "hub_events",  # hub PULL: task events from schedulers
    "mux_client",
    "mux_engine",
    "task_client",
    "task_engine",
    "control_client",
    "control_engine",
    "iopub_engine",  # scheduler XSUB
    "iopub_client",  # scheduler XPUB
    "hb_ping",
    "hb_pong",
    "admin",  # hub gRPC: the admin service (state, task lookup, stopping engines or the controller)
)
ENGINE_PORTS = {"registration": "registration", "mux": "mux_engine", "task": "task_engine",
                "control": "control_engine", "iopub": "iopub_engine", "hb_ping": "hb_ping", "hb_pong": "hb_pong"}
CLIENT_PORTS = {"registration": "registration", "notification": "notification", "mux": "mux_client",
                "task": "task_client", "control": "control_client", "iopub": "iopub_client", "admin": "admin"}


class ConnectionFileError(RuntimeError):
    """A connection file is missing, unreadable or from another version."""


def is_wildcard(ip: str) -> bool:
    """Whether `ip` means every interface."""
    return ip in ("*", "0.0.0.0", "")


def free_ports(count: int, ip: str = "127.0.0.1") -> list[int]:
    """Ports the OS calls free right now (bound and released together, so distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("" if is_wildcard(ip) else ip, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def guess_location(ip: str) -> str:
    """The address peers should dial when the controller binds `ip`: for every interface, this host's routable
    address, since the other hosts are why one listens on every interface (loopback when it has no other)."""
    if is_wildcard(ip):
        return routable_address() or "127.0.0.1"
    return ip


@dataclass
class ControllerSpec:
    """Every address and setting the controller's processes share."""

    key: str
    ip: str = "127.0.0.1"
    location: str = "127.0.0.1"
    transport: str = "tcp"
    ports: dict[str, int] = field(default_factory=dict)
    ssh: str = ""
    engine_ssh: str = ""
    signature_scheme: str = "hmac-sha256"
    task_scheme: str = "leastload"
    hwm: int = 1
    heartbeat_period_ms: int = 1000
    heartbeat_misses: int = 5
    # the hub's task-record store: a class of STORE_CLASSES, and the config sections of the stores
    # (``{"SQLiteDB": {"table": "tasks"}}``), which the hub applies as traitlets config
    db_class: str = "DictDB"
    # the largest buffers (bytes per message) the scheduler passes on for the hub's records
    record_buffer_limit: int = 1 << 20
    # the controller's profile folder: where a file-based store keeps a relative filename
    profile_dir: str = ""
    db_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    # CurveZMQ (_curve.py): key pairs {"public", "secret"} of the controller and of the engine and client files,
    # and the allow-list's path; all empty when traffic is not encrypted
    curve_server: dict[str, str] = field(default_factory=dict)
    curve_engine: dict[str, str] = field(default_factory=dict)
    curve_client: dict[str, str] = field(default_factory=dict)
    curve_keys_file: str = ""
    # the hub's gRPC admin service: the token every call carries, the interface it listens on (loopback unless
    # TLS protects the token), and its TLS certificate (PEM text, given to clients to verify it) and key file
    admin_token: str = ""
    admin_ip: str = "127.0.0.1"
    admin_cert: str = ""
    admin_keyfile: str = ""
    version: int = PROTOCOL_VERSION

    def bind_url(self, name: str) -> str:
        host = "*" if is_wildcard(self.ip) else self.ip
        return f"{self.transport}://{host}:{self.ports[name]}"

    def connect_url(self, name: str) -> str:
        return f"{self.transport}://{self.location}:{self.ports[name]}"

    def engine_info(self) -> dict[str, Any]:
        return self._public(ENGINE_PORTS, ssh=self.engine_ssh, heartbeat_period_ms=self.heartbeat_period_ms,
                            **self._curve_entry(self.curve_engine))

    def client_info(self) -> dict[str, Any]:
        return self._public(CLIENT_PORTS, ssh=self.ssh, task_scheme=self.task_scheme,
                            **self._curve_entry(self.curve_client), **self._admin_entry())

    def admin_address(self, dial: bool = False) -> str:
        """host:port of the admin service, to listen on or (`dial`) to connect to."""
        host = self.admin_ip
        if is_wildcard(host):
            host = self.location if dial else "0.0.0.0"
        return f"{host}:{self.ports['admin']}"

    def _admin_entry(self) -> dict[str, Any]:
        entry = {"admin_token": self.admin_token, "admin_address": self.admin_address(dial=True)}
        return {**entry, "admin_cert": self.admin_cert} if self.admin_cert else entry

    def _curve_entry(self, pair: dict[str, str]) -> dict[str, Any]:
        """A connection file's "curve" keys: the server's public key and the file's own pair."""
        if not self.curve_server:
            return {}
        return {"curve": {"serverkey": self.curve_server["public"], "publickey": pair["public"],
                          "secretkey": pair["secret"]}}

    def serve(self, socket: zmq.Socket) -> None:
        """A controller socket about to bind: a Curve server when traffic is encrypted."""
        if self.curve_server:
            _curve.serve(socket, self.curve_server["secret"])

    def dial(self, socket: zmq.Socket) -> None:
        """A controller process's socket about to connect to another's: a Curve client with the controller's key."""
        if self.curve_server:
            _curve.dial(socket, self._curve_entry(self.curve_server)["curve"])

    def _public(self, port_map: dict[str, str], **extra: Any) -> dict[str, Any]:
        info: dict[str, Any] = {
            "version": self.version,
            "key": self.key,
            "signature_scheme": self.signature_scheme,
            "location": self.location,
            "interface": f"{self.transport}://{self.location}",
            "url": self.connect_url("registration"),
        }
        info.update({public: self.ports[internal] for public, internal in port_map.items()})
        info.update(extra)
        return info

    @classmethod
    def from_dict(cls, data: Any, source: str = "the controller spec") -> ControllerSpec:
        """A spec from a file's contents: what it lacks is a ConnectionFileError naming `source`, not a KeyError later
        deep in a service."""
        if not isinstance(data, dict):
            raise ConnectionFileError(f"{source} is not a controller spec: it holds a JSON {_json_type(data)}, "
                                      "not a JSON object")
        _check_key(data, source)
        if not isinstance(data.get("ports"), dict):
            raise ConnectionFileError(f'{source} is not a controller spec: it has no "ports" object '
                                      "(rewrite it by restarting the controller)")
        _check_ports(data["ports"], PORT_NAMES, source)
        for spec_field in fields(cls):
            _check_type(data, spec_field.name, type(getattr(_REFERENCE, spec_field.name)), source)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_REFERENCE = ControllerSpec(key="")  # the type of each field's default is the type a spec file must hold


def read_connection_file(path: str | os.PathLike, wait: float = 0.0, ports: Iterable[str] = ()) -> dict[str, Any]:
    """Read a connection file, waiting up to `wait` seconds for a starting controller to write it.

    Anything but a JSON object with a "key" string is a ConnectionFileError, and so is a missing or
    non-numeric port among `ports` (the ones the caller will dial), so a damaged file is one clear line.
    """
    path = Path(path)
    deadline = time.monotonic() + wait
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a file appearing has no event to wait on that works on every filesystem
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConnectionFileError(
            f"no connection file at {path}: start a controller first (ipcluster start or ipcontroller)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConnectionFileError(f"cannot read connection file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConnectionFileError(f"{path} is not a connection file: it holds a JSON {_json_type(data)}, "
                                  "not a JSON object")
    version = data.get("version", PROTOCOL_VERSION)
    if version != PROTOCOL_VERSION:
        raise ConnectionFileError(
            f"{path} was written by protocol version {version}, this is version {PROTOCOL_VERSION}: "
            "restart the controller with this ipcluster version"
        )
    _check_key(data, str(path))
    _check_curve(data, str(path))
    if ports:
        _check_type(data, "interface", str, str(path), required=True)
        _check_ports(data, ports, str(path))
    return data


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _check_key(data: dict[str, Any], source: str) -> None:
    if not isinstance(data.get("key"), str):
        raise ConnectionFileError(f'{source} is not a connection file: it has no "key" string '
                                  "(rewrite it by restarting the controller)")


def _check_curve(data: dict[str, Any], source: str) -> None:
    """A "curve" entry must hold three Z85 keys: a damaged one would be a ZMQError deep in socket set-up."""
    curve = data.get("curve")
    if curve is None:
        return
    names = ("serverkey", "publickey", "secretkey")
    if not isinstance(curve, dict) or not all(isinstance(curve.get(n), str) and len(curve[n]) == 40 for n in names):
        raise ConnectionFileError(f'{source}: "curve" should hold {", ".join(names)} as 40-character Z85 keys '
                                  "(get the controller's current file)")


def _check_ports(ports: dict[str, Any], names: Iterable[str], source: str) -> None:
    """Every named port must be a port number: a missing one would be a KeyError deep in a service."""
    bad = [name for name in names if not _is_port(ports.get(name))]
    if bad:
        raise ConnectionFileError(f"{source} lacks valid port numbers for {', '.join(bad)} "
                                  "(rewrite it by restarting the controller)")


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _check_type(data: dict[str, Any], name: str, expected: type, source: str, required: bool = False) -> None:
    if name not in data:
        if required:
            raise ConnectionFileError(f'{source} is not a connection file: it has no "{name}"')
        return
    value = data[name]
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise ConnectionFileError(f'{source}: "{name}" should be a {_json_type(expected())}, not {value!r}')


def url(info: dict[str, Any], name: str) -> str:
    """The address of socket `name` in a client or engine connection file."""
    return f"{info['interface']}:{info[name]}"
