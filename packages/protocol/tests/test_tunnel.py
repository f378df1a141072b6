"""SSH tunnel settings and failures, without an ssh server (the tunnels themselves: test_across_hosts.py)."""

import socket

import pytest

from ipcluster.protocol import SshSettings, TunnelError, open_tunnel
from ipcluster.protocol._tunnel import split_server

INFO = {"key": "k", "interface": "tcp://10.0.0.5", "registration": 5555, "mux": 5556, "ssh": ""}


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


@pytest.mark.parametrize(("server", "parts"), [
    ("login", (None, "login", None)),
    ("me@login", ("me", "login", None)),
    ("me@login:2222", ("me", "login", 2222)),
    ("login:22", (None, "login", 22)),
])
def test_a_server_is_user_host_and_port(server, parts):
    """[user@]host[:port], each part optional but the host."""
    assert parts == split_server(server)


@pytest.mark.parametrize("server", ["login:ssh", "me@", ":22"])
def test_a_malformed_server_is_refused(server):
    """A port that is not a number, or no host, says how to write a server."""
    with pytest.raises(TunnelError, match=r"write it as \[user@\]host\[:port\]"):
        split_server(server)


def test_no_server_means_no_tunnel():
    """Neither a server given nor one in the file: the connection info is dialled as it is."""
    assert (INFO, None) == open_tunnel(INFO, SshSettings())


def test_only_tcp_is_tunnelled():
    """A controller on an ipc:// transport cannot be reached through ssh."""
    with pytest.raises(TunnelError, match="ssh tunnels carry tcp only"):
        open_tunnel({**INFO, "interface": "ipc:///tmp/x"}, SshSettings("login"))


def test_an_openssh_login_that_fails_is_what_ssh_said():
    """ssh refused by the server's host: one line naming the server, with ssh's own words."""
    port = closed_port()
    with pytest.raises(TunnelError) as error:
        open_tunnel(INFO, SshSettings(f"127.0.0.1:{port}", paramiko=False, timeout=5))
    assert (f"cannot open the ssh tunnel via 127.0.0.1:{port}: ssh: connect to host 127.0.0.1 port {port}: "
            "Connection refused") == str(error.value)


def test_a_paramiko_login_reads_the_ssh_config(tmp_path):
    """paramiko takes HostName and Port from the ssh_config file, and says what failed, naming the server."""
    port = closed_port()
    config = tmp_path / "ssh_config"
    config.write_text(f"Host login\n  HostName 127.0.0.1\n  Port {port}\n")
    with pytest.raises(TunnelError) as error:
        open_tunnel({**INFO, "ssh": "login"}, SshSettings(paramiko=True, config=str(config), timeout=5))
    assert str(error.value).startswith("cannot open the ssh tunnel via login: ")
    assert f"port {port} on 127.0.0.1" in str(error.value)


def test_a_missing_ssh_config_is_named():
    """An ssh_config file that does not exist is one line naming it."""
    with pytest.raises(TunnelError, match="cannot read the ssh_config file /nonexistent/cfg"):
        open_tunnel(INFO, SshSettings("login", paramiko=True, config="/nonexistent/cfg"))
