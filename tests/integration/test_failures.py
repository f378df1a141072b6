"""Failure on the core path: dead engines, unreachable controllers, wrong keys. Nothing hangs."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import psutil
import pytest
from clusters import alive, run, wait_until

from ipcluster.client import EngineError, RemoteError, interactive
from ipcluster.client import _client as client_module
from ipcluster.protocol import PORT_NAMES, ControllerSpec, free_ports, write_connection_file

# --ping=200 and 5 misses: a dead engine is noticed within about a second
DETECTION_LIMIT = 20


@interactive  # engines cannot import this test module: send the function by value
def sleeper(seconds, pid_file=None):
    import os
    import time

    if pid_file:
        with open(pid_file, "w") as out:
            out.write(str(os.getpid()))
    time.sleep(seconds)


def wait_for_file(path, timeout=10.0):
    """The task writes the file once it runs."""
    wait_until(lambda: path.exists() and path.read_text(), timeout, f"{path} to be written")
    return path.read_text()


def test_engine_killed_during_direct_task_fails_it(make_cluster, tmp_path):
    """SIGKILL of an engine running a direct task: EngineError soon, and the engine leaves rc.ids."""
    cluster = make_cluster(2)
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        result = rc[1].apply_async(sleeper, 600, str(pid_file))
        os.kill(int(wait_for_file(pid_file)), signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(EngineError, match="engine 1"):
            result.get(timeout=DETECTION_LIMIT)
        assert time.monotonic() - started < DETECTION_LIMIT
        assert [0] == rc.ids
        assert 5 == rc[0].apply_async(lambda: 5).get(timeout=10)


def test_engine_killed_during_load_balanced_task_fails_it(make_cluster, tmp_path):
    """SIGKILL of the engine running a load-balanced task: EngineError from the scheduler; others carry on."""
    cluster = make_cluster(2)
    with cluster.client() as rc:
        view = rc.load_balanced_view()
        engine_of_pid = dict(zip(rc[:].apply_async(os.getpid).get(timeout=10), rc.ids, strict=True))
        pid_file = tmp_path / "running.pid"
        result = view.apply_async(sleeper, 600, str(pid_file))
        victim = int(wait_for_file(pid_file))
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(EngineError):
            result.get(timeout=DETECTION_LIMIT)
        assert [engine_of_pid[pid] for pid in engine_of_pid if pid != victim] == rc.ids
        assert 3 == view.apply_async(lambda: 3).get(timeout=10)


def test_engine_that_cannot_reach_the_controller_exits_with_one_line(tmp_path, no_leftovers):
    """An engine given a controller that is not there exits non-zero, naming the address it tried."""
    ports = free_ports(7)
    names = ["registration", "mux", "task", "control", "iopub", "hb_ping", "hb_pong"]
    info = {"version": 1, "key": "k", "signature_scheme": "hmac-sha256", "location": "127.0.0.1",
            "interface": "tcp://127.0.0.1", **dict(zip(names, ports, strict=True))}
    path = tmp_path / "engine.json"
    path.write_text(json.dumps(info))
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    done = run(["ipcluster.engine", f"--file={path}", "--timeout=1"], env, timeout=30)
    assert 0 != done.returncode
    lines = done.stderr.strip().splitlines()
    assert 1 == len(lines), done.stderr
    assert f"tcp://127.0.0.1:{ports[0]}" in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_connection_file_is_one_clear_line(tmp_path):
    """ipengine with no controller file says where it looked and what to do."""
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}
    done = run(["ipcluster.engine", "--IPEngineApp.wait_for_url_file=0"], env)
    assert 1 == done.returncode
    assert ["ipcontroller-engine.json", "start a controller"] == [
        part for part in ("ipcontroller-engine.json", "start a controller") if part in done.stderr
    ]
    assert 1 == len(done.stderr.strip().splitlines())


def test_engine_the_hub_declared_dead_exits_when_it_wakes(make_cluster):
    """A frozen engine is unregistered after missed heartbeats; when it runs again it hears so and exits."""
    cluster = make_cluster(2)
    with cluster.client() as rc:
        frozen = psutil.Process(rc[1].apply_async(os.getpid).get(timeout=10))
        frozen.suspend()
        try:
            wait_until(lambda: 1 not in rc.ids, DETECTION_LIMIT, "the frozen engine to be unregistered")
        finally:
            frozen.resume()
        wait_until(lambda: not alive(frozen), DETECTION_LIMIT, "the unregistered engine to exit")
        assert [0] == rc.ids


def test_clear_and_shutdown_over_the_control_queue(make_cluster):
    """rc.clear empties an engine's namespace; rc.shutdown stops an engine, which leaves rc.ids."""
    cluster = make_cluster(2)
    with cluster.client() as rc:
        rc[:].push({"x": 1}, block=True)
        rc.clear(targets=0)
        with pytest.raises(RemoteError, match="NameError"):
            rc[0].pull("x", block=True)
        assert 1 == rc[1].pull("x", block=True)
        pid = rc[1].apply_async(os.getpid).get(timeout=10)
        engine = psutil.Process(pid)
        rc.shutdown(targets=1)
        wait_until(lambda: not alive(engine), 30, "engine 1 to exit")
        wait_until(lambda: 1 not in rc.ids, 10, "engine 1 to leave")


