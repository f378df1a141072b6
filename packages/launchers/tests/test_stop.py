"""`ipcluster stop` signals only what its pid files really name, and says why when it cannot."""

import json
import os
import signal
import subprocess

import pytest

from ipcluster.launchers._pidfile import process_start_time
from ipcluster.launchers.cluster import main


@pytest.fixture
def pid_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    folder = tmp_path / "profile_default/pid"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def stranger():
    """An unrelated process, killed at the end whatever the test did to it."""
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def write(path, pid, start_time):
    path.write_text(json.dumps({"pid": pid, "start_time": start_time, "state": "running"}))


def stderr_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 == len(err), err
    return err[0]


def test_stop_leaves_a_process_that_reused_the_pid_alone(pid_dir, stranger, capsys):
    """A pid file naming a live pid with another start time is stale: removed, exit 11, nothing signalled."""
    write(pid_dir / "ipcluster.pid", stranger.pid, process_start_time(stranger.pid) + 1)
    assert 11 == main(["stop"])
    assert stranger.poll() is None
    assert not (pid_dir / "ipcluster.pid").exists()
    assert "stale pid file" in stderr_line(capsys)


def test_stop_stops_ipcluster_engines_too(pid_dir, stranger, capsys):
    """`ipcluster stop` also stops a running `ipcluster engines` of the profile (its hint says so)."""
    write(pid_dir / "ipcluster-engines.pid", stranger.pid, process_start_time(stranger.pid))
    assert 0 == main(["stop"])
    assert -signal.SIGTERM == stranger.wait(10)
    assert "ipcluster engines" in capsys.readouterr().out


def test_a_pid_it_may_not_signal_is_one_line(pid_dir, stranger, monkeypatch, capsys):
    """PermissionError from kill becomes one line naming the pid and exit 1."""
    real_kill = os.kill

    def kill(pid, signum):
        if signum:
            raise PermissionError(1, "Operation not permitted")
        real_kill(pid, signum)

    write(pid_dir / "ipcluster.pid", stranger.pid, process_start_time(stranger.pid))
    with monkeypatch.context() as patched:
        patched.setattr(os, "kill", kill)
        assert 1 == main(["stop"])
    line = stderr_line(capsys)
    assert f"pid {stranger.pid}" in line
    assert "not permitted" in line
    assert stranger.poll() is None
