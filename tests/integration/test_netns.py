"""The namespace hosts of netns.py carry real traffic, firewall it, serve ssh, capture it, and leave nothing."""

from __future__ import annotations

import ipaddress
import json
import secrets
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from clusters import alive, wait_until
from netns import PREFIX, Host, ip, namespaces, network_of, pids_in, sweep_stale_namespaces

PEERS = str(Path(__file__).with_name("netns_peers.py"))
PORT = 5555
SERVER_WAIT = 10


def serve(host: Host, url: str, port: int = PORT) -> subprocess.Popen:
    """A ZMQ echo server in the host, once it listens."""
    server = host.popen([sys.executable, PEERS, "serve", url])
    wait_until(lambda: port in host.listening_tcp_ports() or server.poll() is not None, SERVER_WAIT,
               f"the echo server in host {host.name}")
    assert server.poll() is None, "the echo server exited"
    return server


def ask(host: Host, url: str, message: str, timeout_ms: int = 5000) -> str:
    """A ZMQ question from the host: the answer, or "timeout"."""
    return host.run([sys.executable, PEERS, "ask", url, message, str(timeout_ms)]).stdout.strip()


def probe(host: Host, address: str, port: int) -> str:
    """A plain TCP connect from the host: "connected", "refused" or "timeout"."""
    return host.run([sys.executable, PEERS, "connect", address, str(port), "1"]).stdout.strip()


def root_veths() -> list[str]:
    return [link["ifname"] for link in json.loads(ip("-j", "link", "show", "type", "veth"))]


def running(pids: list[int]) -> list[int]:
    """The pids still running (zombies wait for init, which reaps them late, so they don't count)."""
    found = []
    for pid in pids:
        try:
            if alive(psutil.Process(pid)):
                found.append(pid)
        except psutil.NoSuchProcess:
            continue
    return found


def start_orphan(namespace: str) -> int:
    """A sleep in the namespace whose parent has exited, as a killed run's daemon would be; returns its pid."""
    started = subprocess.run(["ip", "netns", "exec", namespace, "sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"],
                             capture_output=True, text=True, check=True)
    return int(started.stdout)


def test_hosts_answer_each_other_over_zmq(make_hosts) -> None:
    """A REP server bound to every address of host a answers REQs from hosts b and c."""
    hosts = make_hosts("a", "b", "c")
    serve(hosts["a"], f"tcp://*:{PORT}")
    url = f"tcp://{hosts['a'].address}:{PORT}"
    assert "echo: from b" == ask(hosts["b"], url, "from b")
    assert "echo: from c" == ask(hosts["c"], url, "from c")


def test_the_root_namespace_has_no_way_to_the_hosts(make_hosts) -> None:
    """No root address is on the hosts' subnet, and the root routes their addresses off the machine or nowhere."""
    # no packet is sent to find out: one would leave the machine, for an address nobody there has
    hosts = make_hosts("a")
    root_addresses = [info["local"] for link in json.loads(ip("-j", "-4", "addr")) for info in link["addr_info"]]
    assert [] == [address for address in root_addresses if ipaddress.ip_address(address) in hosts.subnet]
    route = subprocess.run(["ip", "-j", "route", "get", hosts["a"].address], capture_output=True, text=True)
    on_link = route.returncode == 0 and "gateway" not in json.loads(route.stdout)[0]
    assert not on_link, route.stdout


def test_block_tcp_drops_the_port_while_sshd_still_answers(make_hosts) -> None:
    """Once host a blocks the server's port, b's REQ and connect time out, but b still logs in to a's sshd."""
    hosts = make_hosts("a", "b")
    serve(hosts["a"], f"tcp://*:{PORT}")
    sshd = hosts["a"].start_sshd()
    url = f"tcp://{hosts['a'].address}:{PORT}"
    assert "echo: before" == ask(hosts["b"], url, "before")
    hosts["a"].block_tcp([PORT])
    assert "timeout" == ask(hosts["b"], url, "after", timeout_ms=1000)
    assert "timeout" == probe(hosts["b"], hosts["a"].address, PORT)
    login = hosts["b"].run(["ssh", "-F", str(sshd.ssh_config), "a", "true"])
    assert 0 == login.returncode, login.stderr


def test_reject_tcp_refuses_the_port_at_once(make_hosts) -> None:
    """Once host a rejects the server's port, b's connect is refused."""
    hosts = make_hosts("a", "b")
    serve(hosts["a"], f"tcp://*:{PORT}")
    assert "connected" == probe(hosts["b"], hosts["a"].address, PORT)
    hosts["a"].reject_tcp([PORT])
    assert "refused" == probe(hosts["b"], hosts["a"].address, PORT)


