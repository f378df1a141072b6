"""A controller on host a; engines and clients on hosts b, c and d, given copies of its connection files.

The hosts are network namespaces (netns.py): each has its own addresses, loopback and firewall, and
shares nothing with the others but what a test copies into its own profile folder. Over the open
network (--ip=*), through a firewall by ssh tunnels (OpenSSH and paramiko), across a --reuse restart,
and the one-line errors when a controller cannot be reached.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil
import pytest
from clusters import alive, wait_until
from netns import Host, Network, network_of, processes_in
from netns_sshd import SshServer

from ipcluster.protocol import CLIENT_FILE, ENGINE_FILE, SPEC_FILE

CLIENT = str(Path(__file__).with_name("across_hosts_client.py"))
GUIDE = Path(__file__).parents[2] / "docs" / "across-machines.md"
# what stands for any value in the guide's example lines
PLACEHOLDERS = {r"PORT": r"\d+", r"10\.0\.1\.\d+": r"[\d.]+", r"within \d+ s": r"within [\d.]+ s",
                r"channel \d+": r"channel \d+"}
START_WAIT = 30  # seconds for a controller to listen on all its ports
STOP_WAIT = 10
UNREACHABLE_WAIT = 2  # the engines' and clients' --timeout where the controller is out of reach
ERROR_LIMIT = 15  # seconds within which such an engine or client must have said why


class Controller:
    """`ipcontroller` running in a host, with a profile folder of its own there."""

    def __init__(self, host: Host, profile: Path, args: Sequence[str]):
        self.host = host
        self.profile = profile
        self.args = list(args)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.profile.parent / f"{self.profile.name}.out", "ab") as sink:
            self.process = self.host.popen([sys.executable, "-m", "ipcluster.launchers.controller",
                                            f"--profile-dir={self.profile}", *self.args],
                                           stdout=sink, stderr=subprocess.STDOUT)
        wait_until(lambda: self._listening() or self.process.poll() is not None, START_WAIT,
                   f"the controller in host {self.host.name} to listen")
        assert self.process.poll() is None, (self.profile.parent / f"{self.profile.name}.out").read_text()

    def _listening(self) -> bool:
        spec = self.profile / "security" / SPEC_FILE
        return spec.exists() and set(self.ports()) <= self.host.listening_tcp_ports()

    def ports(self) -> list[int]:
        return list(self.file(SPEC_FILE)["ports"].values())

    def file(self, name: str) -> dict:
        return json.loads((self.profile / "security" / name).read_text())

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        assert 0 == self.process.wait(STOP_WAIT)


def profile_in(host: Host, label: str) -> Path:
    """A new profile folder for host `host`, under the hosts' work folder."""
    folder = host.network.workdir / host.name / label
    (folder / "security").mkdir(parents=True, mode=0o700)
    return folder


def copy_file(controller: Controller, name: str, host: Host, label: str) -> Path:
    """Copy a connection file of the controller into a new profile folder of `host`; returns the folder."""
    folder = profile_in(host, label)
    shutil.copy(controller.profile / "security" / name, folder / "security" / name)
    return folder


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, stale_hosts_swept) -> Iterator[Network]:
    with network_of(["a", "b", "c", "d"], tmp_path_factory.mktemp("across")) as network:
        yield network


@pytest.fixture(scope="module")
def sshd(hosts: Network) -> SshServer:
    """sshd on host a, the controller's host; the client key and ssh_config reach it from every host."""
    return hosts["a"].start_sshd()


@pytest.fixture(scope="module")
def sshd_d(hosts: Network) -> SshServer:
    """sshd on host d, which has no controller: a tunnel through it cannot reach a's loopback."""
    return hosts["d"].start_sshd()


