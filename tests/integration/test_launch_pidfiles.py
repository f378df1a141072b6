"""A pid file whose pid now belongs to an unrelated process neither blocks `start` nor gets it signalled."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from clusters import alive, processes_of, run

from ipcluster.launchers._pidfile import process_start_time

CLUSTER = "ipcluster.launchers.cluster"


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen]:
    """An unrelated live process, as one that took the pid of a cluster killed with -9."""
    process = subprocess.Popen(["sleep", "120"])
    yield process
    process.kill()
    process.wait()


def test_start_replaces_a_pid_file_whose_pid_was_reused(env, ipython_dir, stranger):
    """start removes the stale file with one line and runs; stop then stops the cluster, not the stranger."""
    pid_file = ipython_dir / "profile_default/pid/ipcluster.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(json.dumps({"pid": stranger.pid, "start_time": process_start_time(stranger.pid) - 1}))
    started = run([CLUSTER, "start", "-n", "1", "--daemonize"], env)
    assert 0 == started.returncode, started.stderr
    assert f"stale pid file {pid_file}" in started.stderr
    assert stranger.pid != json.loads(pid_file.read_text())["pid"]
    stopped = run([CLUSTER, "stop"], env)
    assert 0 == stopped.returncode, stopped.stderr
    assert [] == [p for p in processes_of(ipython_dir) if alive(p)]
    assert stranger.poll() is None
