"""A child process we started, and how to stop it for certain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence


def python_command(module: str, *args: str) -> list[str]:
    """Run an ipcluster module with this interpreter, so the child sees the same packages."""
    return [sys.executable, "-m", module, *args]


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

    def signal(self, signum: int) -> None:
        if self.running:
            self.process.send_signal(signum)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
        if not self.running:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