@pytest.fixture(scope="module")
def paramiko_config(hosts: Network, sshd: SshServer, sshd_d: SshServer) -> Path:
    """An ssh_config for paramiko that checks the host keys of a and d against their known_hosts files (the
    shared ssh_config checks none)."""
    path = hosts.workdir / "paramiko_ssh_config"
    aliases = "".join(f"Host {name}\n  HostName {host.address}\n" for name, host in hosts.hosts.items())
    path.write_text(f"{aliases}Host *\n  User root\n  IdentityFile {sshd.client_key}\n"
                    f"  UserKnownHostsFile {sshd.known_hosts} {sshd_d.known_hosts}\n")
    return path


@pytest.fixture(scope="module")
def second_address(hosts: Network) -> str:
    """Another address of host a, on the same network: a's files may name it (--location) rather than the first."""
    address = str(hosts.subnet.broadcast_address - 1)
    added = hosts["a"].run(["ip", "addr", "add", f"{address}/{hosts.subnet.prefixlen}", "dev", "eth0"])
    assert 0 == added.returncode, added.stderr
    return address


def controller_fixture(label: str, args: Sequence[str], config: str = "", block: bool = False):
    """A module-wide controller in host a, stopped at the end; `block`: its ports then firewalled."""

    @pytest.fixture(scope="module")
    def fixture(hosts: Network, second_address: str) -> Iterator[Controller]:
        profile = profile_in(hosts["a"], label)
        if config:
            (profile / "ipcontroller_config.py").write_text(config.format(second_address=second_address))
        controller = Controller(hosts["a"], profile, args)
        controller.start()
        if block:
            hosts["a"].block_tcp(controller.ports())
        yield controller
        if controller.process is not None and controller.process.poll() is None:
            controller.stop()

    return fixture


# every interface, ports and key kept across restarts
open_controller = controller_fixture("open", ["--ip=*", "--reuse"])
# every interface, files naming a's second address; firewalled; an ssh server in both files. Heartbeats every
# 200 ms: an engine whose pongs did not come through would be dropped within a second
tunnelled_controller = controller_fixture(
    "tunnelled", ["--enginessh=a", "--ping=200"], block=True,
    config="c.HubFactory.ip = '*'\nc.HubFactory.location = '{second_address}'\nc.HubFactory.ssh_server = 'a'\n")
# the default: loopback only
loopback_controller = controller_fixture("loopback", [])


@pytest.fixture
def start_engine(hosts: Network) -> Iterator[Callable[..., subprocess.Popen]]:
    """`start_engine("b", profile, *args)`: an engine in host b; all stopped when the test ends."""
    started: list[subprocess.Popen] = []

    def start(name: str, profile: Path, *args: str) -> subprocess.Popen:
        with open(profile / "engine.out", "ab") as sink:
            engine = hosts[name].popen([sys.executable, "-m", "ipcluster.engine", f"--profile-dir={profile}", *args],
                                       stdout=sink, stderr=subprocess.STDOUT)
        started.append(engine)
        return engine

    yield start
    for engine in started:
        engine.send_signal(signal.SIGTERM)
    for engine in started:
        engine.wait(STOP_WAIT)


def run_client(host: Host, profile: Path, engines: int, **kwargs) -> dict:
    """across_hosts_client.py in the host: what its Client found, or {"error": ...}."""
    done = host.run([sys.executable, CLIENT, str(profile), str(engines), json.dumps(kwargs)], timeout=90)
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout)


