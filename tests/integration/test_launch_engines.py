"""`ipcluster engines`: success only when its engines registered, and `ipcluster stop` stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from clusters import alive, command_line, processes_of, run, wait_until

from ipcluster.client import Client

CLUSTER = "ipcluster.launchers.cluster"


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    """A private IPYTHONDIR whose engines give up on a missing connection file after 0.2 s, not 10 s."""
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipengine_config.py").write_text("c.IPEngineApp.wait_for_url_file = 0.2\n")
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def ipcluster_lines(stderr: str) -> list[str]:
    """The launcher's own lines (each failed engine adds its own `ipengine:` line)."""
    return [line for line in stderr.splitlines() if line.startswith("ipcluster:")]


def launched(ipython_dir: Path) -> list[str]:
    """Command lines of the live processes `ipcluster engines` started, itself included."""
    lines = [command_line(p) for p in processes_of(ipython_dir) if alive(p)]
    return [line for line in lines if "ipcluster.engine" in line or "cluster engines" in line]


def test_engines_without_a_controller_exit_non_zero(env):
    """When every engine fails (no controller), `ipcluster engines` says so in one line and exits 1."""
    result = run([CLUSTER, "engines", "-n", "2"], env)
    assert 1 == result.returncode
    lines = ipcluster_lines(result.stderr)
    assert 1 == len(lines), result.stderr
    assert "all 2 engines exited" in lines[0]


def test_daemonized_engines_without_a_controller_fail(env):
    """--daemonize does not claim to have started engines that all failed."""
    result = run([CLUSTER, "engines", "-n", "2", "--daemonize"], env)
    assert 1 == result.returncode
    assert "started" not in result.stdout
    assert 1 == len(ipcluster_lines(result.stderr)), result.stderr


def test_daemonized_engines_are_registered_when_started_and_stop_ends_them(env, ipython_dir):
    """After `started` the engines are registered; `ipcluster stop` then ends them and their launcher."""
    controller = subprocess.Popen([sys.executable, "-m", "ipcluster.launchers.controller"], env=env,
                                  start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = run([CLUSTER, "engines", "-n", "2", "--daemonize"], env)
        assert 0 == started.returncode, started.stderr
        assert "started" in started.stdout
        with Client(profile_dir=str(ipython_dir / "profile_default"), timeout=30) as rc:
            assert [0, 1] == rc.ids
        again = run([CLUSTER, "engines", "-n", "1", "--daemonize"], env)
        assert 10 == again.returncode
        assert "stop it with `ipcluster stop`" in again.stderr
        stopped = run([CLUSTER, "stop"], env)
        assert 0 == stopped.returncode, stopped.stderr
        wait_until(lambda: [] == launched(ipython_dir), 10, "the engines and their launcher to exit")
        assert not (ipython_dir / "profile_default/pid/ipcluster-engines.pid").exists()
    finally:
        controller.send_signal(signal.SIGTERM)
        assert 0 == controller.wait(30)
