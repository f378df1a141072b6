"""An engine keeps serving, answers control first, and exits when it should, whatever its user code does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
from clusters import alive, processes_of, run, wait_until

from ipcluster.client import EngineError, RemoteError, interactive

QUEUED = 4  # requests sent to one engine: one running, the rest queued behind it


@interactive  # engines cannot import this test module: send the function by value
def raise_unprintable():
    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no text for you")

    raise Unprintable()


@interactive
def raise_with_surrogates():
    raise ValueError("bad \udc80 text")


@interactive
def print_surrogates():
    print("out \udc80")
    return 1


@interactive
def nap(seconds):
    import time

    time.sleep(seconds)
    return seconds


@interactive
def sleep_after_writing_pid(seconds, pid_file):
    import os
    import time

    with open(pid_file, "w") as out:
        out.write(str(os.getpid()))
    time.sleep(seconds)


@pytest.mark.parametrize(("task", "ename", "evalue"), [
    (raise_unprintable, "Unprintable", "str() failed"),
    (raise_with_surrogates, "ValueError", "bad \\udc80 text"),
])
def test_unreportable_errors_come_back_and_the_engine_carries_on(make_cluster, task, ename, evalue):
    """An exception whose str() raises or whose text is not UTF-8 is an error reply; the engine serves on."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        with pytest.raises(RemoteError) as caught:
            rc[0].apply_async(task).get(timeout=10)
        assert ename == caught.value.ename
        assert evalue in caught.value.evalue
        assert 5 == rc[0].apply_async(lambda: 5).get(timeout=10)


def test_output_that_utf8_cannot_encode_comes_back_escaped(make_cluster):
    """A task printing lone surrogates returns its result, with the output backslash-escaped."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        result = rc[0].apply_async(print_surrogates)
        assert 1 == result.get(timeout=10)
        assert "out \\udc80\n" == result.stdout


@interactive
def wait_for_gate(path):
    """Block until the test opens this task's gate (creates the file), so no clock decides the order."""
    import os
    import time

    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {path} never opened")
        time.sleep(0.01)
    return path


def test_clear_is_answered_before_queued_work(make_cluster, tmp_path):
    """rc.clear sent while a task runs is answered when that task ends, ahead of the queued ones."""
    cluster = make_cluster(1)
    gates = [tmp_path / f"gate{i}" for i in range(1, QUEUED)]
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        running = rc[0].apply_async(sleep_after_writing_pid, 2, str(pid_file))
        queued = [rc[0].apply_async(wait_for_gate, str(gate)) for gate in gates]  # cannot end on their own
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the first task to start")
        rc.clear(targets=0, block=False).get(timeout=30)  # were it served after the queue, this times out
        assert None is running.get(timeout=10)
        assert [False] * len(queued) == [result.ready() for result in queued]
        for gate in gates:
            gate.touch()
        assert [str(gate) for gate in gates] == [result.get(timeout=30) for result in queued]


def test_shutdown_is_answered_before_queued_work(make_cluster, tmp_path):
    """rc.shutdown sent while a task runs stops the engine after that task; the queued ones fail, unrun."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        rc[0].apply_async(sleep_after_writing_pid, 2, str(pid_file))
        queued = [rc[0].apply_async(nap, 1) for _ in range(QUEUED - 1)]
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the first task to start")
        rc.shutdown(targets=0, block=True)
        for result in queued:
            with pytest.raises(EngineError):
                result.get(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_interrupts_a_running_task(make_cluster, tmp_path, signum):
    """A stop signal to an engine in time.sleep(3600) fails the task and the engine exits within seconds."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        result = rc[0].apply_async(sleep_after_writing_pid, 3600, str(pid_file))
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the task to start")
        engine = psutil.Process(int(pid_file.read_text()))
        os.kill(engine.pid, signum)
        wait_until(lambda: not alive(engine), 15, "the engine to exit")
        with pytest.raises((RemoteError, EngineError)) as caught:  # the reply and the engine's departure race
            result.get(timeout=10)
        assert "EngineStopped" == getattr(caught.value, "ename", "EngineStopped")


def test_busy_engine_dies_with_its_ipcluster(make_cluster, tmp_path):
    """SIGKILL of ipcluster: the parent-death SIGTERM ends an engine in a long task within seconds."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        pid_file = tmp_path / "running.pid"
        rc[0].apply_async(sleep_after_writing_pid, 3600, str(pid_file))
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the task to start")
        engine = psutil.Process(int(pid_file.read_text()))
        cluster.process.kill()
        wait_until(lambda: not alive(engine), 15, "the engine to exit")
        wait_until(lambda: not any(alive(p) for p in processes_of(cluster.ipython_dir)), 10, "the controller to exit")


def test_a_missing_startup_script_is_one_line_before_registering(make_cluster):
    """ipengine -s with a path that is not there exits 1 in one line naming it; no engine joins."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        done = run(["ipcluster.engine", "-s", "/nonexistent/startup.py"], cluster.env, timeout=60)
        assert 1 == done.returncode
        assert 1 == len(done.stderr.strip().splitlines()), done.stderr
        assert "/nonexistent/startup.py" in done.stderr
        assert [0] == rc.ids


def test_a_failing_startup_command_is_one_line_and_the_engine_leaves(make_cluster):
    """ipengine -c with code that raises exits 1 naming the error, and unregisters instead of lingering."""
    cluster = make_cluster(1)
    with cluster.client() as rc:
        done = run(["ipcluster.engine", "-c", "1 / 0"], cluster.env, timeout=60)
        assert 1 == done.returncode
        errors = [line for line in done.stderr.splitlines() if line.startswith("ipengine:")]  # not the log
        assert 1 == len(errors), done.stderr
        assert "startup command (-c) raised ZeroDivisionError" in errors[0]
        assert "Traceback" not in done.stderr
        wait_until(lambda: [0] == rc.ids, 10, "the failed engine to leave")


def test_a_task_longer_than_the_heartbeat_limit_does_not_make_its_engine_leave(make_cluster):
    """Pings that queued while a long task ran count as heard: the engine answers and stays registered."""
    cluster = make_cluster(1, controller_args=("--ping=100",))
    with cluster.client() as rc:
        engine = subprocess.Popen(
            [sys.executable, "-m", "ipcluster.engine", "--IPEngineApp.max_heartbeat_misses=5"],
            env=cluster.env, start_new_session=True, stderr=subprocess.PIPE, text=True,
        )
        try:
            rc.wait_for_engines(2, timeout=30)
            assert 2 == rc[1].apply_async(nap, 2).get(timeout=30)  # 20 periods, four times the limit
            assert 0 == rc[1].apply_async(nap, 0).get(timeout=10)
            assert [0, 1] == rc.ids
        finally:
            engine.terminate()
            stderr = engine.communicate(timeout=30)[1]
        assert 0 == engine.returncode, stderr
