"""SSH tunnels: every port of a connection file, reached through one ssh server from local loopback ports.

A client or engine that cannot reach the controller's ports (a firewall, a controller listening on
loopback only) dials 127.0.0.1 instead, where ssh forwards each port to the controller's
``location:PORT`` as seen from the ssh server. OpenSSH's ``ssh`` does it where installed (it honours
~/.ssh/config, agents, ProxyJump); paramiko (``pip install 'ipcluster-client[ssh]'``) where it is not,
or when asked. Logins must need no password (``BatchMode=yes``): a key, or an agent.

`SshSettings.config` names an ssh_config file for both: ``ssh -F FILE``, and paramiko's SSHConfig for
HostName, Port, User, IdentityFile, UserKnownHostsFile and StrictHostKeyChecking. Without it each
reads ~/.ssh/config.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ipcluster.protocol._connection import CLIENT_PORTS, ENGINE_PORTS, free_ports

LOCAL_HOST = "127.0.0.1"
# Run by the thread that reads ssh's output, which lives as long as ssh does: Linux then sends ssh a SIGTERM
# when that thread ends, so a SIGKILLed engine or client leaves no ssh behind. Then it becomes ssh.
_EXEC_DYING_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"  # PR_SET_PDEATHSIG
    "if os.getppid() == int(sys.argv[1]):\n"  # else the parent is already gone
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
)
_STOP_WAIT = 5.0  # seconds ssh gets to exit after SIGTERM


class TunnelError(ConnectionError):
    """The ssh tunnel could not be opened: one line naming the server and what ssh said."""


LOGIN_FLOOR = 10.0  # seconds an ssh login and its forwards get at least


@dataclass(frozen=True)
class SshSettings:
    """How to tunnel: `server` is ``[user@]host[:port]``; empty means the connection file's ``ssh``, if any."""

    server: str = ""
    key: str = ""  # a private key file; default: ssh's own choice (its config, an agent, ~/.ssh/id_*)
    paramiko: bool | None = None  # None: OpenSSH when `ssh` is installed, else paramiko
    config: str = ""  # an ssh_config file
    timeout: float = 10.0  # seconds for the ssh login and the forwards; never under LOGIN_FLOOR

    def __post_init__(self) -> None:
        # a short registration time-out must not cut a login short: key exchange on a busy host takes seconds
        object.__setattr__(self, "timeout", max(self.timeout, LOGIN_FLOOR))


def split_server(server: str) -> tuple[str | None, str, int | None]:
    """``[user@]host[:port]`` as (user, host, port), None for what it leaves out."""
    user, _, host = server.rpartition("@")
    host, colon, port = host.partition(":")
    if not host or (colon and not port.isdigit()):
        raise TunnelError(f"ssh server {server!r}: write it as [user@]host[:port]")
    return user or None, host, int(port) if colon else None


class Tunnel:
    """Forwards from local ports to one controller, through one ssh server; closed by whoever opened it."""

    def __init__(self, server: str, targets: dict[str, tuple[str, int]]):
        self.server = server
        self.targets = targets  # port name -> the (host, port) the ssh server dials
        self.local_ports: dict[str, int] = {}  # port name -> our end of its forward, on LOCAL_HOST
        self._said: deque[str] = deque(maxlen=20)  # ssh's latest complaints

    def local_info(self, info: dict[str, Any]) -> dict[str, Any]:
        """`info` with our end of each forward in place of the controller's address."""
        return {**info, "interface": f"tcp://{LOCAL_HOST}", **self.local_ports,
                "url": f"tcp://{LOCAL_HOST}:{self.local_ports['registration']}"}

    def complaint(self) -> str:
        """What ssh last complained about (such as a forward the server could not connect), or ''."""
        return self._said[-1] if self._said else ""

    def close(self) -> None:
        raise NotImplementedError


def open_tunnel(info: dict[str, Any], settings: SshSettings) -> tuple[dict[str, Any], Tunnel | None]:
    """Tunnel every port of connection file `info` through the settings' ssh server, else the file's ``ssh``.

    Returns the connection info to dial (unchanged when neither names a server) and the tunnel, open and
    forwarding. Raises TunnelError when the login or a forward fails, or takes longer than the timeout.
    """
    server = settings.server or info.get("ssh", "")
    if not server:
        return info, None
    interface = info.get("interface", "")
    if not interface.startswith("tcp://"):
        raise TunnelError(f"cannot tunnel to {interface!r} via {server}: ssh tunnels carry tcp only")
    host = interface.removeprefix("tcp://")
    targets = {name: (host, info[name]) for name in {**ENGINE_PORTS, **CLIENT_PORTS} if name in info}
    tunnel: Tunnel
    if _use_paramiko(settings.paramiko, server):
        try:
            from ipcluster.protocol._tunnel_paramiko import ParamikoTunnel
        except ModuleNotFoundError as exc:  # paramiko is optional: the `ssh` extra
            if exc.name != "paramiko":
                raise
            raise TunnelError(f"cannot open the ssh tunnel via {server}: paramiko is not installed "
                              "(pip install 'ipcluster-client[ssh]')") from None
        tunnel = ParamikoTunnel(server, targets, settings)
    else:
        tunnel = OpenSshTunnel(server, targets, settings)
    return tunnel.local_info(info), tunnel


