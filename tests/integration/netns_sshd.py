"""A real OpenSSH server inside a namespace host, and the client files that reach it from any other host.

Its key, path and config helpers also serve the loopback sshd of sshd.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clusters import wait_until

if TYPE_CHECKING:
    from netns import Host

SSHD_WAIT = 10
SSH_PORT = 22  # every host has its own ports, so the standard one is always free
# Debian's sshd wants its privilege-separation directory, which only its (absent) init script makes
PRIVSEP_DIR = Path("/run/sshd")


def make_key(path: Path) -> str:
    """A new ed25519 key pair without passphrase; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


def sshd_path() -> str:
    """sshd refuses to start unless called by its absolute path, and /usr/sbin is not on every PATH."""
    found = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    assert found is not None, "sshd is missing: apt-get install openssh-server"
    return found


@dataclass(frozen=True)
class SshClient:
    """One key that every host's sshd accepts, and an ssh_config with a `Host NAME` alias for each host."""

    key: Path
    public_key: str
    ssh_config: Path

    @classmethod
    def create(cls, directory: Path, addresses: dict[str, str]) -> SshClient:
        directory.mkdir(parents=True, exist_ok=True)
        key = directory / "client"
        public_key = make_key(key)
        aliases = "".join(f"Host {name}\n  HostName {address}\n" for name, address in addresses.items())
        # host keys are new every run: not checked and not remembered (known_hosts is for paramiko users)
        common = (f"Host *\n  User root\n  Port {SSH_PORT}\n"
                  f"  IdentityFile {key}\n  IdentitiesOnly yes\n"
                  "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
                  "  BatchMode yes\n  LogLevel ERROR\n  ConnectTimeout 5\n")
        ssh_config = directory / "ssh_config"
        ssh_config.write_text(aliases + common)
        return cls(key, public_key, ssh_config)


@dataclass(frozen=True)
class SshServer:
    """A running sshd: where it listens, and what a client (ssh -F, or paramiko) needs to log in as root."""

    address: str
    port: int
    client_key: Path
    ssh_config: Path
    host_public_key: str  # "ssh-ed25519 AAAA…"
    known_hosts: Path  # one line, for this server's address
    log: Path
    process: subprocess.Popen


def sshd_config(address: str, port: int, host_key: Path, authorized_keys: Path) -> str:
    # StrictModes no: the keys live under the world-writable temp dir, which sshd would otherwise refuse
    return (f"Port {port}\nListenAddress {address}\nHostKey {host_key}\nPidFile none\n"
            f"AuthorizedKeysFile {authorized_keys}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nAllowTcpForwarding yes\n"
            "Subsystem sftp internal-sftp\n")  # OpenSSH 9's scp copies over SFTP


def start_sshd(host: Host, client: SshClient) -> SshServer:
    """Start sshd in the host, listening on its address, and wait until it accepts connections."""
    directory = host.network.workdir / host.name / "sshd"
    directory.mkdir(parents=True, exist_ok=True)
    host_key = directory / "host_key"
    host_public_key = " ".join(make_key(host_key).split()[:2])
    authorized_keys = directory / "authorized_keys"
    authorized_keys.write_text(client.public_key + "\n")
    config = directory / "sshd_config"
    config.write_text(sshd_config(host.address, SSH_PORT, host_key, authorized_keys))
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"{host.address} {host_public_key}\n")  # no [address]:port form: the port is 22
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    log = directory / "sshd.log"
    with open(log, "wb") as sink:
        process = host.popen([sshd_path(), "-D", "-e", "-f", str(config)], stdout=sink, stderr=subprocess.STDOUT)
    wait_until(lambda: SSH_PORT in host.listening_tcp_ports() or process.poll() is not None, SSHD_WAIT,
               f"sshd to listen in host {host.name}")
    assert process.poll() is None, f"sshd in host {host.name} exited: {log.read_text()}"
    return SshServer(host.address, SSH_PORT, client.key, client.ssh_config, host_public_key, known_hosts, log, process)
