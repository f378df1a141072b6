"""The SSH launchers against a real sshd: engines and a controller on "other hosts", aliases of this one.

Each remote profile folder differs from the local one, so the connection files really travel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clusters import alive, command_line, processes_of, run, wait_until
from sshd import SSHServer

from ipcluster.protocol import CLIENT_FILE, ENGINE_FILE

CLUSTER = "ipcluster.launchers.cluster"


def configure(ipython_dir: Path, sshd: SSHServer, *lines: str) -> dict[str, str]:
    """The default profile's ipcluster_config.py: the SSH launchers reach `sshd`, and `lines`; the env to use."""
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipcluster_config.py").write_text("\n".join([
        f"c.SSHLauncher.ssh_args = ['-F', {str(sshd.config)!r}]",
        f"c.SSHLauncher.scp_args = ['-q', '-F', {str(sshd.config)!r}]",
        f"c.SSHLauncher.remote_profile_dir = {str(ipython_dir / 'remote')!r}",
        *lines,
    ]) + "\n")
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def running_under(sshd: SSHServer, module: str) -> int:
    """How many processes running `module` the server's sessions started."""
    return sum(line.startswith(f"{sys.executable} -m {module} ") for line in sshd.descendants())


def left_behind(ipython_dir: Path, sshd: SSHServer) -> list[str]:
    """Every live process of this test's clusters, and every ssh session still open."""
    wait_until(lambda: not sshd.descendants(), 10, "the ssh sessions to end")
    return [command_line(p) for p in processes_of(ipython_dir) if alive(p)]


def test_engines_on_two_hosts_get_the_connection_file_and_stop_with_the_cluster(make_cluster, ipython_dir, sshd):
    """Engines on two hosts (one with its own arguments) register and compute, then stop with the cluster."""
    configure(ipython_dir, sshd, "c.SSHEngineSetLauncher.engines = {'host1': 2, 'host2': (1, ['--id=7'])}")
    cluster = make_cluster(n=3, cluster_args=["--engines=SSH"])
    with cluster.client() as rc:
        assert 3 == len(rc.ids)
        assert 7 in rc.ids  # host2's own argument asked for it
        assert 3 == len(set(rc[:].apply_sync(os.getpid)))
        assert 3 == running_under(sshd, "ipcluster.engine")
    assert (ipython_dir / "remote" / "security" / ENGINE_FILE).exists()
    assert 0 == cluster.stop().returncode
    assert [] == left_behind(ipython_dir, sshd)


def test_with_nothing_to_send_engines_say_which_file_they_lack(ipython_dir, no_leftovers, sshd):
    """to_send = [] copies nothing: engines on a host without the connection file fail, naming it."""
    env = configure(ipython_dir, sshd, "c.SSHLauncher.to_send = []", "c.SSHEngineSetLauncher.engines = {'host1': 2}",
                    "c.SSHEngineSetLauncher.engine_args = ['--IPEngineApp.wait_for_url_file=0.2']")
    controller = subprocess.Popen([sys.executable, "-m", "ipcluster.launchers.controller"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until((ipython_dir / "profile_default" / "security" / ENGINE_FILE).exists, 30, "the controller's files")
        result = run([CLUSTER, "engines", "--engines=SSH"], env)
    finally:
        controller.terminate()
        controller.wait(10)
    missing = ipython_dir / "remote" / "security" / ENGINE_FILE
    assert not missing.exists()
    assert 1 == result.returncode
    lines = result.stderr.splitlines()
    assert 2 == sum(line.startswith(f"ipengine: no connection file at {missing}") for line in lines), result.stderr
    assert any(line.startswith("ipcluster: all 2 engines exited on their own") for line in lines), result.stderr
    assert [] == left_behind(ipython_dir, sshd)


def test_a_controller_on_another_host_sends_back_its_files_and_stops_with_the_cluster(make_cluster, ipython_dir,
                                                                                     sshd):
    """The controller runs over ssh; its connection files come back, local engines and a client use them."""
    configure(ipython_dir, sshd, "c.SSHControllerLauncher.hostname = 'host1'")
    cluster = make_cluster(n=2, cluster_args=["--controller=SSH"])
    with cluster.client() as rc:
        assert [4, 4] == rc[:].apply_sync(pow, 2, 2)
        assert 1 == running_under(sshd, "ipcluster.launchers.controller")
    for name in (ENGINE_FILE, CLIENT_FILE):
        fetched = (cluster.profile / "security" / name).read_text()
        assert (ipython_dir / "remote" / "security" / name).read_text() == fetched
    assert 0 == cluster.stop().returncode
    assert [] == left_behind(ipython_dir, sshd)


@pytest.mark.parametrize(("option", "setting", "expected"), [
    ("--engines=SSH", "c.SSHEngineSetLauncher.engines = {'down': 1}", "ipcluster: cannot reach down over ssh (ssh: "
     "connect to host 127.0.0.1 port {port}: Connection refused): check that `ssh -F {config} down true` works"),
    ("--controller=SSH", "c.SSHControllerLauncher.hostname = 'down'", "ipcluster: cannot reach down over ssh (ssh: "
     "connect to host 127.0.0.1 port {port}: Connection refused): check that `ssh -F {config} down true` works"),
    ("--engines=SSH", "c.SSHLauncher.ssh_cmd = ['no-such-ssh']", "ipcluster: 'no-such-ssh' is not installed here"),
])
def test_an_unreachable_host_or_no_ssh_is_one_line(ipython_dir, no_leftovers, sshd, option, setting, expected):
    """A host that refuses the connection, or no ssh command, stops `ipcluster start` with one line, exit 1."""
    env = configure(ipython_dir, sshd, setting)
    result = run([CLUSTER, "start", "-n=1", option], env)
    assert 1 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert result.stderr.startswith(expected.format(port=sshd.closed_port, config=sshd.config))
    assert [] == left_behind(ipython_dir, sshd)