def test_ssh_runs_commands_inside_the_host(make_hosts) -> None:
    """`ssh -F cfg a CMD` from host b runs CMD in host a's namespace."""
    hosts = make_hosts("a", "b")
    sshd = hosts["a"].start_sshd()
    session = hosts["b"].run(["ssh", "-F", str(sshd.ssh_config), "a", "ip", "-br", "addr", "show", "eth0"])
    assert 0 == session.returncode, session.stderr
    assert f"{hosts['a'].address}/24" == session.stdout.split()[2]


def test_known_hosts_holds_the_servers_host_key(make_hosts) -> None:
    """With strict host key checking, ssh accepts the server given its known_hosts file and refuses it without."""
    hosts = make_hosts("a", "b")
    sshd = hosts["a"].start_sshd()
    empty = sshd.known_hosts.with_name("empty_known_hosts")
    empty.write_text("")

    def login(known_hosts: Path) -> int:
        return hosts["b"].run(["ssh", "-F", str(sshd.ssh_config), "-o", "StrictHostKeyChecking=yes",
                               "-o", f"UserKnownHostsFile={known_hosts}", "a", "true"]).returncode

    assert 0 == login(sshd.known_hosts)
    assert 255 == login(empty)


def test_ssh_tunnel_reaches_a_server_on_the_hosts_loopback(make_hosts) -> None:
    """`ssh -N -L` from host b through a's sshd carries a REQ to a server bound to a's 127.0.0.1."""
    hosts = make_hosts("a", "b")
    serve(hosts["a"], f"tcp://127.0.0.1:{PORT}")
    sshd = hosts["a"].start_sshd()
    local_port = PORT + 1
    tunnel = hosts["b"].popen(["ssh", "-F", str(sshd.ssh_config), "-N", "-o", "ExitOnForwardFailure=yes",
                               "-L", f"127.0.0.1:{local_port}:127.0.0.1:{PORT}", "a"])
    wait_until(lambda: local_port in hosts["b"].listening_tcp_ports() or tunnel.poll() is not None, SERVER_WAIT,
               "the tunnel to listen in host b")
    assert "echo: tunnelled" == ask(hosts["b"], f"tcp://127.0.0.1:{local_port}", "tunnelled")


def test_capture_holds_what_was_sent_and_nothing_else(make_hosts) -> None:
    """A capture on host a's eth0 holds b's plaintext question and a's answer, and no string never sent."""
    hosts = make_hosts("a", "b")
    serve(hosts["a"], f"tcp://*:{PORT}")
    secret = f"plaintext {secrets.token_hex(8)}"
    with hosts["a"].capture() as captured:
        assert f"echo: {secret}" == ask(hosts["b"], f"tcp://{hosts['a'].address}:{PORT}", secret)
    assert secret.encode() in captured.data
    assert f"echo: {secret}".encode() in captured.data
    assert b"never sent" not in captured.data
    assert captured.data == captured.path.read_bytes()


def test_teardown_leaves_no_namespace_veth_or_process(tmp_path: Path) -> None:
    """After the hosts' `with` block, their namespaces, veths, processes (and ssh sessions) are all gone."""
    veths_before = root_veths()
    with network_of(["a", "b"], tmp_path) as hosts:
        serve(hosts["a"], f"tcp://*:{PORT}")
        sshd = hosts["a"].start_sshd()
        session = hosts["b"].popen(["ssh", "-F", str(sshd.ssh_config), "-N", "a"])
        wait_until(lambda: len(pids_in(hosts["a"].namespace)) >= 3 or session.poll() is not None, SERVER_WAIT,
                   "the ssh session's sshd process in host a")
        ours = hosts.namespaces()
        pids = [pid for namespace in ours for pid in pids_in(namespace)]
        assert 4 <= len(pids)  # server, sshd, its session and the ssh client, at least
    assert [] == [namespace for namespace in namespaces() if namespace in ours]
    assert veths_before == root_veths()
    wait_until(lambda: not running(pids), 5, "the hosts' processes to be gone")


def test_a_process_outliving_its_stop_fails_the_teardown_and_is_killed(tmp_path: Path) -> None:
    """A process left in a host after its processes' stop (here an orphan) fails the `with` block, killed."""
    with pytest.raises(AssertionError, match="outlived their host's stop"), network_of(["a"], tmp_path) as hosts:
        orphan = start_orphan(hosts["a"].namespace)
    wait_until(lambda: not running([orphan]), 5, "the orphan to be killed")


def test_sweep_deletes_abandoned_namespaces_and_spares_live_ones(make_hosts) -> None:
    """The sweep deletes a namespace whose run is gone (killing its process) and keeps a running run's hosts."""
    live = make_hosts("a")
    abandoned = f"{PREFIX}{secrets.token_hex(3)}-x"
    ip("netns", "add", abandoned)
    try:
        squatter = start_orphan(abandoned)
        assert [abandoned] == sweep_stale_namespaces()
        assert [] == running([squatter])
        assert abandoned not in namespaces()
        assert set(live.namespaces()) <= set(namespaces())
    finally:
        if abandoned in namespaces():
            ip("netns", "del", abandoned)