def run_engine(host: Host, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """An engine in the host that is expected to give up: its exit, timed."""
    started = time.monotonic()
    done = host.run([sys.executable, "-m", "ipcluster.engine", f"--profile-dir={profile}",
                     f"--timeout={UNREACHABLE_WAIT}", *args], timeout=60)
    assert time.monotonic() - started < ERROR_LIMIT
    return done


def documented(line: str) -> bool:
    """Whether docs/across-machines.md shows this line, but for its ports, addresses, waits and channel."""
    placeholder = re.compile("(" + "|".join(PLACEHOLDERS) + ")")

    def pattern(example: str) -> str:
        parts = placeholder.split(example)  # text, placeholder, text, ...
        return "".join(re.escape(part) if i % 2 == 0 else next(
            anything for name, anything in PLACEHOLDERS.items() if re.fullmatch(name, part))
            for i, part in enumerate(parts))

    return any(re.fullmatch(pattern(example), line) for example in GUIDE.read_text().splitlines())


def ssh_processes(host: Host) -> list[int]:
    """The pids of the ssh processes running in the host (an exited one waiting to be reaped is not running)."""
    found = []
    for process in processes_in(host.namespace):
        try:
            if process.name() == "ssh" and alive(process):
                found.append(process.pid)
        except psutil.NoSuchProcess:
            continue
    return found


def worked(found: dict, engines: Sequence[subprocess.Popen]) -> bool:
    """The client saw exactly these engines (by pid), and the load-balanced map came back right."""
    return (sorted(engine.pid for engine in engines) == sorted(found.get("pids", []))
            and [x * x for x in range(6)] == found.get("squares"))


# -- the open network


def test_every_interface_means_the_files_name_the_hosts_address(open_controller, hosts) -> None:
    """With --ip=* and no --location, the files give a's own address (routable), not a loopback one."""
    engine_file = open_controller.file(ENGINE_FILE)
    assert hosts["a"].address == engine_file["location"]
    assert f"tcp://{hosts['a'].address}:{engine_file['registration']}" == engine_file["url"]
    assert hosts["a"].address == open_controller.file(CLIENT_FILE)["location"]


def test_engines_and_a_client_on_other_hosts_use_copied_files(open_controller, hosts, start_engine) -> None:
    """Engines on b and c and a client on d, each with its own copy of a file, make one working cluster."""
    engines = [start_engine(name, copy_file(open_controller, ENGINE_FILE, hosts[name], "copied"))
               for name in ("b", "c")]
    found = run_client(hosts["d"], copy_file(open_controller, CLIENT_FILE, hosts["d"], "copied"), 2)
    assert worked(found, engines), found


def test_copied_files_stay_valid_across_a_reuse_restart(open_controller, hosts, start_engine) -> None:
    """Files copied to b and d before the controller restarts with --reuse still work after it."""
    engine_profile = copy_file(open_controller, ENGINE_FILE, hosts["b"], "before-restart")
    client_profile = copy_file(open_controller, CLIENT_FILE, hosts["d"], "before-restart")
    open_controller.stop()
    open_controller.start()
    assert json.loads((client_profile / "security" / CLIENT_FILE).read_text()) == open_controller.file(CLIENT_FILE)
    engine = start_engine("b", engine_profile)
    assert worked(run_client(hosts["d"], client_profile, 1), [engine])


# -- through a firewall, by ssh tunnels


def test_ssh_servers_and_the_location_are_written_into_the_files(tunnelled_controller, second_address) -> None:
    """--enginessh goes into the engine file, c.HubFactory.ssh_server into the client file, and
    c.HubFactory.location into both."""
    engine_file, client_file = tunnelled_controller.file(ENGINE_FILE), tunnelled_controller.file(CLIENT_FILE)
    assert ("a", "a") == (engine_file["ssh"], client_file["ssh"])
    assert (second_address, second_address) == (engine_file["location"], client_file["location"])


def test_a_firewalled_controller_without_a_tunnel_is_named_with_the_likely_cause(tunnelled_controller, hosts,
                                                                                  second_address) -> None:
    """A client on d given the client file without its ssh times out, naming the address and a firewall."""
    profile = copy_file(tunnelled_controller, CLIENT_FILE, hosts["d"], "no-ssh")
    path = profile / "security" / CLIENT_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "ssh": ""}))
    started = time.monotonic()
    found = run_client(hosts["d"], profile, 0, timeout=UNREACHABLE_WAIT)
    assert time.monotonic() - started < ERROR_LIMIT
    address = f"tcp://{second_address}:{json.loads(path.read_text())['registration']}"
    assert {"error": f"TimeoutError: no answer from the hub at {address} within {UNREACHABLE_WAIT} s: connections "
                     "to it time out: a firewall may drop them, or the address is wrong (--location); or tunnel "
                     "through an ssh server (ipengine --ssh, Client(sshserver=))"} == found
    assert documented(found["error"])


