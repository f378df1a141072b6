"""The paramiko tunnel: for hosts without OpenSSH's ssh, or when asked (``paramiko=True``).

One logged-in transport; a listening socket per forward, served by one thread; a thread per accepted
connection that opens a ``direct-tcpip`` channel to the target and carries bytes both ways. It all
lives in this process, so it dies with it.
"""

from __future__ import annotations

import logging
import os
import select
import selectors
import socket
import threading

import paramiko

from ipcluster.protocol._tunnel import LOCAL_HOST, SshSettings, Tunnel, TunnelError, split_server

_CHUNK = 1 << 16
# paramiko logs each failed channel open at ERROR, and with no handler configured Python prints that to
# stderr, burying the one line we say about it. A handler of its own stops that fallback; an application
# that configures logging still gets the records.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
# StrictHostKeyChecking values that accept a host key seen for the first time (kept in memory only)
_TRUSTING = ("no", "off", "accept-new")


class ParamikoTunnel(Tunnel):
    """Forwards served by threads of this process: nothing outlives it."""

    def __init__(self, server: str, targets: dict[str, tuple[str, int]], settings: SshSettings):
        super().__init__(server, targets)
        self.timeout = settings.timeout
        self._client = _login(server, settings)
        transport = self._client.get_transport()
        assert transport is not None  # connect() succeeded
        self._transport = transport
        self._listeners = {name: socket.create_server((LOCAL_HOST, 0)) for name in targets}
        self.local_ports = {name: listener.getsockname()[1] for name, listener in self._listeners.items()}
        self._wake, self._waker = socket.socketpair()
        # paramiko keeps a failed open's reason per transport, not per channel: opens at the same time would
        # take each other's reasons, leaving "Unable to open channel."
        self._opening = threading.Lock()
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name=f"ipcluster-ssh-{server}")
        self._acceptor.start()

    def _accept(self) -> None:
        with selectors.DefaultSelector() as selector:
            for name, listener in self._listeners.items():
                selector.register(listener, selectors.EVENT_READ, name)
            selector.register(self._wake, selectors.EVENT_READ, None)
            while True:
                for key, _ in selector.select():
                    if key.data is None:
                        return
                    try:
                        connection, _ = self._listeners[key.data].accept()
                    except OSError as exc:  # out of file descriptors, say: tell, and keep serving the others
                        self._said.append(f"cannot accept a connection to forward: {exc}")
                        continue
                    threading.Thread(target=self._carry, args=(connection, self.targets[key.data]), daemon=True,
                                     name=f"ipcluster-ssh-{self.server}-{key.data}").start()

    def _carry(self, connection: socket.socket, target: tuple[str, int]) -> None:
        """One forwarded connection, until either end closes it or the transport goes."""
        with connection:
            try:
                with self._opening:
                    channel = self._transport.open_channel("direct-tcpip", target, connection.getpeername(),
                                                           timeout=self.timeout)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                reason = exc.text if isinstance(exc, paramiko.ChannelException) else str(exc) or type(exc).__name__
                self._said.append(f"cannot open a channel to {target[0]}:{target[1]}: {reason}")
                return
            with channel:
                _pump(connection, channel)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._acceptor.is_alive():
            self._waker.send(b"x")
            self._acceptor.join()
        for listener in self._listeners.values():
            listener.close()
        self._wake.close()
        self._waker.close()
        self._client.close()  # every channel with it: each carrying thread sees its end


def _pump(connection: socket.socket, channel) -> None:
    while True:
        ready, _, _ = select.select([connection, channel], [], [])
        for source, sink in ((connection, channel), (channel, connection)):
            if source in ready:
                try:
                    data = source.recv(_CHUNK)
                    if not data:
                        return
                    sink.sendall(data)
                except OSError:
                    return


def _login(server: str, settings: SshSettings) -> paramiko.SSHClient:
    """Log in as OpenSSH would with the same ssh_config; a failure is a TunnelError saying why."""
    user, alias, port = split_server(server)
    found = _ssh_config(settings.config).lookup(alias)
    client = paramiko.SSHClient()
    if "userknownhostsfile" in found:
        for path in found["userknownhostsfile"].split():
            if os.path.exists(os.path.expanduser(path)):
                client.get_host_keys().load(os.path.expanduser(path))
    else:
        client.load_system_host_keys()
    trusting = found.get("stricthostkeychecking", "yes").lower() in _TRUSTING
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy() if trusting else paramiko.RejectPolicy())
    keys = [settings.key] if settings.key else found.get("identityfile", [])
    keys = [os.path.expanduser(key) for key in keys if os.path.exists(os.path.expanduser(key))]
    try:
        # paramiko documents a list of key files too; types-paramiko allows one
        client.connect(found.get("hostname", alias), port=port or int(found.get("port", 22)),
                       username=user or found.get("user"), key_filename=keys or None,  # type: ignore[arg-type]
                       look_for_keys=not keys,
                       timeout=settings.timeout, banner_timeout=settings.timeout, auth_timeout=settings.timeout)
    except (paramiko.SSHException, OSError) as exc:
        client.close()
        raise TunnelError(f"cannot open the ssh tunnel via {server}: {exc}") from None
    return client


def _ssh_config(path: str) -> paramiko.SSHConfig:
    if path:
        try:
            return paramiko.SSHConfig.from_path(path)
        except OSError as exc:
            raise TunnelError(f"cannot read the ssh_config file {path}: {exc.strerror}") from None
    default = os.path.expanduser("~/.ssh/config")
    return paramiko.SSHConfig.from_path(default) if os.path.exists(default) else paramiko.SSHConfig()
