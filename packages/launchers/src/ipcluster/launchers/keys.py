"""``ipcluster keys list|add|revoke``: who may connect to a controller that encrypts with CurveZMQ.

The controller admits a peer only if the peer's own public key is on its allow-list. ``ipcontroller``
puts the keys of its engine file (``engines``) and client file (``client``) there; ``keys add alice``
writes another client file with a key of its own, so each user can be cut off alone with ``keys revoke
alice``. A revoked key is refused at its next handshake, and on running connections within a second:
the hub tells a revoked engine to leave and refuses its requests, and the scheduler drops what it sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets import Bool, Unicode

from ipcluster.protocol import (
    CLIENT_FILE,
    ENGINE_FILE,
    SPEC_FILE,
    ConnectionFileError,
    ControllerSpec,
    new_key_pair,
    read_connection_file,
    write_connection_file,
)
from ipcluster.protocol._app import COMMON_ALIASES, COMMON_FLAGS, BaseParallelApplication, UsageError
from ipcluster.protocol._curve import CurveError, read_keys, write_keys

FILES = {"engines": ENGINE_FILE, "client": CLIENT_FILE}  # the names of the keys ipcontroller's own files carry


def allow_peers(path: Path, peers: dict[str, dict[str, str]], keep_others: bool) -> None:
    """Put `peers` (name -> key pair) on the allow-list; a kept entry with the same key keeps its revocation."""
    try:
        keys = read_keys(path) if keep_others else {}
    except CurveError:
        keys = {}  # nothing readable to keep: the controller's own two keys make a fresh list
    for name, pair in peers.items():
        if keys.get(name, {}).get("public") != pair["public"]:
            keys[name] = {"public": pair["public"], "file": FILES.get(name, "")}
    write_keys(path, keys)


class IPClusterKeys(BaseParallelApplication):
    name = "ipcluster"
    description = __doc__.split("\n\n", 1)[1].replace("\n", " ") if __doc__ else ""
    config_file_stem = ""
    engine = Bool(False, help="keys add: write an engine connection file rather than a client file").tag(config=True)
    output = Unicode("", help="keys add: where to write the new connection file (default: in security/)").tag(
        config=True)
    aliases = {**COMMON_ALIASES, "output": "IPClusterKeys.output"}
    flags = {**COMMON_FLAGS, "engine": ({"IPClusterKeys": {"engine": True}}, "keys add: an engine file")}

    def run(self) -> int:
        action, *names = self.extra_args or ["list"]
        if action == "list" and not names:
            return self._list()
        if action in ("add", "revoke") and len(names) == 1:
            return self._add(names[0]) if action == "add" else self._revoke(names[0])
        raise UsageError("use `ipcluster keys list`, `ipcluster keys add NAME [--engine] [--output=FILE]` or "
                         "`ipcluster keys revoke NAME`")

    def _spec(self) -> ControllerSpec:
        path = self.profile_path.security / SPEC_FILE
        try:
            spec = ControllerSpec.from_dict(read_connection_file(path), source=str(path))
        except ConnectionFileError as exc:
            raise UsageError(str(exc)) from None
        if not spec.curve_server:
            raise UsageError(f"the controller of profile {self.profile_path.name!r} does not encrypt, so it has no "
                             "keys to manage: start it with --curve=required (or --ip beyond loopback)")
        return spec

    def _keys(self, spec: ControllerSpec | None = None) -> tuple[Path, dict[str, dict[str, Any]]]:
        path = Path((spec or self._spec()).curve_keys_file)
        try:
            return path, read_keys(path)
        except CurveError as exc:
            raise UsageError(str(exc)) from None

    def _list(self) -> int:
        _, keys = self._keys()
        if not keys:
            print("ipcluster: the allow-list is empty: only the controller's own processes may connect")
            return 0
        width = max(len(name) for name in keys)
        for name, entry in sorted(keys.items()):
            state = "revoked" if entry.get("revoked") else "allowed"
            print(f"{name:<{width}}  {state}  {entry['public']}  {entry.get('file', '')}")
        return 0

    def _add(self, name: str) -> int:
        spec = self._spec()
        path, keys = self._keys(spec)
        if name in keys:
            raise UsageError(f"there is a key named {name!r} already: revoke it, or choose another name")
        pair = new_key_pair()
        role = "engine" if self.engine else "client"
        if self.engine:
            spec.curve_engine = pair
        else:
            spec.curve_client = pair
        target = Path(self.output) if self.output else self.profile_path.security / f"ipcontroller-{role}-{name}.json"
        info = spec.engine_info() if self.engine else spec.client_info()
        # compute access only: the admin token (stop engines, shut down) is not this key's to revoke
        write_connection_file(target, {name: value for name, value in info.items() if not name.startswith("admin")})
        keys[name] = {"public": pair["public"], "file": str(target)}
        write_keys(path, keys)
        print(f"ipcluster: wrote {target}, a {role} connection file with its own key {name!r}; "
              f"`ipcluster keys revoke {name}` cuts it off")
        return 0

    def _revoke(self, name: str) -> int:
        path, keys = self._keys()
        if name not in keys:
            raise UsageError(f"no key is named {name!r}: `ipcluster keys list` shows them")
        keys[name]["revoked"] = True
        write_keys(path, keys)
        print(f"ipcluster: revoked {name!r}: the controller refuses it from now on")
        return 0