def test_engines_and_clients_tunnel_through_the_firewall(tunnelled_controller, hosts, sshd, paramiko_config,
                                                         start_engine) -> None:
    """Engine b (the file's ssh, OpenSSH), engine c (--ssh, paramiko) and clients on d (the file's ssh by
    OpenSSH; sshserver by paramiko) all work through a's sshd; each ssh ends with its client or engine."""
    profiles = [copy_file(tunnelled_controller, ENGINE_FILE, hosts[name], "tunnelled") for name in ("b", "c")]
    engines = [start_engine("b", profiles[0], f"--ssh-config={sshd.ssh_config}"),
               start_engine("c", profiles[1], "--ssh=a", "--paramiko", f"--ssh-config={paramiko_config}")]
    assert "curve" in tunnelled_controller.file(CLIENT_FILE)  # encrypted end to end, through the tunnels too
    client_profile = copy_file(tunnelled_controller, CLIENT_FILE, hosts["d"], "tunnelled")
    by_openssh = run_client(hosts["d"], client_profile, 2, ssh_config=str(sshd.ssh_config))
    assert worked(by_openssh, engines), by_openssh
    assert (1, 0) == (by_openssh["ssh_open"], by_openssh["ssh_closed"])  # one ssh, ended by rc.close()
    by_paramiko = run_client(hosts["d"], client_profile, 2, sshserver="a", paramiko=True,
                             ssh_config=str(paramiko_config))
    assert worked(by_paramiko, engines), by_paramiko
    assert 0 == by_paramiko["ssh_open"]
    for profile in profiles:
        assert "heard the controller's heartbeat" in (profile / "engine.out").read_text()
    for engine in engines:
        engine.send_signal(signal.SIGTERM)
        assert 0 == engine.wait(STOP_WAIT)
    assert [] == ssh_processes(hosts["b"])


def test_an_engine_killed_outright_leaves_no_ssh_behind(tunnelled_controller, hosts, sshd, start_engine) -> None:
    """SIGKILL of an engine tunnelling through OpenSSH: its ssh process exits too."""
    profile = copy_file(tunnelled_controller, ENGINE_FILE, hosts["b"], "killed")
    engine = start_engine("b", profile, f"--ssh-config={sshd.ssh_config}")
    wait_until(lambda: hosts["b"].listening_tcp_ports(), START_WAIT, "the engine's tunnel to listen in host b")
    assert 1 == len(ssh_processes(hosts["b"]))
    engine.kill()
    engine.wait()
    wait_until(lambda: not ssh_processes(hosts["b"]), STOP_WAIT, "the killed engine's ssh to exit")


def test_a_tunnel_reaches_a_controller_listening_on_loopback_only(loopback_controller, hosts, sshd,
                                                                  start_engine) -> None:
    """An engine on b tunnelling through a reaches a's loopback, where the file's 127.0.0.1 is the controller."""
    profile = copy_file(loopback_controller, ENGINE_FILE, hosts["b"], "tunnel-to-loopback")
    engine = start_engine("b", profile, "--ssh=a", f"--ssh-config={sshd.ssh_config}")
    assert worked(run_client(hosts["a"], loopback_controller.profile, 1), [engine])


# -- the errors


def test_an_engine_elsewhere_than_a_loopback_controller_says_why(loopback_controller, hosts) -> None:
    """An engine on b with the file of a controller on a's loopback exits 1: nothing listens there, use --ip."""
    done = run_engine(hosts["b"], copy_file(loopback_controller, ENGINE_FILE, hosts["b"], "loopback"))
    port = loopback_controller.file(ENGINE_FILE)["registration"]
    assert (1, f"ipengine: no answer from the controller at tcp://127.0.0.1:{port} within {UNREACHABLE_WAIT} s: "
               "nothing listens on that port of this host; a controller started without --ip listens on loopback "
               "only, for its own host: start it with --ip=* (or --ip=ADDRESS) and copy its new files, or tunnel "
               "through an ssh server (ipengine --ssh, Client(sshserver=))") == (
        done.returncode, done.stderr.strip())
    assert documented(done.stderr.strip())


