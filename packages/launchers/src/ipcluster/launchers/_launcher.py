"""What `ipcluster` asks of a launcher, whether it runs local processes, ``mpiexec``, ssh or batch jobs."""

from __future__ import annotations

from typing import Protocol

from ipcluster.launchers._remote import SSHError
from ipcluster.launchers._template import TemplateError
from ipcluster.launchers._watch import EngineWatch
from ipcluster.launchers.batch import BatchError

# what a launch can fail with that is the user's to fix: each message names the problem and the fix
LAUNCH_ERRORS = (FileNotFoundError, BatchError, TemplateError, SSHError)


class Exited(Protocol):
    """A process or job that ended: how it ended, and what to call it in the log."""

    @property
    def returncode(self) -> int | None: ...


class ControllerLauncher(Protocol):
    # seconds between looks at a controller that cannot wake us (a batch job); None: its exit does (SIGCHLD)
    poll_interval: float | None
    remote: bool  # runs on another host, where a controller on loopback cannot be reached

    def start(self) -> None: ...

    @property
    def running(self) -> bool: ...

    @property
    def returncode(self) -> int | None: ...

    def stop(self, timeout: float = ...) -> None: ...

    def cleanup_commands(self) -> list[list[str]]:
        """Commands that stop what it started should ipcluster die without stopping it (a batch job's cancel)."""


class EngineLauncher(Protocol):
    n: int
    poll_interval: float | None
    remote: bool

    def start(self) -> None: ...

    @property
    def running(self) -> bool: ...

    def ready(self, watch: EngineWatch) -> bool:
        """Every engine it started is registered with the hub."""

    def reap(self) -> list[Exited]:
        """What ended since the last call, each once."""

    def stop(self, timeout: float = ...) -> None: ...

    def cleanup_commands(self) -> list[list[str]]:
        """As ControllerLauncher's."""
