"""A child process we started, and how to stop it for certain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

COMMAND_TIMEOUT = 60  # seconds a helper command (qsub, qdel, an ssh check, an scp) may take before we give up


def python_command(module: str, *args: str, python: str = sys.executable) -> list[str]:
    """Run an ipcluster module with this interpreter (by default), so the child sees the same packages."""
    return [python, "-m", module, *args]


class LocalProcess:
    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None):
        self.argv = list(argv)
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, **(self.env or {})}
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, env=env)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process else None

    def terminate(self) -> None:
        """Ask it to stop: SIGTERM."""
        self.signal(signal.SIGTERM)

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def __str__(self) -> str:
        return f"pid {self.pid}"

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
        stop_all([self], timeout)


def stop_all(processes: Sequence[LocalProcess], timeout: float) -> None:
    """Ask every process to stop (SIGTERM), wait for all against one deadline, SIGKILL the rest."""
    running = [p for p in processes if p.running]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + timeout
    for child in (p.process for p in running if p.process is not None):
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