def test_an_ssh_login_that_fails_is_one_line_with_what_ssh_said(loopback_controller, hosts, sshd) -> None:
    """An engine tunnelling through c, which runs no sshd, exits 1 with ssh's own reason."""
    profile = copy_file(loopback_controller, ENGINE_FILE, hosts["b"], "refused")
    done = run_engine(hosts["b"], profile, "--ssh=c", f"--ssh-config={sshd.ssh_config}")
    assert (1, f"ipengine: cannot open the ssh tunnel via c: ssh: connect to host {hosts['c'].address} port 22: "
               "Connection refused") == (done.returncode, done.stderr.strip())
    assert documented(done.stderr.strip())


def test_a_client_whose_paramiko_login_fails_raises_one_line(loopback_controller, hosts, paramiko_config) -> None:
    """Client(sshserver=, paramiko=True) through a host without sshd raises TunnelError naming it."""
    profile = copy_file(loopback_controller, CLIENT_FILE, hosts["d"], "refused")
    found = run_client(hosts["d"], profile, 0, sshserver="c", paramiko=True, ssh_config=str(paramiko_config))
    assert found["error"].startswith("TunnelError: cannot open the ssh tunnel via c: "), found
    assert hosts["c"].address in found["error"]


@pytest.mark.parametrize(("tool", "said"), [
    ("openssh", r"channel \d+: open failed: connect failed: Connection refused"),
    ("paramiko", r"cannot open a channel to 127\.0\.0\.1:\d+: Connect failed"),
])
def test_a_tunnel_whose_server_cannot_reach_the_controller_says_what_ssh_said(loopback_controller, hosts, sshd,
                                                                             paramiko_config, tool, said) -> None:
    """Tunnelling through d to a controller on a's loopback: nothing listens on d's, and the engine says so."""
    ssh_args = [f"--ssh-config={sshd.ssh_config}"] if tool == "openssh" else [
        "--paramiko", f"--ssh-config={paramiko_config}"]
    done = run_engine(hosts["b"], copy_file(loopback_controller, ENGINE_FILE, hosts["b"], f"wrong-server-{tool}"),
                      "--ssh=d", *ssh_args)
    port = loopback_controller.file(ENGINE_FILE)["registration"]
    assert 1 == done.returncode
    assert re.fullmatch(rf"ipengine: no answer from the controller at tcp://127\.0\.0\.1:{port} through the ssh "
                        rf"tunnel via d within {UNREACHABLE_WAIT} s: ssh said: {said}",
                        done.stderr.strip()), done.stderr
    assert documented(done.stderr.strip()) or tool == "paramiko"  # the guide quotes OpenSSH's


def test_a_client_whose_tunnel_cannot_reach_the_controller_says_what_ssh_said(loopback_controller, hosts, sshd,
                                                                              sshd_d) -> None:
    """Client(sshserver="d") to a controller on a's loopback: TimeoutError with ssh's words, not a refusal."""
    profile = copy_file(loopback_controller, CLIENT_FILE, hosts["d"], "wrong-server")
    found = run_client(hosts["d"], profile, 0, sshserver="d", ssh_config=str(sshd.ssh_config),
                       timeout=UNREACHABLE_WAIT)
    port = loopback_controller.file(CLIENT_FILE)["registration"]
    assert re.fullmatch(rf"TimeoutError: no answer from the hub at tcp://127\.0\.0\.1:{port} through the ssh tunnel "
                        rf"via d within {UNREACHABLE_WAIT} s: ssh said: channel \d+: open failed: connect failed: "
                        "Connection refused", found.get("error", "")), found
