"""Launchers that start the controller and engines as processes on this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ipcluster.launchers._process import LocalProcess, python_command, stop_all


class LocalControllerLauncher:
    """Runs ``ipcontroller`` for a profile."""

    def __init__(self, profile_dir: Path, controller_args: Sequence[str] = ()):
        self.process = LocalProcess(python_command(
            "ipcluster.launchers.controller", f"--profile-dir={profile_dir}", "--die-with-parent", "--log-to-file",
            *controller_args,
        ))

    def start(self) -> None:
        self.process.start()

    @property
    def running(self) -> bool:
        return self.process.running

    def stop(self, timeout: float = 10.0) -> None:
        self.process.stop(timeout)


class LocalEngineSetLauncher:
    """Runs `n` ``ipengine`` processes for a profile."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = ()):
        self.processes = [
            LocalProcess(python_command(
                "ipcluster.engine", f"--profile-dir={profile_dir}", "--die-with-parent", "--log-to-file", *engine_args
            ))
            for _ in range(n)
        ]

    def start(self) -> None:
        for process in self.processes:
            process.start()

    @property
    def running(self) -> list[LocalProcess]:
        return [process for process in self.processes if process.running]

    def reap(self) -> list[LocalProcess]:
        """Collect engines that exited since the last call (no zombies left behind)."""
        exited = [process for process in self.processes if not process.running]
        self.processes = [process for process in self.processes if process not in exited]
        return exited

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM to all at once, then SIGKILL to whatever is left when `timeout` runs out."""
        stop_all(self.processes, timeout)
