"""Separate test "hosts" on one machine: Linux network namespaces on a private bridge.

Each group of hosts gets a random id, so parallel runs never collide, and holds a lock file while it lives,
so a later run can tell the namespaces of a killed run (lock free) from those of a running one (lock held).
The bridge sits in a namespace of its own and no interface is ever made in the root namespace: the machine's
own network is untouched, and nothing on it can reach the hosts (nor the hosts anything on it).
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psutil
from clusters import command_line, kill_all, wait_until
from netns_capture import Capture, capture
from netns_sshd import SshClient, SshServer, start_sshd

PREFIX = "ipct"
LOCK_DIR = Path("/run/lock")
HOST_NAME = re.compile(r"[a-z0-9]{1,12}")  # short enough for the bridge port's name, "v-" + name, in 15 characters
STOP_WAIT = 5  # seconds a process gets to exit after SIGTERM
LEFTOVER_WAIT = 10  # seconds for the rest to follow: sshd's session processes end after their client is gone


def ip(*args: str) -> str:
    """`ip ARGS`, raising with its stderr when it fails."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def namespaces() -> list[str]:
    return [entry["name"] for entry in json.loads(ip("-j", "netns", "list") or "[]")]


def pids_in(namespace: str) -> list[int]:
    """Every process whose network namespace this is, however it got there."""
    return [int(pid) for pid in ip("netns", "pids", namespace).split()]


def unused_subnet() -> ipaddress.IPv4Network:
    """A random private /24 that overlaps no address or route of the root namespace: the hosts are isolated
    anyway, but then an address in a log or a capture is never also one of the machine's own."""
    taken = [ipaddress.ip_network(f"{info['local']}/{info['prefixlen']}", strict=False)
             for link in json.loads(ip("-j", "-4", "addr"))
             for info in link["addr_info"]]
    taken += [ipaddress.ip_network(route["dst"]) for route in json.loads(ip("-j", "-4", "route"))
              if route["dst"] != "default"]
    while True:
        candidate = ipaddress.ip_network(f"10.{random.randrange(256)}.{random.randrange(256)}.0/24")
        if not any(candidate.overlaps(network) for network in taken):
            return candidate


def lock_path(group: str) -> Path:
    return LOCK_DIR / f"{PREFIX}{group}.lock"


def group_of(namespace: str) -> str | None:
    """The group id in one of our namespace names (`ipctID` is the bridge, `ipctID-NAME` a host), else None."""
    match = re.fullmatch(rf"{PREFIX}([0-9a-f]+)(-.*)?", namespace)
    return match.group(1) if match else None


