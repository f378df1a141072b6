"""Launchers that start the controller and engines as processes on this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ipcluster.launchers._process import LocalProcess, python_command


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

    def signal(self, signum: int) -> None:
        for process in self.processes:
            process.signal(signum)

    def stop(self, timeout: float = 5.0) -> None:
        for process in self.processes:
            process.signal(15)
        for process in self.processes:
            process.stop(timeout)
