"""CurveZMQ on every socket: traffic is encrypted, and each peer is admitted by its own public key.

ipyparallel encrypts nothing, and plain CurveZMQ admits anyone who holds the server's public key. Here
the engine file and the client file each carry a key pair of their own, the controller admits a peer
only if its public key is on the allow-list (``security/ipcontroller-keys.json``, checked through ZAP
at every handshake), and ``ipcluster keys revoke NAME`` takes a key off the list.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zmq
from zmq.utils import z85

from ipcluster.protocol._addresses import is_loopback
from ipcluster.protocol._private import write_private_json

KEYS_FILE = "ipcontroller-keys.json"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"  # where libzmq asks, as RFC 27 fixes it
ZAP_DOMAIN = b"ipcluster"
MODES = ("disabled", "auto", "required")


class CurveError(RuntimeError):
    """Curve was asked for and cannot be had; the message says what to change."""


def curve_wanted(mode: bool | str, ip: str) -> bool:
    """`mode` as the setting gives it: on for True/'required', off for False/'disabled', and with 'auto',
    on when the controller listens beyond loopback (anyone on the network could read it otherwise)."""
    if mode in (True, "required"):
        if not zmq.has("curve"):
            raise CurveError("c.IPControllerApp.curve is required but this libzmq has no CurveZMQ: install pyzmq's "
                             "wheel (pip install --force-reinstall pyzmq) or set curve = 'auto'")
        return True
    if mode in (False, "disabled"):
        return False
    return zmq.has("curve") and not is_loopback(ip)


# what a peer watches on its connection to the hub, to tell a refused handshake from a silent controller
HANDSHAKE_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


def handshake_failure(event: int, address: str, kind: str) -> str:
    """What to tell the user when the handshake with the controller at `address` failed (`kind`: 'client')."""
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return (f"the controller at {address} refused this connection file's Curve key: it was revoked "
                f"(`ipcluster keys list`), or the file is another controller's; get its current {kind} file")
    return (f"the encryption handshake with the controller at {address} failed: its CurveZMQ setting or keys do "
            f"not match this connection file's; get its current {kind} file")


def new_key_pair() -> dict[str, str]:
    public, secret = zmq.curve_keypair()
    return {"public": public.decode(), "secret": secret.decode()}


def serve(socket: zmq.Socket, server_secret: str) -> None:
    """Make a binding socket a Curve server whose peers ZAP must admit; before bind."""
    socket.curve_server = True
    socket.curve_secretkey = server_secret.encode()
    socket.zap_domain = ZAP_DOMAIN


def client_options(curve: dict[str, str] | None) -> list[tuple[int, bytes]]:
    """The socket options of a Curve client with the keys of a connection file's "curve" entry (none: plain)."""
    if not curve:
        return []
    return [(zmq.CURVE_SERVERKEY, curve["serverkey"].encode()), (zmq.CURVE_PUBLICKEY, curve["publickey"].encode()),
            (zmq.CURVE_SECRETKEY, curve["secretkey"].encode())]


def dial(socket: zmq.Socket, curve: dict[str, str] | None) -> None:
    """Make a connecting socket a Curve client (when the file has keys); before connect."""
    for option, value in client_options(curve):
        socket.setsockopt(option, value)


def key_of(frames: Sequence[zmq.Frame]) -> str:
    """The name of the key a message's sender was admitted with (ZAP's answer, ZeroMQ's "User-Id"); '' without."""
    name = frames[-1].get("User-Id")
    return name if isinstance(name, str) else ""


class AllowList:
    """The named public keys the controller admits, read again whenever the file changes."""

    def __init__(self, path: Path, always: str, log: Any):
        self.path = path
        self.always = always  # the controller's own processes (scheduler, heart monitor) dial with its key
        self.log = log
        self._seen: tuple[int, int, int] | None = None  # (inode, mtime in ns, size): written by os.replace
        self._keys: dict[str, dict[str, Any]] = {}

    def verdict(self, public: str) -> tuple[bool, str]:
        """(admitted, the key's name or why not)."""
        if public == self.always:
            return True, "controller"
        self._reload()
        for name, entry in self._keys.items():
            if entry.get("public") == public:
                return (False, f"its key {name!r} was revoked") if entry.get("revoked") else (True, name)
        return False, "its key is not on the allow-list (a connection file of another controller?)"

    def revoked(self) -> set[str]:
        """The names of the revoked keys, as the file says now."""
        self._reload()
        return {name for name, entry in self._keys.items() if entry.get("revoked")}

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            stat = None
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size) if stat else None
        if seen == self._seen and stat:
            return
        self._seen = seen
        try:
            self._keys = read_keys(self.path)
        except CurveError as exc:  # refuse every peer but our own processes until it is readable again
            self._keys = {}
            self.log.error("cannot read the allow-list: refusing every peer", reason=str(exc))


def read_keys(path: Path) -> dict[str, dict[str, Any]]:
    """The allow-list's entries, name -> {"public", "revoked", "file"}; CurveError if it cannot be read."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CurveError(f"cannot read the Curve allow-list {path}: {exc}; restarting the controller rewrites it "
                         "(with --reuse, keeping its keys)") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, dict):
        raise CurveError(f"{path} is not a Curve allow-list: it has no \"keys\" object")
    return {name: entry for name, entry in keys.items()
            if isinstance(entry, dict) and isinstance(entry.get("public"), str)}


def write_keys(path: Path, keys: dict[str, dict[str, Any]]) -> None:
    write_private_json(path, {"keys": keys})


class Gatekeeper(threading.Thread):
    """The ZAP handler of one process's zmq context: admits or refuses each Curve handshake, and logs refusals."""

    def __init__(self, context: zmq.Context, allow: AllowList, log: Any):
        super().__init__(name="zap", daemon=True)
        self.allow = allow
        self.log = log
        self.socket = context.socket(zmq.REP)
        self.socket.linger = 0
        self.socket.bind(ZAP_ENDPOINT)  # bound now: a server socket bound after this is never unguarded

    def run(self) -> None:
        while True:
            try:
                request = self.socket.recv_multipart()
            except zmq.ContextTerminated:
                self.socket.close(linger=0)
                return
            try:
                answer = self._answer(request)
            except Exception as exc:  # a malformed request: refuse it, and keep guarding every later one
                self.log.error("refused a malformed handshake request", error=repr(exc))
                answer = [*request[:2], b"500", b"internal error", b"", b""]
            self.socket.send_multipart(answer)

    def _answer(self, request: list[bytes]) -> list[bytes]:
        version, request_id, _domain, address, _identity, mechanism, *credentials = request
        if mechanism != b"CURVE" or len(credentials) != 1:
            self.log.warning("refused a connection without Curve encryption", address=address.decode())
            return [version, request_id, b"400", b"Curve required", b"", b""]
        public = z85.encode(credentials[0]).decode()
        admitted, who = self.allow.verdict(public)
        if not admitted:
            self.log.warning("refused a connection", address=address.decode(), reason=who, key=public)
            return [version, request_id, b"400", who.encode(), b"", b""]
        return [version, request_id, b"200", b"OK", who.encode(), b""]