def is_abandoned(group: str) -> bool:
    """True when no living process holds the group's lock: the run that made it was killed."""
    try:
        descriptor = os.open(lock_path(group), os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


def processes_in(namespace: str) -> list[psutil.Process]:
    found = []
    for pid in pids_in(namespace):
        try:
            found.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return found


def sweep_stale_namespaces() -> list[str]:
    """Delete the namespaces (and kill the processes) that a killed earlier run left; returns their names."""
    stale = [name for name in namespaces() if (group := group_of(name)) is not None and is_abandoned(group)]
    for name in stale:
        kill_all(processes_in(name))
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    for group in {group_of(name) for name in stale}:
        lock_path(str(group)).unlink(missing_ok=True)
    return stale


class Host:
    """One namespace with an `eth0` on the bridge: run processes in it, firewall it, serve ssh, capture."""

    def __init__(self, network: Network, name: str, namespace: str, address: str):
        self.network = network
        self.name = name
        self.namespace = namespace
        self.address = address
        self.processes: list[subprocess.Popen] = []

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.address})"

    def command(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start a process in this host (`ip netns exec` execs, so the pid is the program's); stopped at teardown."""
        process = subprocess.Popen(self.command(argv), **kwargs)
        self.processes.append(process)
        return process

    def run(self, argv: Sequence[str], timeout: float = 30, **kwargs) -> subprocess.CompletedProcess:
        """Run a command in this host to completion, capturing its output as text."""
        return subprocess.run(self.command(argv), timeout=timeout, capture_output=True, text=True, **kwargs)

    def listening_tcp_ports(self) -> set[int]:
        """The TCP ports something in this host listens on: what a test waits for before connecting."""
        lines = subprocess.run(["ss", "-N", self.namespace, "-Hltn"], capture_output=True, text=True,
                               check=True).stdout.splitlines()
        return {int(line.split()[3].rsplit(":", 1)[1]) for line in lines}

    def block_tcp(self, ports: Iterable[int]) -> None:
        """Silently drop incoming TCP to these ports from other hosts: their connects time out."""
        self._filter_incoming_tcp(ports, "drop")

    def reject_tcp(self, ports: Iterable[int]) -> None:
        """Answer incoming TCP to these ports from other hosts with a reset: their connects are refused at once."""
        self._filter_incoming_tcp(ports, "reject with tcp reset")

    def _filter_incoming_tcp(self, ports: Iterable[int], verdict: str) -> None:
        # loopback stays open: an ssh tunnel through this host ends in it, past the firewall, as on a real host.
        # The table lives in the namespace, so it goes with it.
        port_set = ", ".join(str(port) for port in ports)
        rules = ("add table inet hostfirewall\n"
                 "add chain inet hostfirewall input { type filter hook input priority 0; policy accept; }\n"
                 f'add rule inet hostfirewall input iifname != "lo" tcp dport {{ {port_set} }} {verdict}\n')
        result = self.run(["nft", "-f", "-"], input=rules)
        assert 0 == result.returncode, result.stderr

    def start_sshd(self) -> SshServer:
        """sshd on port 22 of this host, for the network's client key; stopped at teardown."""
        return start_sshd(self, self.network.ssh_client())

    def capture(self, interface: str = "eth0") -> AbstractContextManager[Capture]:
        """tcpdump on an interface of this host for the duration of a `with` block; see netns_capture."""
        return capture(self, interface)

    def stop_processes(self) -> list[str]:
        """SIGTERM to every process started here that still runs; returns those that had to be killed."""
        running = [process for process in self.processes if process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        stubborn = []
        for process in running:
            try:
                process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                stubborn.append(f"{self.name}: {' '.join(process.args)}")
                process.kill()
                process.wait()
        return stubborn

    def leftover_processes(self) -> list[str]:
        """Kill what still runs in the namespace after its processes' stop (orphans, forgotten children)."""
        try:
            wait_until(lambda: not pids_in(self.namespace), LEFTOVER_WAIT, f"the processes in host {self.name} to exit")
        except AssertionError:
            pass
        found = processes_in(self.namespace)
        names = [f"{self.name}: {command_line(process)}" for process in found]
        kill_all(found)
        return names


class Network:
    """Hosts on one bridge in one /24, created together and deleted together; `network["a"]` is host a."""

    def __init__(self, names: Sequence[str], parent: Path):
        for name in names:
            assert HOST_NAME.fullmatch(name), f"host name {name!r}: 1 to 12 lowercase letters or digits"
        assert len(set(names)) == len(names), f"duplicate host names in {names}"
        self.group = secrets.token_hex(3)
        self.workdir = parent / f"hosts-{self.group}"  # sshd keys and configs, captures, logs
        self.bridge = f"{PREFIX}{self.group}"
        self.subnet = unused_subnet()
        addresses = self.subnet.hosts()
        self.hosts = {name: Host(self, name, f"{self.bridge}-{name}", str(next(addresses))) for name in names}
        self._ssh_client: SshClient | None = None
        self._lock = os.open(lock_path(self.group), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock, fcntl.LOCK_EX)  # before any namespace exists, so no sweep ever sees ours unlocked

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def namespaces(self) -> list[str]:
        return [self.bridge, *(host.namespace for host in self.hosts.values())]

    def create(self) -> None:
        ip("netns", "add", self.bridge)
        ip("-n", self.bridge, "link", "add", "br0", "type", "bridge")
        ip("-n", self.bridge, "link", "set", "br0", "up")
        for host in self.hosts.values():
            port = f"v-{host.name}"
            ip("netns", "add", host.namespace)
            # both ends are made inside their namespaces: no name ever appears in the root namespace
            ip("link", "add", port, "netns", self.bridge, "type", "veth", "peer", "name", "eth0", "netns",
               host.namespace)
            ip("-n", self.bridge, "link", "set", port, "master", "br0", "up")
            ip("-n", host.namespace, "link", "set", "lo", "up")
            # `brd +`: the subnet's broadcast address works (netns_capture sends its end marker to it)
            ip("-n", host.namespace, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "brd", "+",
               "dev", "eth0")
            ip("-n", host.namespace, "link", "set", "eth0", "up")

    def ssh_client(self) -> SshClient:
        """The one client key and ssh_config that reach every host's sshd, made on first use."""
        if self._ssh_client is None:
            self._ssh_client = SshClient.create(self.workdir / "ssh", {h.name: h.address for h in self.hosts.values()})
        return self._ssh_client

    def destroy(self) -> list[str]:
        """Stop every process, then delete the namespaces (and so the veths and the bridge); returns the
        processes that outlived their stop. A namespace outlives `ip netns del` while a process is in it."""
        leftovers = [line for host in self.hosts.values() for line in host.stop_processes()]
        existing = set(namespaces())
        leftovers += [line for host in self.hosts.values() if host.namespace in existing
                      for line in host.leftover_processes()]
        for namespace in self.namespaces():
            if namespace in existing:
                ip("netns", "del", namespace)
        lock_path(self.group).unlink(missing_ok=True)
        os.close(self._lock)
        return leftovers


@contextmanager
def network_of(names: Sequence[str], parent: Path) -> Iterator[Network]:
    """Hosts that exist for the `with` block (files in a folder of `parent`); it fails if any process in them
    outlived their stop."""
    network = Network(names, parent)
    try:
        network.create()
        yield network
    finally:
        leftovers = network.destroy()
    assert [] == leftovers, "processes outlived their host's stop"