def controller_services(cluster) -> list[psutil.Process]:
    names = ("ipcluster.hub", "ipcluster.scheduler", "ipcluster.heartmonitor")
    root = psutil.Process(cluster.process.pid)
    return [p for p in root.children(recursive=True) if any(name in " ".join(p.cmdline()) for name in names)]


def test_a_dead_controller_fails_the_client_instead_of_hanging_it(make_cluster, tmp_path):
    """SIGKILL of hub, scheduler and heart monitor: pending work and waits fail at once, naming the controller."""
    cluster = make_cluster(2)
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        result = rc[0].apply_async(sleeper, 600, str(pid_file))
        wait_for_file(pid_file)
        services = controller_services(cluster)
        assert 3 == len(services)
        for service in services:
            service.kill()
        with pytest.raises(RuntimeError, match="lost the controller at tcp://"):
            result.get(timeout=DETECTION_LIMIT)
        with pytest.raises(RuntimeError, match="lost the controller"):
            rc.wait_for_engines(3, timeout=DETECTION_LIMIT)
        with pytest.raises(RuntimeError, match="create a new Client"):
            rc[1].apply_async(sleeper, 0)


def test_hub_with_its_admin_port_taken_exits_with_one_line(tmp_path, no_leftovers):
    """Another process on the admin port: ipcluster-hub refuses to start, in one line, instead of sharing it."""
    ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES)), strict=True))
    spec_path = tmp_path / "spec.json"
    write_connection_file(spec_path, ControllerSpec(key="k", ports=ports).to_dict())
    env = {**os.environ, "IPYTHONDIR": str(tmp_path / "ipython")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["admin"]))
        taken.listen()
        done = run(["ipcluster.hub", f"--spec={spec_path}"], env, timeout=30)
    assert 1 == done.returncode
    lines = done.stderr.strip().splitlines()
    assert 1 == len(lines), done.stderr
    assert lines[0].startswith("ipcluster-hub: cannot bind")
    assert f"127.0.0.1:{ports['admin']}" in lines[0]


def test_a_frozen_controller_fails_the_client_after_its_silence_limit(make_cluster, monkeypatch):
    """A hub that stops answering (SIGSTOP: no TCP close, as when its host dies) is given up on in time."""
    monkeypatch.setattr(client_module, "HUB_PING_MS", 200)
    monkeypatch.setattr(client_module, "HUB_SILENCE_MS", 1000)
    cluster = make_cluster(1)
    with cluster.client() as rc:
        hub = next(p for p in controller_services(cluster) if "ipcluster.hub" in " ".join(p.cmdline()))
        hub.suspend()
        try:
            with pytest.raises(RuntimeError, match="lost the controller"):
                rc.wait_for_engines(2, timeout=DETECTION_LIMIT)
        finally:
            hub.resume()
