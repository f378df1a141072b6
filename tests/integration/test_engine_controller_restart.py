"""An engine whose controller was restarted with --reuse exits instead of running on unregistered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import psutil
import pytest
from clusters import kill_all, processes_of, wait_until

from ipcluster.client import Client

CONTROLLER = "ipcluster.launchers.controller"


class ByHand:
    """ipcontroller and ipengine started in the background for one IPYTHONDIR."""

    def __init__(self, ipython_dir: Path):
        self.ipython_dir = ipython_dir
        self.env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}

    def start(self, *args: str, stderr: int | IO[str] = subprocess.DEVNULL) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", *args], env=self.env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=stderr, text=True)

    def wait_for_engines(self, n: int) -> None:
        with Client(profile_dir=str(self.ipython_dir / "profile_default"), timeout=30) as client:
            client.wait_for_engines(n, timeout=60)


@pytest.fixture
def by_hand(ipython_dir: Path, no_leftovers) -> Iterator[ByHand]:
    yield ByHand(ipython_dir)
    kill_all(processes_of(ipython_dir))  # only after a failure: the test stops what it started


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a controller and its services: a crash, with no goodbye to anyone."""
    root = psutil.Process(process.pid)
    kill_all([*root.children(recursive=True), root])


def test_engine_exits_when_the_controller_restarts_with_reuse(by_hand, tmp_path):
    """The new heart monitor's beats start over: the engine logs one line and exits with code 1."""
    first = by_hand.start(CONTROLLER, "--reuse", "--ping=100")
    by_hand.wait_for_engines(0)
    output = tmp_path / "engine.err"
    with open(output, "w") as sink:  # 600 misses of 100 ms: a minute of silence, far more than the restart takes
        engine = by_hand.start("ipcluster.engine", "--IPEngineApp.max_heartbeat_misses=600", stderr=sink)
    wait_until(lambda: "heard the controller's heartbeat" in output.read_text(), 30, "the engine's first ping")
    kill_tree(first)
    second = by_hand.start(CONTROLLER, "--reuse", "--ping=100")
    try:
        assert 1 == engine.wait(20)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    lines = [line for line in output.read_text().splitlines() if line.startswith("ipengine:")]
    assert 1 == len(lines), output.read_text()
    assert "restarted" in lines[0]
