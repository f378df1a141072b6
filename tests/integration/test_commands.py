"""The commands as a user types them: ipcluster start/stop, ipcontroller and ipengine by hand."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from clusters import alive, kill_all, processes_of, run

from ipcluster.client import Client

CLUSTER = "ipcluster.launchers.cluster"


@pytest.fixture
def env(ipython_dir: Path, no_leftovers) -> dict[str, str]:
    return {**os.environ, "IPYTHONDIR": str(ipython_dir)}


def connect(ipython_dir: Path, n: int) -> Client:
    client = Client(profile_dir=str(ipython_dir / "profile_default"), timeout=30)
    client.wait_for_engines(n, timeout=60)
    return client


def test_daemonized_cluster_starts_runs_and_stops_completely(env, ipython_dir):
    """start --daemonize returns, the cluster works, stop ends every process and removes the pid file."""
    started = run([CLUSTER, "start", "-n", "2", "--daemonize"], env)
    assert 0 == started.returncode, started.stderr
    pid_file = ipython_dir / "profile_default/pid/ipcluster.pid"
    assert pid_file.exists()
    with connect(ipython_dir, 2) as rc:
        assert [0, 1] == rc.ids
        assert [2, 2] == rc[:].apply_async(lambda: 2).get(timeout=10)
    assert 7 == len(processes_of(ipython_dir))  # ipcluster, ipcontroller, hub, scheduler, heart, 2 engines
    again = run([CLUSTER, "start", "-n", "2", "--daemonize"], env)
    assert 10 == again.returncode
    assert "already running" in again.stderr
    stopped = run([CLUSTER, "stop"], env)
    assert 0 == stopped.returncode, stopped.stderr
    assert [] == [p for p in processes_of(ipython_dir) if alive(p)]
    assert not pid_file.exists()


def test_logs_are_json_lines_per_component(env, ipython_dir):
    """Each process writes structlog JSON lines into the profile's log folder."""
    assert 0 == run([CLUSTER, "start", "-n", "1", "--daemonize"], env).returncode
    connect(ipython_dir, 1).close()
    assert 0 == run([CLUSTER, "stop"], env).returncode
    logs = {path.name.rsplit("-", 1)[0]: path for path in (ipython_dir / "profile_default/log").glob("*.log")}
    assert {"ipcluster", "ipcontroller", "hub", "scheduler", "heartmonitor", "ipengine"} <= set(logs)
    events = [json.loads(line) for line in logs["hub"].read_text().splitlines()]
    registered = [event for event in events if event["event"] == "engine registered"]
    assert 1 == len(registered)
    assert {"component", "level", "timestamp", "engine_id", "uuid"} <= set(registered[0])


def test_stop_of_a_dead_cluster_exits_11(env, ipython_dir):
    """A pid file whose process is gone is removed, with exit code 11."""
    pid_dir = ipython_dir / "profile_default/pid"
    pid_dir.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (pid_dir / "ipcluster.pid").write_text(json.dumps({"pid": int(dead.stdout)}))
    stopped = run([CLUSTER, "stop"], env)
    assert 11 == stopped.returncode
    assert not (pid_dir / "ipcluster.pid").exists()


class Background:
    """Commands run by hand in the background, killed at the end whatever happens."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", *args], env=self.env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> int:
        process.send_signal(signal.SIGTERM)
        return process.wait(30)

    def cleanup(self) -> None:
        """Kill what is still running, with its children (a controller's services included)."""
        running = []
        for process in self.processes:
            if process.poll() is not None:
                continue
            try:
                root = psutil.Process(process.pid)
                running += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        kill_all(running)


@pytest.fixture
def background(env):
    commands = Background(env)
    yield commands
    commands.cleanup()


def test_controller_and_engines_started_by_hand(background, ipython_dir):
    """ipcontroller, then ipengine twice: the engines find the profile's connection file."""
    controller = background.start("ipcluster.launchers.controller")
    engines = [background.start("ipcluster.engine") for _ in range(2)]
    with connect(ipython_dir, 2) as rc:
        assert [0, 1] == rc.ids
    for engine in engines:
        assert 0 == background.stop(engine)
    assert 0 == background.stop(controller)


def test_reuse_lets_the_engine_start_first(background, ipython_dir):
    """With --reuse the files stay valid, so an engine may be started before the controller."""
    first = background.start("ipcluster.launchers.controller", "--reuse")
    connect(ipython_dir, 0).close()
    background.stop(first)
    spec = json.loads((ipython_dir / "profile_default/security/ipcontroller-spec.json").read_text())
    engine = background.start("ipcluster.engine", "--timeout=30")
    controller = background.start("ipcluster.launchers.controller", "--reuse")
    with connect(ipython_dir, 1) as rc:
        assert [0] == rc.ids
    again = json.loads((ipython_dir / "profile_default/security/ipcontroller-spec.json").read_text())
    assert (spec["ports"], spec["key"]) == (again["ports"], again["key"])
    assert 0 == background.stop(engine)
    assert 0 == background.stop(controller)


def test_ipcluster_engines_adds_engines_to_a_running_controller(background, ipython_dir):
    """`ipcluster engines -n 2` starts two more engines for the profile's controller."""
    controller = background.start("ipcluster.launchers.controller")
    engines = background.start(CLUSTER, "engines", "-n", "2")
    with connect(ipython_dir, 2) as rc:
        assert [0, 1] == rc.ids
    assert 0 == background.stop(engines)
    assert 0 == background.stop(controller)


def test_engine_exits_when_the_controller_goes_silent(background, ipython_dir):
    """An engine that stops hearing heartbeats exits with one line naming the controller."""
    controller = background.start("ipcluster.launchers.controller", "--ping=100")
    connect(ipython_dir, 0).close()
    engine = subprocess.Popen([sys.executable, "-m", "ipcluster.engine", "--IPEngineApp.max_heartbeat_misses=5"],
                              env=background.env, start_new_session=True, stderr=subprocess.PIPE, text=True)
    background.processes.append(engine)
    connect(ipython_dir, 1).close()
    root = psutil.Process(controller.pid)
    kill_all([*root.children(recursive=True), root])
    _, stderr = engine.communicate(timeout=30)
    assert 1 == engine.returncode
    lines = [line for line in stderr.splitlines() if line.startswith("ipengine:")]
    assert 1 == len(lines)
    assert "no heartbeat from the controller at tcp://127.0.0.1:" in lines[0]
