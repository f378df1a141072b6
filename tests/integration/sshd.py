"""A real OpenSSH server on a free loopback port, reached through an ssh_config of host aliases.

The fixture makes the host and client keys, lets this user in by key alone, and writes an ssh_config
in which ``host1``, ``host2`` and ``host3`` are that server and ``down`` is a closed port. Tests hand the
launchers ``['-F', sshd.config]`` as their ssh and scp arguments. The server is always stopped.
"""

from __future__ import annotations

import getpass
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from clusters import alive, command_line, kill_all, wait_until
from netns_sshd import PRIVSEP_DIR, make_key, sshd_config, sshd_path

from ipcluster.protocol import free_ports

START_TIMEOUT = 30.0


@dataclass
class SSHServer:
    config: Path  # the ssh_config file
    closed_port: int  # the port of host `down`, where nothing listens
    process: subprocess.Popen

    def descendants(self) -> list[str]:
        """Command lines of what runs under the server: a session per connection, and what each runs."""
        children = psutil.Process(self.process.pid).children(recursive=True)
        return [command_line(child) for child in children if alive(child)]


def client_config(folder: Path, port: int, closed_port: int) -> str:
    return "\n".join([
        "Host host1 host2 host3", "  HostName 127.0.0.1", f"  Port {port}",
        "Host down", "  HostName 127.0.0.1", f"  Port {closed_port}",
        "Host *", f"  User {getpass.getuser()}", f"  IdentityFile {folder / 'client'}", "  IdentitiesOnly yes",
        "  StrictHostKeyChecking no", "  UserKnownHostsFile /dev/null", "  BatchMode yes", "  LogLevel ERROR",
    ]) + "\n"


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[SSHServer]:
    folder = tmp_path_factory.mktemp("sshd")
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    make_key(folder / "host")
    (folder / "authorized_keys").write_text(make_key(folder / "client") + "\n")
    port, closed_port = free_ports(2)
    (folder / "sshd_config").write_text(sshd_config("127.0.0.1", port, folder / "host", folder / "authorized_keys"))
    (folder / "ssh_config").write_text(client_config(folder, port, closed_port))
    with open(folder / "sshd.log", "wb") as log:
        process = subprocess.Popen([sshd_path(), "-D", "-e", "-f", str(folder / "sshd_config")],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    server = SSHServer(folder / "ssh_config", closed_port, process)
    try:
        wait_until(lambda: listening(port) or process.poll() is not None, START_TIMEOUT, "sshd to listen")
        assert process.poll() is None, f"sshd exited: {(folder / 'sshd.log').read_text()}"
        yield server
    finally:
        sessions = psutil.Process(process.pid).children(recursive=True)
        process.terminate()
        process.wait(10)
        kill_all(sessions)  # a session outlives its listener: the tests assert there are none left
