"""Starting real clusters in a private IPYTHONDIR, and finding every process they left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from ipcluster.client import Client

ENGINE_WAIT = 60


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie; a process may exit between any two questions asked of it."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return f"pid {process.pid} (exited)"


def processes_of(ipython_dir: Path) -> list[psutil.Process]:
    """Every process started for this IPYTHONDIR: by command line or by environment."""
    marker = str(ipython_dir)
    found = []
    for process in psutil.process_iter(["cmdline", "pid"]):
        if process.pid == os.getpid():
            continue
        try:
            if marker in " ".join(process.info["cmdline"] or ()) or marker in process.environ().get("IPYTHONDIR", ""):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Wait for a condition another process brings about, checking every 10 ms, failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.01)


def kill_all(processes: Sequence[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)


def run(args: Sequence[str], env: dict[str, str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=timeout,
                          **kwargs)


class Cluster:
    """`ipcluster start` in the foreground of its own session, in a private IPYTHONDIR."""

    def __init__(self, ipython_dir: Path, n: int, controller_args: Sequence[str] = (),
                 cluster_args: Sequence[str] = ()):
        self.ipython_dir = ipython_dir
        self.n = n
        self.env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
        self.output = ipython_dir.parent / "ipcluster-start.out"  # read it when a test fails
        ipython_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.output, "wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ipcluster.launchers.cluster", "start", f"-n={n}", *cluster_args, "--",
                 *controller_args],
                env=self.env, start_new_session=True, stdout=sink, stderr=subprocess.STDOUT,
            )
        self.profile = ipython_dir / "profile_default"

    def client(self, **kwargs) -> Client:
        client = Client(profile_dir=str(self.profile), timeout=30, **kwargs)
        client.wait_for_engines(self.n, timeout=ENGINE_WAIT)
        return client

    def stop(self) -> subprocess.CompletedProcess:
        return run(["ipcluster.launchers.cluster", "stop"], self.env)

    def cleanup(self) -> list[str]:
        """Stop everything; returns the command lines of processes that had to be killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        remaining = processes_of(self.ipython_dir)
        leftovers = [command_line(process) for process in remaining if alive(process)]
        kill_all(remaining)
        return leftovers
