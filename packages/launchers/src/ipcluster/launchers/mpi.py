"""MPI engines: ``mpiexec -n N ipengine --mpi``, so the engines share one ``MPI.COMM_WORLD``.

``ipcluster start -n 4 --engines=MPI`` (or ``c.IPClusterEngines.engine_launcher_class = 'MPI'``). The
engines initialise MPI with mpi4py and take their ranks as engine ids. `mpi_cmd` and `mpi_args` are
ipyparallel's ``c.MPILauncher`` settings: ``mpiexec`` from PATH by default (``pip install mpi4py mpich``
brings one into the virtual environment).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from traitlets import List, Unicode
from traitlets.config import Config, Configurable

from ipcluster.launchers._process import LocalProcess, python_command
from ipcluster.launchers.local import EngineSet


class MPILauncher(Configurable):
    """ipyparallel's ``c.MPILauncher`` (and ``c.MPIEngineSetLauncher``) section."""

    mpi_cmd = List(Unicode(), ["mpiexec"], help="the command that starts MPI processes").tag(config=True)
    mpi_args = List(Unicode(), help="extra arguments for mpi_cmd, before the program").tag(config=True)


class MPIEngineSetLauncher(EngineSet):
    """One ``mpiexec`` running `n` engines; they are ready when the hub lists `n` of them."""

    def __init__(self, profile_dir: Path, n: int, engine_args: Sequence[str] = (), config: Config | None = None):
        settings = MPILauncher(config=config)
        if not settings.mpi_cmd or shutil.which(settings.mpi_cmd[0]) is None:
            raise FileNotFoundError(f"--engines=MPI needs {settings.mpi_cmd[0] if settings.mpi_cmd else 'mpiexec'} "
                                    "on PATH: pip install mpi4py mpich, or set c.MPILauncher.mpi_cmd")
        engine = python_command("ipcluster.engine", f"--profile-dir={profile_dir}", "--log-to-file", "--mpi",
                                *engine_args)
        super().__init__([LocalProcess([*settings.mpi_cmd, "-n", str(n), *settings.mpi_args, *engine])], n)

    def ready(self, registered_pids: set[int]) -> bool:
        """mpiexec's engines are its grandchildren: count them instead of matching pids."""
        return bool(self.running) and len(registered_pids) >= self.n