def _use_paramiko(choice: bool | None, server: str) -> bool:
    if choice is None:
        return shutil.which("ssh") is None
    if not choice and shutil.which("ssh") is None:
        raise TunnelError(f"cannot open the ssh tunnel via {server}: OpenSSH's ssh is not installed "
                          "(install it, or tunnel with paramiko)")
    return choice


class OpenSshTunnel(Tunnel):
    """One ``ssh -N -L ...`` process holding every forward; ready once each local port accepts connections."""

    def __init__(self, server: str, targets: dict[str, tuple[str, int]], settings: SshSettings):
        super().__init__(server, targets)
        self.local_ports = dict(zip(targets, free_ports(len(targets), LOCAL_HOST), strict=True))
        self._process: subprocess.Popen | None = None
        self._spawn_error: OSError | None = None
        self._spawned = threading.Event()
        self._reader = threading.Thread(target=self._run, args=(self._command(settings),), daemon=True,
                                        name=f"ipcluster-ssh-{server}")
        self._reader.start()
        self._spawned.wait()
        if self._spawn_error is not None:
            raise TunnelError(f"cannot open the ssh tunnel via {server}: {self._spawn_error}")
        try:
            self._wait_until_forwarding(settings.timeout)
        except BaseException:
            self.close()
            raise

    def _command(self, settings: SshSettings) -> list[str]:
        user, host, port = split_server(self.server)
        command = ["ssh", "-N", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
                   "-o", f"ConnectTimeout={math.ceil(settings.timeout)}",
                   # INFO: a forward that the server cannot connect is reported at that level
                   "-o", "LogLevel=INFO",
                   # no shared master connection: one would outlive this ssh, forwards and all
                   "-o", "ControlMaster=no", "-o", "ControlPath=none"]
        command += ["-F", settings.config] if settings.config else []
        command += ["-i", settings.key] if settings.key else []
        command += ["-l", user] if user else []
        command += ["-p", str(port)] if port else []
        for name, (target_host, target_port) in self.targets.items():
            command += ["-L", f"{LOCAL_HOST}:{self.local_ports[name]}:{target_host}:{target_port}"]
        command.append(host)
        if sys.platform.startswith("linux"):
            command = [sys.executable, "-c", _EXEC_DYING_WITH_PARENT, str(os.getpid()), *command]
        return command

    def _run(self, command: list[str]) -> None:
        """Start ssh, then collect what it says until it exits: it must never block writing to a full pipe."""
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE, text=True, errors="replace")
        except OSError as exc:
            self._spawn_error = exc
            return
        finally:
            self._spawned.set()
        assert self._process.stderr is not None
        with self._process.stderr:
            for line in self._process.stderr:
                # "Warning: Permanently added ... to the list of known hosts" is no complaint
                if line.strip() and not line.startswith("Warning:"):
                    self._said.append(line.strip())

    def _wait_until_forwarding(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout + 1  # ssh's own ConnectTimeout goes first
        waiting = list(self.local_ports.values())
        while waiting:
            if self._process.poll() is not None:
                self._reader.join()  # everything ssh said
                said = self.complaint() or f"ssh exited with code {self._process.returncode}"
                raise TunnelError(f"cannot open the ssh tunnel via {self.server}: {said}")
            if time.monotonic() > deadline:
                raise TunnelError(f"cannot open the ssh tunnel via {self.server}: no forwarding within {timeout:g} s"
                                  + (f" ({self.complaint()})" if self.complaint() else ""))
            waiting = [port for port in waiting if not _accepts(port)]
            if waiting:
                try:
                    self._process.wait(0.05)
                except subprocess.TimeoutExpired:
                    pass

    def close(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(_STOP_WAIT)


def _accepts(port: int) -> bool:
    """Whether something listens on our loopback port: ssh listens once logged in, with every forward set up."""
    try:
        socket.create_connection((LOCAL_HOST, port), timeout=1).close()
    except OSError:
        return False
    return True
